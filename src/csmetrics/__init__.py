"""csmetrics: measure Customer Success, the team and each CSM, from a company's own data.

import csmetrics
ws = csmetrics.open("demo")
ws.table("accounts")          # an Ibis table
"""

from __future__ import annotations

from csmetrics.errors import CsMetricsError
from csmetrics.workspace import Workspace, init, open

__version__ = "0.1.0"

__all__ = ["CsMetricsError", "Workspace", "__version__", "init", "open"]
