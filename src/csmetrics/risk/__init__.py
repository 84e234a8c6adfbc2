"""Risk indicators, at-risk ARR and calls to action.

Ten rules declared in ``risk:`` (``config.risk``) are judged for every paying
account on a day (``evaluate``); each firing comes with a reason a CSM can read.
``at_risk`` rolls the firings up into at-risk accounts and ARR by CSM, team, tier,
segment or company. ``ctas`` turns firings into calls to action kept in the store,
opened once per account and rule, closed when the condition clears or by the CSM.
The rules, their parameters and the priority formula are documented in docs/risk.md.
"""

from __future__ import annotations

from csmetrics.risk.at_risk import GROUPS, at_risk
from csmetrics.risk.ctas import CtaRefresh, close, last_refresh, listing, refresh
from csmetrics.risk.evaluate import Evaluation, RuleStatus, evaluate

__all__ = [
    "GROUPS",
    "CtaRefresh",
    "Evaluation",
    "RuleStatus",
    "at_risk",
    "close",
    "evaluate",
    "last_refresh",
    "listing",
    "refresh",
]
