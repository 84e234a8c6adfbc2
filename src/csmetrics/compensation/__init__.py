"""Variable pay: plans from config, payout statements per CSM and period, and their files.

``statements(engine, config, period)`` computes every statement of the plans that pay
per the period's kind; ``write_run`` writes them as ``statements.csv`` and one HTML
page per person. The math is in ``curve`` and ``statement``; docs/compensation.md
explains it for plan designers.
"""

from __future__ import annotations

from csmetrics.compensation.curve import Payout, attainment, describe, payout
from csmetrics.compensation.output import CompRun, render_html, statement_rows, write_run
from csmetrics.compensation.payees import Payee
from csmetrics.compensation.statement import ComponentLine, Statement, statements

__all__ = [
    "CompRun",
    "ComponentLine",
    "Payee",
    "Payout",
    "Statement",
    "attainment",
    "describe",
    "payout",
    "render_html",
    "statement_rows",
    "statements",
    "write_run",
]
