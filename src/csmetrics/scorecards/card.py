"""The scorecard of a CSM, a team or the company: each KPI against its target.

For the period asked for and the ``scorecards.trend_periods - 1`` before it, every
KPI of the preset is computed through the registry once (``results``). Each line of
the card then holds:

* the value with its numerator and denominator (ratios), the target and where it
  came from (``targets``), and the **attainment**: value / target when higher is
  better, target / value when lower is better (null without a positive target);
* a **Wilson interval** for shares of counted accounts or events (logo retention,
  renewal rate, onboardings within SLA...: unit ratio, parts counted, not an
  average, not in ``NOT_SHARES``), and ``count``: what the number rests on (the
  denominator of a counted ratio or an average, else the accounts in the book on
  the period's first day), flagged ``too_few`` below ``scorecards.min_count``;
* the **rank** among peers (a CSM among the CSMs of their team, a team among teams;
  1 = best in the KPI's direction; ties share the better rank) and the **trend**,
  one value per period, oldest first, with the change on the previous period.

The overall **score** is the weighted mean of the attainments, each floored at 0 and
capped at ``scorecards.attainment_cap``, over the KPIs that have one (the others'
weights are left out, so a missing target does not drag the score down). A team's or
the company's card also lists its members (CSMs or teams) with their score and rank.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from csmetrics import kpis
from csmetrics.errors import KpiError
from csmetrics.scorecards.book import book_frame
from csmetrics.scorecards.intervals import wilson
from csmetrics.scorecards.periods import trailing
from csmetrics.scorecards.presets import Preset, check_target_kpis, resolve_preset
from csmetrics.scorecards.results import grain_results
from csmetrics.scorecards.targets import DERIVED, resolve, stored

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.kpis import Kpi
    from csmetrics.periods import Period

Grain = Literal["csm", "team", "company"]
MEMBER_GRAIN: dict[str, str | None] = {"csm": None, "team": "csm", "company": "team"}
# Its denominator is the book: accounts paying on the period's first day.
BOOK_KPI = "logo_retention"
# Counted ratios that are not shares of independent accounts or events, so no Wilson
# interval: a difference of two shares (NPS); users or points over licenses or over
# checklist items of the same accounts.
NOT_SHARES = frozenset(
    {"nps", "license_utilisation", "key_feature_user_adoption", "onboarding_checklist_completion"}
)


def is_share(kpi: Kpi) -> bool:
    """A proportion of counted accounts or events, so a Wilson interval applies."""
    counted = kpi.unit == "ratio" and kpi.parts == "count" and not kpi.average
    return counted and kpi.name not in NOT_SHARES


@dataclass(frozen=True)
class Subject:
    grain: Grain
    id: str
    name: str
    team: str | None = None


@dataclass(frozen=True)
class Scorecard:
    """One card; ``lines`` has one row per KPI, ``members`` one per CSM or team."""

    subject: Subject
    period: Period
    periods: tuple[Period, ...]
    preset: Preset
    lines: pd.DataFrame
    score: float | None
    score_rank: int | None
    peers: int
    accounts: int
    members: pd.DataFrame
    member_grain: str | None
    confidence: float
    notes: tuple[str, ...] = field(default=())

    @property
    def trend_labels(self) -> list[str]:
        return [p.label for p in self.periods]


def build(
    engine: Engine,
    config: Config,
    grain: Grain,
    subject_id: str | None,
    period: Period,
    preset_name: str | None = None,
) -> Scorecard:
    """The scorecard of ``subject_id`` (a csm_id, a team name; ignored for the company)."""
    preset = resolve_preset(config, preset_name)
    check_target_kpis(config)
    options = config.scorecards
    periods = trailing(period, options.trend_periods, config.company.fiscal_year_start_month)
    staff = engine.execute(engine.table("csms").select("csm_id", "name", "team"))
    subject = _subject(config, staff, grain, subject_id)
    derive = DERIVED in preset.names and config.targets.logo_retention.derived
    book = book_frame(engine, config, [period]) if derive else None
    member_grain = MEMBER_GRAIN[grain]
    grains = [grain] if member_grain is None else [grain, member_grain]
    chosen = list(preset.kpis)
    if BOOK_KPI not in preset.names:
        chosen.append(kpis.get(BOOK_KPI))
    notes: list[str] = []
    teams = staff.set_index("csm_id")["team"]
    results = grain_results(engine, config, chosen, periods, grains, teams, notes)

    fetched = stored(engine, config, preset.names, grains, [period])
    peers = assess(engine, config, preset, periods, grain, results[grain], book, fetched)
    peers = peers[peers["grain_id"].isin(_peer_ids(peers, staff, subject))]
    peers = ranked(peers, preset)
    scores = scored(peers, preset, options.attainment_cap)
    own = scores[scores["grain_id"] == subject.id]
    members = pd.DataFrame()
    if member_grain is not None:
        found = results[member_grain]
        if grain == "team":
            found = found[found["grain_id"].map(teams) == subject.id]
        assessed = assess(engine, config, preset, periods, member_grain, found, book, fetched)
        members = _members(assessed, preset, options.attainment_cap)
    mine = peers[peers["grain_id"] == subject.id]
    return Scorecard(
        subject=subject,
        period=period,
        periods=tuple(periods),
        preset=preset,
        lines=_lines(mine, preset, periods),
        score=_first(own["score"]),
        score_rank=None if _first(own["rank"]) is None else int(own["rank"].iloc[0]),
        peers=int(scores["score"].notna().sum()),
        accounts=int(mine["accounts"].iloc[0]) if len(mine) else 0,
        members=members,
        member_grain=member_grain,
        confidence=options.confidence,
        notes=tuple(dict.fromkeys(notes)),
    )


# -- who ---------------------------------------------------------------------------


def _subject(config: Config, staff: pd.DataFrame, grain: Grain, subject_id: str | None) -> Subject:
    if grain == "company":
        return Subject("company", "all", config.company.name)
    if not subject_id:
        raise KpiError(f"a {grain} scorecard needs the {grain}'s id")
    if grain == "csm":
        row = staff[staff["csm_id"] == subject_id]
        if row.empty:
            raise KpiError(f"unknown CSM {subject_id!r}: not in the csms table")
        return Subject("csm", subject_id, str(row["name"].iloc[0]), str(row["team"].iloc[0]))
    if grain == "team":
        if not (staff["team"] == subject_id).any():
            known = ", ".join(sorted(staff["team"].dropna().unique()))
            raise KpiError(f"unknown team {subject_id!r}; teams: {known}")
        return Subject("team", subject_id, subject_id)
    raise KpiError(f"a scorecard is for a csm, a team or the company, not {grain!r}")


def _peer_ids(assessed: pd.DataFrame, staff: pd.DataFrame, subject: Subject) -> set[str]:
    """Whom the subject is ranked against: the CSMs of its team, every team, itself."""
    if subject.grain == "csm":
        return set(staff.loc[staff["team"] == subject.team, "csm_id"])
    return set(assessed["grain_id"]) | {subject.id}


# -- numbers against targets -----------------------------------------------------------


def assess(
    engine: Engine,
    config: Config,
    preset: Preset,
    periods: list[Period],
    grain: str,
    results: pd.DataFrame,
    book: pd.DataFrame | None,
    fetched: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per group and preset KPI in the last period: the numbers, accounts, target, its
    source (and, when derived, target_numerator / target_denominator), attainment,
    count, too_few, low/high, trend (``trend:<label>``) and change."""
    current = periods[-1].label
    now = results[results["period"] == current]
    accounts = now[now["kpi"] == BOOK_KPI].set_index("grain_id")["denominator"]
    mine = results[results["kpi"].isin(preset.names)]
    trend = mine.pivot_table(index=["grain_id", "kpi"], columns="period", values="value")
    trend = trend.reindex(columns=[p.label for p in periods])
    trend.columns = [f"trend:{c}" for c in trend.columns]
    out = mine[mine["period"] == current].drop(columns="period")
    ids = sorted(out["grain_id"].unique())
    targets = resolve(engine, config, preset.names, grain, periods[-1:], book, ids, fetched)
    targets = targets.drop(columns="period").rename(
        columns={"numerator": "target_numerator", "denominator": "target_denominator"}
    )
    out = out.merge(targets, on=["kpi", "grain_id"], how="left")
    out["accounts"] = out["grain_id"].map(accounts).fillna(0).astype("int64")
    definitions = {k.name: k for k in preset.kpis}
    kinds = [definitions[k] for k in out["kpi"]]
    out["attainment"] = [
        attainment(k.direction, v, t)
        for k, v, t in zip(kinds, out["value"], out["target"], strict=True)
    ]
    counted = [(k.is_ratio and k.parts == "count") or k.average for k in kinds]
    out["count"] = np.where(counted, out["denominator"], out["accounts"]).astype("float64")
    out["too_few"] = out["count"].fillna(0) < config.scorecards.min_count
    level = config.scorecards.confidence
    bounds = [
        wilson(n, d, level) if is_share(k) and _proportion(n, d) else (np.nan, np.nan)
        for k, n, d in zip(kinds, out["numerator"], out["denominator"], strict=True)
    ]
    out["low"] = [lo for lo, _ in bounds]
    out["high"] = [hi for _, hi in bounds]
    out = out.merge(trend.reset_index(), on=["grain_id", "kpi"], how="left")
    before = f"trend:{periods[-2].label}" if len(periods) > 1 else None
    out["change"] = out["value"] - out[before] if before else np.nan
    return out


def _proportion(numerator: float, denominator: float) -> bool:
    return bool(denominator > 0 and 0 <= numerator <= denominator)


def attainment(direction: str, value: float, target: float) -> float:
    """value / target (higher is better) or target / value (lower is better).

    Null without a value or a positive target; a lower-is-better KPI at 0 against a
    positive target has met it beyond any ratio: +inf, capped in the score.
    """
    if value != value or target != target or target <= 0:
        return np.nan
    if direction == "higher":
        return value / target
    if value <= 0:
        return np.inf
    return target / value


def ranked(frame: pd.DataFrame, preset: Preset) -> pd.DataFrame:
    """Adds ``rank`` (1 = best of the frame's groups, per KPI) and ``of`` (groups ranked)."""
    frame = frame.copy()
    frame["rank"] = np.nan
    frame["of"] = 0
    for kpi in preset.kpis:
        mask = (frame["kpi"] == kpi.name) & frame["value"].notna()
        values = frame.loc[mask, "value"]
        frame.loc[mask, "rank"] = values.rank(method="min", ascending=kpi.direction == "lower")
        frame.loc[frame["kpi"] == kpi.name, "of"] = int(mask.sum())
    return frame


def scored(assessed: pd.DataFrame, preset: Preset, cap: float) -> pd.DataFrame:
    """grain_id, score, rank: each group's weighted capped attainment, ranked (1 = best)."""
    if assessed.empty:
        return pd.DataFrame({"grain_id": pd.Series(dtype=object), "score": [], "rank": []})
    weights = assessed["kpi"].map(dict(zip(preset.names, preset.weights, strict=True)))
    weights = weights.astype("float64")
    capped = assessed["attainment"].clip(lower=0, upper=cap)
    has = capped.notna()
    parts = pd.DataFrame(
        {
            "grain_id": assessed["grain_id"],
            "weighted": (weights * capped).where(has, 0.0),
            "weight": weights.where(has, 0.0),
        }
    )
    totals = parts.groupby("grain_id", as_index=False)[["weighted", "weight"]].sum()
    totals["score"] = (totals["weighted"] / totals["weight"]).where(totals["weight"] > 0)
    totals["rank"] = totals["score"].rank(method="min", ascending=False)
    return totals[["grain_id", "score", "rank"]]


# -- shapes --------------------------------------------------------------------------


def _lines(mine: pd.DataFrame, preset: Preset, periods: list[Period]) -> pd.DataFrame:
    """The subject's lines in preset order; a KPI without a result still gets its line."""
    rows = mine.set_index("kpi")
    out = []
    for kpi in preset.kpis:
        row = rows.loc[kpi.name].to_dict() if kpi.name in rows.index else {}
        source = row.get("source")
        out.append(
            {
                "kpi": kpi.name,
                "title": kpi.title,
                "unit": kpi.unit,
                "parts": kpi.parts,
                "average": kpi.average,
                "direction": kpi.direction,
                "weight": preset.weight(kpi.name),
                "value": row.get("value", np.nan),
                "numerator": row.get("numerator", np.nan),
                "denominator": row.get("denominator", np.nan),
                "target": row.get("target", np.nan),
                "target_source": source if isinstance(source, str) else None,
                "target_numerator": row.get("target_numerator", np.nan),
                "target_denominator": row.get("target_denominator", np.nan),
                "attainment": row.get("attainment", np.nan),
                "low": row.get("low", np.nan),
                "high": row.get("high", np.nan),
                "count": row.get("count", np.nan),
                "too_few": bool(row.get("too_few", True)),
                "rank": row.get("rank", np.nan),
                "of": int(row.get("of", 0) or 0),
                "change": row.get("change", np.nan),
                **{p.label: row.get(f"trend:{p.label}", np.nan) for p in periods},
            }
        )
    return pd.DataFrame(out)


def _members(assessed: pd.DataFrame, preset: Preset, cap: float) -> pd.DataFrame:
    """One row per member: id, name, accounts, each KPI's value and attainment, score, rank."""
    if assessed.empty:
        return pd.DataFrame()
    scores = scored(assessed, preset, cap).set_index("grain_id")
    first = assessed.drop_duplicates("grain_id").set_index("grain_id")
    out = pd.DataFrame({"id": first.index, "name": first["name"].to_numpy()})
    out["accounts"] = out["id"].map(first["accounts"]).astype("int64")
    for kpi in preset.names:
        mine = assessed[assessed["kpi"] == kpi].set_index("grain_id")
        out[kpi] = out["id"].map(mine["value"]).astype("float64")
        out[f"{kpi}:attainment"] = out["id"].map(mine["attainment"]).astype("float64")
    out["score"] = out["id"].map(scores["score"]).astype("float64")
    out["rank"] = out["id"].map(scores["rank"]).astype("float64")
    return out.sort_values(["rank", "id"], na_position="last").reset_index(drop=True)


def _first(values: pd.Series) -> float | None:
    if values.empty or pd.isna(values.iloc[0]):
        return None
    return float(values.iloc[0])
