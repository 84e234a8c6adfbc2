"""Customer outcome vs customer experience: the four quadrants, and movement between them.

Each axis (0-100) is the weighted mean of the points of the measures ``quadrant.outcome``
(value achieved: adoption, goals) or ``quadrant.experience`` (NPS, CSAT, support)
name, from the health model's kept measure detail (so the tier's points apply); a
measure without points is left out and its weight spread over the others. An axis
with no measure present is unknown, and so is the account's quadrant.

* outcome >= ``outcome_split`` and experience >= ``experience_split``: Happy & Successful
* outcome high, experience low: Trapped (getting value, not enjoying it)
* outcome low, experience high: Accessible to competition (they like you, little value)
* both low: High Risk

Movement compares each account's quadrant on the day asked with its quadrant at the
end of the previous fiscal quarter: from -> to, with accounts and ARR (on the day);
an account that was not a customer then comes "from" New customer, one no longer
paying goes "to" Left.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from csmetrics.health.book import Snapshot, open_book
from csmetrics.health.display import grain_columns
from csmetrics.kpis.grains import GRAIN_COLUMNS
from csmetrics.periods import period_containing

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.engine import Engine

QUADRANTS = ("Happy & Successful", "Trapped", "Accessible to competition", "High Risk")
UNKNOWN = "Not enough data"
NEW = "New customer"
LEFT = "Left"


@dataclass(frozen=True)
class Quadrant:
    model: str
    as_of: date
    previous_day: date
    accounts: pd.DataFrame  # account_id, outcome, experience, quadrant, arr (+ grain columns)
    summary: pd.DataFrame  # grain columns, quadrant, accounts, arr, share, arr_share
    movement: pd.DataFrame  # from, to, accounts, arr


def axis(measures: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    """Per account: the weighted mean of the points of the named measures present."""
    part = measures[measures["measure"].isin(list(weights))]
    part = part[part["points"].notna()]
    w = part["measure"].map(weights).astype("float64")
    part = part.assign(_w=w, _wp=w * part["points"])
    grouped = part.groupby("account_id")[["_w", "_wp"]].sum()
    return (grouped["_wp"] / grouped["_w"]).where(grouped["_w"] > 0)


def classify(outcome: pd.Series, experience: pd.Series, config: Config) -> pd.Series:
    q = config.quadrant
    high_o = outcome >= q.outcome_split
    high_e = experience >= q.experience_split
    names = np.select(
        [high_o & high_e, high_o & ~high_e, ~high_o & high_e],
        list(QUADRANTS[:3]),
        QUADRANTS[3],
    )
    out = pd.Series(names, index=outcome.index, dtype="object")
    out[outcome.isna() | experience.isna()] = UNKNOWN
    return out


def positions(snapshot: Snapshot, config: Config) -> pd.DataFrame:
    """account_id, outcome, experience, quadrant, arr for the accounts of a snapshot."""
    accounts = snapshot.population[["account_id", "arr"]].drop_duplicates("account_id")
    accounts = accounts.set_index("account_id")
    outcome = axis(snapshot.measures, config.quadrant.outcome).reindex(accounts.index)
    experience = axis(snapshot.measures, config.quadrant.experience).reindex(accounts.index)
    frame = pd.DataFrame(
        {
            "outcome": outcome,
            "experience": experience,
            "quadrant": classify(outcome, experience, config),
            "arr": accounts["arr"],
        }
    )
    return frame.rename_axis("account_id").reset_index()


def quadrant(
    engine: Engine, config: Config, as_of: date | None = None, by: str = "company"
) -> Quadrant:
    book = open_book(engine, config, config.quadrant.model)
    day = book.day(as_of)
    fiscal = config.company.fiscal_year_start_month
    previous = period_containing(day, "quarter", fiscal).start - timedelta(days=1)
    now = positions(book.snapshot(day), config)
    grains = grain_columns(engine, config, day, by)
    now = now.merge(grains, on="account_id", how="left")
    then = (
        positions(book.snapshot(previous), config)
        if book.days and previous >= book.days[0]
        else pd.DataFrame(columns=["account_id", "quadrant", "arr"])
    )
    return Quadrant(
        model=book.model_name,
        as_of=day,
        previous_day=previous,
        accounts=now,
        summary=_summary(now, by),
        movement=_movement(then, now),
    )


def _summary(now: pd.DataFrame, by: str) -> pd.DataFrame:
    keys = list(GRAIN_COLUMNS[by])
    frame = now.copy()
    for column in keys:
        frame[column] = frame[column].fillna("(none)")
    order = [*QUADRANTS, UNKNOWN]
    rows = []
    groups = frame.groupby(keys, sort=True) if keys else [((), frame)]
    for key, part in groups:
        values = key if isinstance(key, tuple) else (key,)
        total, total_arr = len(part), float(part["arr"].sum())
        for name in order:
            mine = part[part["quadrant"] == name]
            if name == UNKNOWN and mine.empty:
                continue
            row = dict(zip(keys, values, strict=True))
            row.update(
                quadrant=name,
                accounts=len(mine),
                arr=float(mine["arr"].sum()),
                share=len(mine) / total if total else np.nan,
                arr_share=float(mine["arr"].sum()) / total_arr if total_arr else np.nan,
            )
            rows.append(row)
    return pd.DataFrame(rows, columns=[*keys, "quadrant", "accounts", "arr", "share", "arr_share"])


def _movement(then: pd.DataFrame, now: pd.DataFrame) -> pd.DataFrame:
    """From -> to per account; ARR on the day, or when it left, on the quarter end."""
    before = (
        then.set_index("account_id") if len(then) else pd.DataFrame(columns=["quadrant", "arr"])
    )
    after = now.set_index("account_id")
    ids = pd.Index(sorted(set(before.index) | set(after.index)))
    moves = pd.DataFrame(
        {
            "from": before["quadrant"].reindex(ids).fillna(NEW).to_numpy(),
            "to": after["quadrant"].reindex(ids).fillna(LEFT).to_numpy(),
            "arr": after["arr"].reindex(ids).fillna(before["arr"].reindex(ids)).to_numpy(),
        }
    )
    if moves.empty:
        return pd.DataFrame(columns=["from", "to", "accounts", "arr"])
    grouped = moves.groupby(["from", "to"], sort=False).agg(
        accounts=("arr", "size"), arr=("arr", "sum")
    )
    order = {name: i for i, name in enumerate([NEW, *QUADRANTS, UNKNOWN, LEFT])}
    grouped = grouped.reset_index()
    grouped["_f"] = grouped["from"].map(order)
    grouped["_t"] = grouped["to"].map(order)
    return grouped.sort_values(["_f", "_t"]).drop(columns=["_f", "_t"]).reset_index(drop=True)
