"""At-risk accounts and at-risk ARR by CSM, team, tier, segment or the whole company.

On day d an account is *at risk* when at least one enabled rule fires for it. Its
whole ARR on d is at-risk ARR, counted once however many rules fire. Per group:

* ``accounts`` and ``arr``: the paying accounts and their ARR on d (the book);
* ``at_risk_accounts`` and ``at_risk_arr``: those of them at risk;
* ``high_risk_accounts`` and ``high_risk_arr``: at risk by a rule of severity high;
* ``at_risk_share``: at_risk_arr / arr (empty when the group has no ARR).

Groups follow the owner on d (``assignments``), the owner's team, and the
account's tier and segment. The book is one row per account, so the grouping is
done on that small frame.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from csmetrics.errors import RiskError

if TYPE_CHECKING:
    from csmetrics.risk.evaluate import Evaluation

GROUPS: dict[str, tuple[str, ...]] = {
    "account": ("account_id", "account_name"),
    "csm": ("csm_id", "csm_name"),
    "team": ("team",),
    "tier": ("tier",),
    "segment": ("segment",),
    "company": (),
}
MEASURES = (
    "accounts",
    "at_risk_accounts",
    "high_risk_accounts",
    "arr",
    "at_risk_arr",
    "high_risk_arr",
    "at_risk_share",
)


def at_risk(evaluation: Evaluation, by: str = "company") -> pd.DataFrame:
    """One row per group and evaluation day (module doc)."""
    if by not in GROUPS:
        raise RiskError(f"unknown grouping {by!r}; use one of {', '.join(GROUPS)}")
    keys = list(GROUPS[by])
    flags = _flags(evaluation)
    book = evaluation.book.merge(flags, on=["as_of", "account_id"], how="left")
    book["at_risk"] = book["at_risk"].fillna(False).astype(bool)
    book["high_risk"] = book["high_risk"].fillna(False).astype(bool)
    arr = book["arr"].astype("float64")
    book = book.assign(
        arr=arr,
        at_risk_arr=np.where(book["at_risk"], arr, 0.0),
        high_risk_arr=np.where(book["high_risk"], arr, 0.0),
    )
    grouped = book.groupby([*keys, "as_of"], dropna=False, sort=False).agg(
        accounts=("account_id", "size"),
        at_risk_accounts=("at_risk", "sum"),
        high_risk_accounts=("high_risk", "sum"),
        arr=("arr", "sum"),
        at_risk_arr=("at_risk_arr", "sum"),
        high_risk_arr=("high_risk_arr", "sum"),
    )
    out = grouped.reset_index()
    if by == "company":
        out = _every_day(out, evaluation)
    for column in ("arr", "at_risk_arr", "high_risk_arr"):
        out[column] = out[column].astype("float64").round(2)
    for column in ("accounts", "at_risk_accounts", "high_risk_accounts"):
        out[column] = out[column].astype("int64")
    share = out["at_risk_arr"] / out["arr"].where(out["arr"] > 0)
    out["at_risk_share"] = share.astype("float64")
    out = out[[*keys, "as_of", *MEASURES]]
    order = ["as_of", "at_risk_arr", *keys]
    ascending = [True, False, *([True] * len(keys))]
    return out.sort_values(order, ascending=ascending, na_position="last").reset_index(drop=True)


def _flags(evaluation: Evaluation) -> pd.DataFrame:
    s = evaluation.signals
    if s.empty:  # keep the book's key types, or the merge refuses object vs float keys
        keys = evaluation.book[["as_of", "account_id"]].iloc[:0]
        return keys.assign(at_risk=pd.Series(dtype=bool), high_risk=pd.Series(dtype=bool))
    s = s.assign(high=s["severity"] == "high")
    flags = s.groupby(["as_of", "account_id"]).agg(high_risk=("high", "any")).reset_index()
    return flags.assign(at_risk=True)


def _every_day(out: pd.DataFrame, evaluation: Evaluation) -> pd.DataFrame:
    """One company row per day even on a day without paying accounts."""
    days = pd.DataFrame({"as_of": list(evaluation.days)})
    merged = days.merge(out, on="as_of", how="left")
    return merged.fillna({c: 0 for c in MEASURES if c != "at_risk_share"})
