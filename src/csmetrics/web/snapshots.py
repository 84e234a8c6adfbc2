"""KPI snapshots: the pages' numbers computed once per data version, per account.

Every KPI a page shows is a sum (money, counts) or a ratio/average of two sums, so
computing it once at the account grain, with each account's owner on the period's
first day, lets any selection (a CSM, a team, a tier, a segment, or a mix) be summed
from a few thousand rows in memory, and the sum equals what the KPI engine answers
at that grain (a test checks it). ``mau_attainment`` needs the targets of a group,
so it is kept at the company, team and CSM grains instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pandas as pd

from csmetrics.errors import KpiError
from csmetrics.kpis import get as get_kpi
from csmetrics.kpis.compute import SEP, check_available, compute_many, context, expression_many
from csmetrics.kpis.grains import owners
from csmetrics.periods import Period, last_complete, period_containing

if TYPE_CHECKING:
    from csmetrics.workspace import Workspace

# KPIs that add up from accounts: totals of money or counts, or ratios/averages whose
# numerator and denominator are such totals.
SNAPSHOT_KPIS: tuple[str, ...] = (
    "arr",
    "active_accounts",
    "logo_retention",
    "grr",
    "nrr",
    "new_arr",
    "expansion_arr",
    "contraction_arr",
    "churned_arr",
    "renewal_rate",
    "mau",
    "license_utilisation",
    "key_feature_user_adoption",
    "key_feature_account_adoption",
    "mau_new_users",
    "mau_retained_users",
    "mau_reengaged_users",
    "mau_lapsed_users",
    "onboarding_days",
    "onboarding_within_sla",
    "open_onboardings",
    "open_onboarding_age_days",
    "onboarding_checklist_completion",
    "time_to_value_days",
    "nps",
    "nps_response_rate",
    "csat",
    "ces",
    "support_csat",
    "advocacy_actions",
    "advocacy_g2_review",
    "advocacy_case_study",
    "advocacy_reference",
    "advocacy_success_story",
    "advocacy_promoter",
    "advocacy_positive_csat",
    "validated_references",
)
GROUP_KPIS: tuple[str, ...] = ("mau_attainment",)
GROUP_GRAINS: tuple[str, ...] = ("company", "team", "csm")
ROW_COLUMNS = ("period", "account_id", "csm_id", "team", "tier", "segment")


@dataclass(frozen=True)
class Aggregate:
    """A KPI summed over a selection: the value and, for ratios, its two parts."""

    value: float | None
    numerator: float | None = None
    denominator: float | None = None


@dataclass(frozen=True)
class Snapshot:
    """Per-account KPI rows for a set of periods, ready to be filtered and summed."""

    as_of: date
    periods: tuple[Period, ...]
    facts: dict[str, pd.DataFrame]
    groups: dict[str, pd.DataFrame]
    missing: dict[str, str] = field(default_factory=dict)

    def period(self, label: str) -> Period | None:
        return next((p for p in self.periods if p.label == label), None)

    def has(self, kpi: str) -> bool:
        return kpi in self.facts


def default_periods(ws: Workspace, as_of: date) -> list[Period]:
    """The last complete quarters and months the pages offer (config ``web``)."""
    fiscal = ws.config.company.fiscal_year_start_month
    out: list[Period] = []
    for kind, count in (
        ("quarter", ws.config.web.snapshot_quarters),
        ("month", ws.config.web.snapshot_months),
    ):
        last = last_complete(kind, as_of + timedelta(days=1), fiscal)  # type: ignore[arg-type]
        run = [last]
        while len(run) < count:
            run.append(period_containing(run[-1].start - timedelta(days=1), kind, fiscal))  # type: ignore[arg-type]
        out += reversed(run)
    return out


def build(ws: Workspace, periods: Sequence[Period], as_of: date) -> Snapshot:
    """Compute the snapshot KPIs at the account grain for ``periods`` (module doc)."""
    engine, config = ws.engine, ws.config
    available, missing = [], {}
    for name in SNAPSHOT_KPIS:
        try:
            check_available(engine, config, get_kpi(name), "account")
            available.append(name)
        except KpiError as exc:
            missing[name] = str(exc)
    owned = _owners(ws, periods)
    facts = {
        name: _rows(frame, owned) for name, frame in _unrounded(ws, available, periods).items()
    }
    groups = {}
    for name in GROUP_KPIS:
        try:
            check_available(engine, config, get_kpi(name), "company")
        except KpiError as exc:
            missing[name] = str(exc)
            continue
        parts = []
        for grain in GROUP_GRAINS:
            frame = compute_many(engine, config, [name], periods, grain)[name]
            key = {"company": None, "team": "team", "csm": "csm_id"}[grain]
            parts.append(
                frame.assign(grain=grain, group=frame[key].astype("string") if key else "all")
            )
        groups[name] = pd.concat(parts, ignore_index=True)
    return Snapshot(as_of, tuple(periods), facts, groups, missing)


def _unrounded(
    ws: Workspace, names: Sequence[str], periods: Sequence[Period]
) -> dict[str, pd.DataFrame]:
    """The account-grain results before money is rounded to cents, so sums of accounts
    round like the engine's own totals."""
    ctx = context(ws.engine, ws.config, periods, "account", None)
    families: dict[object, list] = {}
    for name in names:
        kpi = get_kpi(name)
        families.setdefault(kpi.facts, []).append(kpi)
    out: dict[str, pd.DataFrame] = {}
    for members in families.values():
        frame = ws.engine.execute(expression_many(members, ctx))
        for kpi in members:
            prefix = f"{kpi.name}{SEP}"
            parts = {c: c.removeprefix(prefix) for c in frame.columns if c.startswith(prefix)}
            part = frame[["period", "account_id", *parts]].rename(columns=parts)
            for column in ("value", "numerator", "denominator"):
                if column in part:
                    part[column] = part[column].astype("float64")
            out[kpi.name] = part
    return out


def _owners(ws: Workspace, periods: Sequence[Period]) -> pd.DataFrame:
    """period, account_id, csm_id (owner on the first day), team, tier, segment."""
    ctx = context(ws.engine, ws.config, periods, "account", None)
    table = ctx.periods_table().select("period", "period_start")
    owned = owners(ctx)
    joined = owned.join(table, "period_start").select("period", "account_id", "csm_id")
    frame = ws.engine.execute(joined)
    return with_attributes(ws, frame)


def with_attributes(ws: Workspace, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (account_id, csm_id) plus the owner's team and the account's tier, segment."""
    csms = ws.engine.execute(ws.table("csms").select("csm_id", "team"))
    accounts = ws.engine.execute(ws.table("accounts").select("account_id", "tier", "segment"))
    out = frame.merge(csms, on="csm_id", how="left").merge(accounts, on="account_id", how="left")
    for column in ("account_id", "csm_id", "team", "tier", "segment"):
        out[column] = out[column].astype("string")
    return out


def _rows(frame: pd.DataFrame, owned: pd.DataFrame) -> pd.DataFrame:
    keep = [c for c in ("period", "account_id", "value", "numerator", "denominator") if c in frame]
    rows = frame[keep].copy()
    rows["account_id"] = rows["account_id"].astype("string")
    rows = rows.merge(owned, on=["period", "account_id"], how="left")
    return categorical(rows, ROW_COLUMNS)


def categorical(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Key columns as categories: filtering and grouping thousands of rows per request
    stays in the low milliseconds."""
    for column in columns:
        if column in frame.columns:
            frame[column] = frame[column].astype("string").astype("category")
    return frame


def aggregate(rows: pd.DataFrame, kpi: str) -> Aggregate:
    """Sum a KPI's account rows the way the engine sums its facts (money to cents)."""
    spec = get_kpi(kpi)
    if spec.is_ratio:
        numerator = _tidy(float(rows["numerator"].sum()), spec.parts)
        denominator = _tidy(float(rows["denominator"].sum()), spec.parts)
        raw = float(rows["denominator"].sum())
        value = float(rows["numerator"].sum()) / raw if raw else None
        return Aggregate(value, numerator, denominator)
    return Aggregate(_tidy(float(rows["value"].sum()) if len(rows) else 0.0, spec.unit))


def _tidy(value: float, unit: str) -> float:
    return round(value, 2) if unit == "money" else value


def by_group(rows: pd.DataFrame, kpi: str, keys: Sequence[str]) -> pd.DataFrame:
    """One row per group of ``keys``: value (and numerator/denominator for ratios)."""
    keys = list(keys)
    spec = get_kpi(kpi)
    if spec.is_ratio:
        grouped = rows.groupby(keys, dropna=False, observed=True)
        out = grouped[["numerator", "denominator"]].sum().reset_index()
        out["value"] = out["numerator"] / out["denominator"].where(out["denominator"] != 0)
        if spec.parts == "money":
            out[["numerator", "denominator"]] = out[["numerator", "denominator"]].round(2)
        return out
    out = rows.groupby(keys, dropna=False, observed=True)["value"].sum().reset_index()
    if spec.unit == "money":
        out["value"] = out["value"].round(2)
    return out
