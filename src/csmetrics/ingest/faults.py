"""Fault injection for crash tests: die at a named point inside an import transaction.

Setting ``CSMETRICS_FAULT_POINT`` to one of ``POINTS`` makes the process kill
itself with SIGKILL there, the way a power cut or the OOM killer would, so a test
can prove that a batch either lands whole or not at all.
"""

from __future__ import annotations

import os
import signal

ENV_VAR = "CSMETRICS_FAULT_POINT"
POINTS = ("after_staging", "after_checks", "after_upsert", "before_commit")


def fault_point(name: str) -> None:
    if os.environ.get(ENV_VAR) == name:
        os.kill(os.getpid(), signal.SIGKILL)
