"""Targets per CSM, team or company per period, and where each one comes from.

Precedence, first match wins, for a KPI, a group and a period:

1. ``table``: a row of the ``targets`` table (kpi, grain, grain_id, period);
2. ``config``: an entry of ``targets.values`` (for the company's MAU also
   ``adoption.mau_targets``), read by ``kpis.adoption.stored_targets``;
3. ``derived``: logo retention derived from the group's renewing customers (see
   ``book``) when ``targets.logo_retention.derived`` is on;
4. ``default``: ``targets.default[kpi]``, the same for every group and period.

Ids are the csm_id, the team name, or ``all`` for the company.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import ibis
import pandas as pd

from csmetrics.errors import KpiError
from csmetrics.kpis.adoption import stored_targets
from csmetrics.kpis.compute import context
from csmetrics.scorecards.book import book_frame, group_id, group_totals

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.periods import Period

TARGET_COLUMNS = ["kpi", "grain_id", "period", "target", "source", "numerator", "denominator"]
DERIVED = "logo_retention"


def stored(
    engine: Engine,
    config: Config,
    kpis: Sequence[str],
    grains: Sequence[str],
    periods: Sequence[Period],
) -> pd.DataFrame:
    """grain, kpi, grain_id, period, target, source: table and config targets, one query."""
    labels = [p.label for p in periods]
    ctx = context(engine, config, periods, "company", None)
    parts = []
    for grain in grains:
        expr = stored_targets(ctx, list(kpis), grain)
        parts.append(expr.filter(expr.period.isin(labels)).mutate(grain=ibis.literal(grain)))
    return engine.execute(ibis.union(*parts))


def resolve(
    engine: Engine,
    config: Config,
    kpis: Sequence[str],
    grain: str,
    periods: Sequence[Period],
    book: pd.DataFrame | None = None,
    ids: Sequence[str] = (),
    fetched: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per KPI, group and period that has a target: TARGET_COLUMNS.

    ``book`` is ``book.book_frame`` for ``periods`` (needed for the derived target);
    numerator and denominator are filled for derived targets (expected accounts kept,
    accounts at the start), so a derived target can be checked by hand. Defaults are
    listed for the groups in ``book`` and in ``ids``. ``fetched`` is ``stored`` for
    this grain (and maybe others) when the caller already has it.
    """
    labels = [p.label for p in periods]
    if fetched is None:
        fetched = stored(engine, config, kpis, [grain], periods)
    table_rows = fetched[(fetched["grain"] == grain) & fetched["period"].isin(labels)]
    table_rows = table_rows[table_rows["kpi"].isin(kpis)].drop(columns="grain")
    frames = [table_rows.assign(numerator=float("nan"), denominator=float("nan"))]
    if DERIVED in kpis and config.targets.logo_retention.derived and book is not None:
        totals = group_totals(book, grain)
        frames.append(
            pd.DataFrame(
                {
                    "kpi": DERIVED,
                    "grain_id": totals["grain_id"],
                    "period": totals["period"],
                    "target": totals["expected_kept"] / totals["accounts"],
                    "source": "derived",
                    "numerator": totals["expected_kept"],
                    "denominator": totals["accounts"],
                }
            )
        )
    defaults = {k: v for k, v in config.targets.default.items() if k in kpis}
    if defaults:
        groups = set(ids) | (set(_group_ids(book, grain)) if book is not None else set())
        if grain == "company":
            groups = {"all"}
        rows = [
            (kpi, gid, label, value, "default")
            for kpi, value in defaults.items()
            for gid in sorted(groups)
            for label in labels
        ]
        frames.append(pd.DataFrame(rows, columns=TARGET_COLUMNS[:5]))
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in TARGET_COLUMNS})
    out = pd.concat(frames, ignore_index=True).reindex(columns=TARGET_COLUMNS)
    out = out.drop_duplicates(["kpi", "grain_id", "period"], keep="first")
    return out.reset_index(drop=True)


def _group_ids(book: pd.DataFrame, grain: str) -> list[str]:
    return sorted(group_id(book, grain).dropna().unique().tolist())


def _dtype(column: str) -> str:
    return "float64" if column in ("target", "numerator", "denominator") else "object"


def targets_for(
    engine: Engine, config: Config, kpis: Sequence[str], grain: str, period: Period
) -> pd.DataFrame:
    """The targets of ``kpis`` for every group at ``grain`` in ``period``, with sources.

    Columns: the grain's id (csm_id and csm_name, team, or none for the company), kpi,
    period, target, source, and numerator / denominator of derived targets.
    """
    if grain not in ("csm", "team", "company"):
        raise KpiError(f"targets are set per csm, team or company, not {grain!r}")
    book = book_frame(engine, config, [period])
    frame = resolve(engine, config, kpis, grain, [period], book)
    order = {name: i for i, name in enumerate(kpis)}
    frame = frame.sort_values(
        ["grain_id", "kpi"], key=lambda c: c.map(order) if c.name == "kpi" else c
    )
    if grain == "company":
        return frame.drop(columns="grain_id").reset_index(drop=True)
    rest = [c for c in frame.columns if c != "grain_id"]
    if grain == "team":
        return frame.rename(columns={"grain_id": "team"})[["team", *rest]].reset_index(drop=True)
    names = book.drop_duplicates("csm_id").set_index("csm_id")["csm_name"]
    frame = frame.rename(columns={"grain_id": "csm_id"})
    frame["csm_name"] = frame["csm_id"].map(names)
    return frame[["csm_id", "csm_name", *rest]].reset_index(drop=True)
