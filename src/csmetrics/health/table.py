"""The health table: each account's score, band, change, trend and why it changed.

*change* is the score minus the account's score at the previous month end; *trend*
the score minus its score ``health.trend_months`` month ends earlier. *why* names the
measure whose contribution moved the score most in the direction it moved, with its
raw value then and now ("fell 14: License utilisation 72% -> 41%"). By any other
grain: accounts scored, mean score, accounts and ARR per band, mean change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from csmetrics.health.book import open_book
from csmetrics.health.display import BETTER, format_raw, grain_columns, label, months_before
from csmetrics.health.scoring import BANDS
from csmetrics.kpis.grains import GRAIN_COLUMNS

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.config.health import HealthModel
    from csmetrics.engine import Engine
    from csmetrics.health.book import Book

STEADY = 0.5  # a change smaller than half a point is not explained


@dataclass(frozen=True)
class HealthTable:
    model: str
    as_of: date
    compared_to: date
    trend_since: date
    by: str
    frame: pd.DataFrame


def change_reasons(
    model: HealthModel, now: pd.DataFrame, before: pd.DataFrame, change: pd.Series
) -> pd.Series:
    """Per account (index of ``change``): the measures behind the change, in words.

    The measure whose contribution moved most in the direction of the change, then a
    second one when it moved at least a fifth as much as the whole change.
    """
    if now.empty:
        return pd.Series(dtype="object")
    merged = now.merge(
        before[["account_id", "measure", "raw", "contribution"]],
        on=["account_id", "measure"],
        how="left",
        suffixes=("", "_before"),
    )
    merged["delta"] = merged["contribution"] - merged["contribution_before"].fillna(0.0)
    merged["direction"] = merged["account_id"].map(np.sign(change)).fillna(0.0)
    merged["pull"] = merged["delta"] * merged["direction"]
    ranked = merged.sort_values(["account_id", "pull"], ascending=[True, False], kind="stable")
    top = ranked.groupby("account_id", sort=False).head(2)
    reasons: dict[str, str] = {}
    for account, rows in top.groupby("account_id", sort=False):
        moved = change.get(account)
        if moved is None or np.isnan(moved):
            reasons[account] = "first score"
            continue
        if abs(moved) < STEADY:
            reasons[account] = "steady"
            continue
        parts = []
        for i, row in enumerate(rows.itertuples(index=False)):
            if i and row.pull < abs(moved) / 5:
                break
            measure = model.measures[row.measure]
            parts.append(
                f"{label(row.measure, measure)} {format_raw(measure, row.raw_before)} -> "
                f"{format_raw(measure, row.raw)} ({row.delta:+.1f})"
            )
        verb = "fell" if moved < 0 else "rose"
        reasons[account] = f"{verb} {abs(moved):.0f}: " + ", ".join(parts)
    return pd.Series(reasons, dtype="object")


def health_table(
    engine: Engine,
    config: Config,
    as_of: date | None = None,
    model: str | None = None,
    by: str = "account",
) -> HealthTable:
    book = open_book(engine, config, model)
    day = book.day(as_of)
    previous = months_before(day, 1)
    since = months_before(day, config.health.trend_months)
    now = book.snapshot(day)
    scores = now.scores.merge(
        now.population[["account_id", "tier", "arr"]], on="account_id", how="left"
    )
    before = _scores_on(book, previous)
    earlier = _scores_on(book, since)
    scores["previous"] = scores["account_id"].map(before.set_index("account_id")["score"])
    scores["change"] = scores["score"] - scores["previous"]
    scores["trend"] = scores["score"] - scores["account_id"].map(
        earlier.set_index("account_id")["score"]
    )
    change = scores.set_index("account_id")["change"]
    why = change_reasons(book.model, now.measures, book.measures([previous]), change)
    scores["why"] = scores["account_id"].map(why)
    scores = scores.assign(as_of=day, compared_to=previous, trend_since=since, better=BETTER)
    grains = grain_columns(engine, config, day, by)
    fresh = [c for c in grains.columns if c == "account_id" or c not in scores.columns]
    scores = scores.merge(grains[fresh], on="account_id", how="left")
    frame = _by_account(engine, scores) if by == "account" else _grouped(scores, by)
    return HealthTable(book.model_name, day, previous, since, by, frame)


def _scores_on(book: Book, day: date) -> pd.DataFrame:
    if day in book.days:
        return book.scores([day])
    if day < book.days[0]:
        return pd.DataFrame({"account_id": [], "score": []})
    return book.snapshot(day).scores


def _by_account(engine: Engine, scores: pd.DataFrame) -> pd.DataFrame:
    columns = [
        "account_id",
        "account_name",
        "tier",
        "arr",
        "score",
        "band",
        "change",
        "trend",
        "why",
        "as_of",
        "compared_to",
        "trend_since",
        "better",
    ]
    order = scores.sort_values(["score", "account_id"], na_position="first", kind="stable")
    return order[columns].reset_index(drop=True)


def _grouped(scores: pd.DataFrame, by: str) -> pd.DataFrame:
    keys = list(GRAIN_COLUMNS[by])
    scores = scores.copy()
    if not keys:
        scores["_all"] = "all"
        keys = ["_all"]
    for column in keys:
        scores[column] = scores[column].fillna("(none)")
    rows = []
    for key, part in scores.groupby(keys, sort=True, dropna=False):
        values = key if isinstance(key, tuple) else (key,)
        row = dict(zip(keys, values, strict=True))
        row.update(
            accounts=len(part),
            scored=int(part["score"].notna().sum()),
            score=part["score"].mean(),
            change=part["change"].mean(),
            arr=part["arr"].sum(),
        )
        for band in BANDS:
            mine = part["band"] == band
            row[band] = int(mine.sum())
            row[f"{band}_arr"] = float(part.loc[mine, "arr"].sum())
        rows.append(row)
    frame = pd.DataFrame(rows).drop(columns=["_all"], errors="ignore")
    first = scores.iloc[0] if len(scores) else None
    for column in ("as_of", "compared_to", "trend_since", "better"):
        frame[column] = first[column] if first is not None else None
    return frame
