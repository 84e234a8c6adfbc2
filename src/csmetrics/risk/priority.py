"""How urgent a call to action is, and when it is due.

Priority points = severity points (``risk.ctas.priority.severity_points``: high 2,
medium 1, low 0) + ARR points (2 when the account's ARR is at least ``arr_high``,
1 when at least ``arr_medium``, else 0) + renewal points (2 when the next renewal
is at most ``renewal_soon_days`` away, 1 when at most ``renewal_near_days``, else 0,
and 0 without a renewal date). The priority is *urgent* from ``urgent_at`` points,
*high* from ``high_at``, *medium* from ``medium_at``, else *low*.

Due date = the opening day + the rule's ``due_in_days``, but no later than
``risk.ctas.renewal_lead_days`` before the renewal, and never before the opening
day: a problem found two weeks before a renewal is due now.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from csmetrics.config.risk import PriorityConfig, RiskConfig

PRIORITIES = ("urgent", "high", "medium", "low")


def priority_points(
    severity: pd.Series, arr: pd.Series, days_to_renewal: pd.Series, config: PriorityConfig
) -> pd.Series:
    """Points per row (module doc); missing ARR or renewal scores 0 for that part."""
    arr = pd.to_numeric(arr, errors="coerce").astype("float64")
    days = pd.to_numeric(days_to_renewal, errors="coerce").astype("float64")
    sev = severity.map(config.severity_points).fillna(0).astype("int64").to_numpy()
    money = np.select([arr >= config.arr_high, arr >= config.arr_medium], [2, 1], 0)
    renewal = np.select(
        [days <= config.renewal_soon_days, days <= config.renewal_near_days], [2, 1], 0
    )
    return pd.Series(sev + money + renewal, index=severity.index, dtype="int64")


def priority_label(points: pd.Series, config: PriorityConfig) -> pd.Series:
    labels = np.select(
        [points >= config.urgent_at, points >= config.high_at, points >= config.medium_at],
        list(PRIORITIES[:3]),
        PRIORITIES[3],
    )
    return pd.Series(labels, index=points.index, dtype="object")


def due_dates(
    opened: date, due_in_days: pd.Series, renewal_date: pd.Series, lead_days: int
) -> pd.Series:
    """The due day per row (module doc)."""
    out = []
    for days, renewal in zip(due_in_days, renewal_date, strict=True):
        due = opened + timedelta(days=int(days))
        if renewal is not None and renewal == renewal:
            due = min(due, renewal - timedelta(days=lead_days))
        out.append(max(due, opened))
    return pd.Series(out, index=due_in_days.index, dtype="object")


def prioritise(signals: pd.DataFrame, config: RiskConfig, opened: date) -> pd.DataFrame:
    """``signals`` plus priority_points, priority and due_date for CTAs opened on ``opened``."""
    p = config.ctas.priority
    points = priority_points(signals["severity"], signals["arr"], signals["days_to_renewal"], p)
    due_in = signals["rule"].map(lambda name: getattr(config.rules, name).due_in_days)
    return signals.assign(
        priority_points=points,
        priority=priority_label(points, p),
        due_date=due_dates(opened, due_in, signals["renewal_date"], config.ctas.renewal_lead_days),
    )
