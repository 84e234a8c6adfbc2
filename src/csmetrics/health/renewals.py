"""Renewal outcomes in history: the examples a health model is back-tested on.

A *renewal* is a day on which at least one of an account's contracts reached its
contractual end (``end_date``; open-ended contracts never fall due). The account
*churned* at that renewal when no paid contract of it (ARR above 0, another contract)
starts by ``end_date + revenue.renewal_grace_days`` and runs past ``end_date``: the
logo left. Renewing only part of the contracts is a renewal (a contraction), not churn.
Only renewals whose outcome is known by the data's as-of day are examples. The billing
term of a renewal is that of its largest due contract.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from csmetrics.health.population import month_end
from csmetrics.periods import add_months

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.engine import Engine

EVENT_COLUMNS = ("account_id", "renewal_date", "billing_term", "churned")


def renewal_events(engine: Engine, config: Config, as_of: date) -> pd.DataFrame:
    """account_id, renewal_date, billing_term, churned: one row per account and renewal day."""
    c = engine.table("contracts")
    grace = config.revenue.renewal_grace_days
    last_known = as_of - timedelta(days=grace)
    due = c.filter(c.end_date.notnull() & (c.end_date <= last_known))
    per_day = due.group_by(["account_id", "end_date"]).aggregate(
        billing_term=due.billing_term.argmax(due.arr),
        _ids=due.contract_id.collect(),
    )
    paid = c.filter(c.arr > 0).select(
        _account="account_id", _id="contract_id", _start="start_date", _end="end_date"
    )
    joined = per_day.left_join(
        paid,
        [
            paid._account == per_day.account_id,
            paid._start <= per_day.end_date + ibis.interval(days=grace),
            paid._end.isnull() | (paid._end > per_day.end_date),
            ~per_day._ids.contains(paid._id),
        ],
    )
    events = joined.group_by(["account_id", "end_date", "billing_term"]).aggregate(
        continuing=joined._id.count()
    )
    frame = engine.execute(
        events.select(
            "account_id",
            renewal_date=events.end_date,
            billing_term=events.billing_term,
            churned=events.continuing == 0,
        )
    )
    frame["renewal_date"] = pd.to_datetime(frame["renewal_date"]).dt.date
    frame["churned"] = frame["churned"].astype(bool)
    return frame.sort_values(["renewal_date", "account_id"], kind="stable").reset_index(drop=True)


def scoring_day(renewal: date, horizon_months: int) -> date:
    """The last month end at least ``horizon_months`` months before the renewal day."""
    target = add_months(renewal, -horizon_months)
    end = month_end(target)
    return end if end == target else date(target.year, target.month, 1) - timedelta(days=1)
