"""The demo company: a deterministic synthetic B2B SaaS vendor and its customers,
with every canonical table, causally coherent so health scores and scorecards have
something real to find."""

from __future__ import annotations

from csmetrics.demo.generate import (
    DemoManifest,
    DemoParameterError,
    check_parameters,
    default_end_date,
    generate,
)

__all__ = ["DemoManifest", "DemoParameterError", "check_parameters", "default_end_date", "generate"]
