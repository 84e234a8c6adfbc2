"""The errors csmetrics raises on purpose.

Every failure a user can cause (a bad config key, a bad input row, a KPI asked of
a workspace without the table it needs) is a ``CsMetricsError``: the CLI prints it
as one line and the web app as an error page; anything else is a bug and keeps its
traceback. This module imports nothing of ours so every layer can use it.
"""

from __future__ import annotations


class CsMetricsError(Exception):
    """Base of every error meant for the user rather than the developer."""


class ConfigError(CsMetricsError):
    """The workspace configuration is invalid; the message names the file and key."""


class InputDataError(CsMetricsError):
    """An input file cannot be read or loaded; the message names the file (and row/column)."""


class SchemaError(CsMetricsError):
    """A table or column is unknown to the canonical schema."""


class WorkspaceError(CsMetricsError):
    """The workspace folder is missing, not initialised, locked or not writable."""


class KpiError(CsMetricsError):
    """A KPI is unknown, or asked for at a grain or period it does not support."""


class NotAvailable(KpiError):
    """A KPI needs data the workspace does not have (e.g. an optional table is empty)."""

    def __init__(self, kpi: str, missing: list[str]) -> None:
        self.kpi = kpi
        self.missing = list(missing)
        needs = ", ".join(missing)
        super().__init__(f"{kpi}: not available: needs table {needs}")


class PeriodError(CsMetricsError):
    """A period string cannot be parsed."""


class EngineError(CsMetricsError):
    """The analytics engine cannot be reached or refused a query."""


class AccessDenied(CsMetricsError):
    """The current user may not see the requested data."""


class CompensationError(CsMetricsError):
    """A payout cannot be computed as asked (no plan for the period, a CSM not on it)."""


class RiskError(CsMetricsError):
    """A risk evaluation or call to action cannot be done as asked (e.g. closing an unknown CTA)."""


class HealthError(CsMetricsError):
    """A health question cannot be answered as asked (unknown model or account, no history)."""
