"""Adoption, onboarding, surveys and advocacy: KPIs of the period, trends and the rows behind them."""

from __future__ import annotations

import pandas as pd

from csmetrics.web.roles import EVERYONE
from csmetrics.web.scoped import ScopedData
from csmetrics.web.views.base import (
    Chart,
    Column,
    Series,
    Table,
    View,
    kpi_number,
    page,
    period_as_of,
)
from csmetrics.web.views.common import KEY_LABEL, breakdown, breakdown_key, trend


def _numbers(d: ScopedData, view: View, names: tuple[str, ...]) -> None:
    assert view.period is not None
    as_of = period_as_of(view.period, d.as_of)
    for name in names:
        view.numbers.append(kpi_number(name, d.kpi(name), as_of, view.period, note=_why(d, name)))


def _why(d: ScopedData, name: str) -> str:
    missing = d.missing(name)
    return "not available: no data" if missing else ""


def _breakdown(d: ScopedData, view: View, names: tuple[str, ...]) -> None:
    assert view.period is not None
    key = breakdown_key(d)
    frame, columns = breakdown(d, key, names, view.period)
    as_of = period_as_of(view.period, d.as_of)
    view.tables.append(
        Table(
            "breakdown", f"{view.period.label} by {KEY_LABEL[key].lower()}", frame, columns, as_of
        )
    )


ADOPTION = (
    "mau",
    "license_utilisation",
    "key_feature_user_adoption",
    "key_feature_account_adoption",
    "mau_new_users",
    "mau_retained_users",
    "mau_reengaged_users",
    "mau_lapsed_users",
)


@page("adoption", "/adoption", "Adoption", EVERYONE)
def adoption(d: ScopedData, params: dict[str, str]) -> View:
    """Monthly active users, license utilisation, key features and how MAU changed."""
    period = d.period()
    view = View("adoption", "Adoption", d.as_of, period)
    _numbers(d, view, ADOPTION)
    charts = [
        trend(d, "mau", "Monthly active users", ["mau"], kind="month"),
        trend(
            d,
            "utilisation",
            "License utilisation and key-feature adoption",
            ["license_utilisation", "key_feature_user_adoption"],
            kind="month",
        ),
    ]
    change = _mau_change(d)
    view.charts = [c for c in (*charts, change) if c is not None]
    _breakdown(
        d,
        view,
        (
            "mau",
            "license_utilisation",
            "key_feature_user_adoption",
            "mau_new_users",
            "mau_lapsed_users",
        ),
    )
    rows = d.kpi_rows("license_utilisation")
    if rows is not None:
        accounts = d.accounts()[["account_id", "account_name", "csm_name", "tier", "arr"]]
        low = rows[rows["denominator"] > 0].merge(accounts, on="account_id", how="inner")
        low = low.rename(columns={"numerator": "mau", "denominator": "licenses"}).sort_values(
            ["value", "arr"], ascending=[True, False]
        )
        view.tables.append(
            Table(
                "low_utilisation",
                f"Lowest license utilisation, {period.label}",
                low.reset_index(drop=True),
                [
                    Column("account_name", "Account", link="/accounts/{account_id}"),
                    Column("csm_name", "CSM"),
                    Column("tier", "Tier"),
                    Column("arr", "ARR", "money"),
                    Column("mau", "MAU", "count"),
                    Column("licenses", "Licenses", "count"),
                    Column("value", "Utilisation", "ratio"),
                ],
                period_as_of(period, d.as_of),
                limit=50,
            )
        )
    return view


def _mau_change(d: ScopedData) -> Chart | None:
    parts = {
        "mau_new_users": "new",
        "mau_retained_users": "retained",
        "mau_reengaged_users": "re-engaged",
        "mau_lapsed_users": "lapsed",
    }
    series, x = [], [p.label for p in d.periods("month")]
    for name, label in parts.items():
        found = d.kpi_series(name, "month")
        if found is None:
            continue
        sign = -1.0 if name == "mau_lapsed_users" else 1.0
        series.append(
            Series(label, [None if pd.isna(v) else sign * float(v) for v in found["value"]])
        )
    if not series:
        return None
    return Chart(
        "mau_change", "MAU change by month (lapsed below zero)", x, series, "count", d.as_of, "bar"
    )


ONBOARDING = (
    "onboarding_within_sla",
    "onboarding_days",
    "time_to_value_days",
    "open_onboardings",
    "open_onboarding_age_days",
    "onboarding_checklist_completion",
)


@page("onboarding", "/onboarding", "Onboarding", EVERYONE)
def onboarding(d: ScopedData, params: dict[str, str]) -> View:
    """Days to onboard, share within the SLA, open onboardings and their age."""
    period = d.period()
    view = View("onboarding", "Onboarding", d.as_of, period)
    _numbers(d, view, ONBOARDING)
    charts = [
        trend(d, "within_sla", "Onboardings closed within SLA", ["onboarding_within_sla"]),
        trend(
            d,
            "days",
            "Days to close onboarding and to value",
            ["onboarding_days", "time_to_value_days"],
        ),
        trend(
            d,
            "open",
            "Open onboardings at month end",
            ["open_onboardings"],
            kind="month",
            chart="bar",
        ),
    ]
    view.charts = [c for c in charts if c is not None]
    _breakdown(d, view, ONBOARDING)
    open_rows = d.open_onboardings()
    if open_rows is not None:
        view.tables.append(
            Table(
                "open",
                "Open onboardings",
                open_rows,
                [
                    Column("account_name", "Account", link="/accounts/{account_id}"),
                    Column("csm_name", "CSM"),
                    Column("tier", "Tier"),
                    Column("deal_closed_at", "Deal closed", "date"),
                    Column("kickoff_at", "Kickoff", "date"),
                    Column("go_live_at", "Go-live", "date"),
                    Column("age_days", "Age (days)", "count"),
                    Column("sla_days", "SLA (days)", "count"),
                    Column("checklist", "Checklist done", "ratio"),
                ],
                d.as_of,
            )
        )
    return view


SURVEYS = ("nps", "nps_response_rate", "csat", "ces", "support_csat")


@page("surveys", "/surveys", "Surveys", EVERYONE)
def surveys(d: ScopedData, params: dict[str, str]) -> View:
    """NPS, response rate, CSAT and effort, with the period's comments."""
    period = d.period()
    view = View("surveys", "Surveys", d.as_of, period)
    _numbers(d, view, SURVEYS)
    charts = [
        trend(d, "nps", "NPS by quarter", ["nps"]),
        trend(d, "csat", "CSAT and support CSAT by quarter", ["csat", "support_csat"]),
        trend(d, "response", "NPS response rate by quarter", ["nps_response_rate"]),
    ]
    view.charts = [c for c in charts if c is not None]
    _breakdown(d, view, SURVEYS)
    responses = d.recent("survey_responses", "responded_at", period)
    comments = responses[
        responses["comment"].notna() & (responses["comment"].astype(str).str.strip() != "")
    ]
    comments = comments.sort_values("responded_at", ascending=False).reset_index(drop=True)
    view.tables.append(
        Table(
            "comments",
            f"Comments, {period.label}",
            comments,
            [
                Column("responded_at", "Responded", "date"),
                Column("account_name", "Account", link="/accounts/{account_id}"),
                Column("csm_name", "CSM"),
                Column("survey", "Survey"),
                Column("score", "Score", "count"),
                Column("comment", "Comment"),
            ],
            d.as_of,
            limit=100,
        )
    )
    return view


ADVOCACY = (
    "advocacy_actions",
    "validated_references",
    "advocacy_g2_review",
    "advocacy_case_study",
    "advocacy_reference",
    "advocacy_success_story",
    "advocacy_promoter",
    "advocacy_positive_csat",
)


@page("advocacy", "/advocacy", "Advocacy", EVERYONE)
def advocacy(d: ScopedData, params: dict[str, str]) -> View:
    """Advocacy actions by type, validated references, and the actions of the period."""
    period = d.period()
    view = View("advocacy", "Advocacy", d.as_of, period)
    _numbers(d, view, ADVOCACY)
    charts = [
        trend(d, "actions", "Advocacy actions by quarter", ["advocacy_actions"], chart="bar"),
        trend(d, "references", "Validated references by quarter", ["validated_references"]),
    ]
    view.charts = [c for c in charts if c is not None]
    _breakdown(
        d,
        view,
        ("advocacy_actions", "validated_references", "advocacy_reference", "advocacy_case_study"),
    )
    rows = d.recent("advocacy", "occurred_at", period).sort_values("occurred_at", ascending=False)
    view.tables.append(
        Table(
            "actions",
            f"Advocacy, {period.label}",
            rows.reset_index(drop=True),
            [
                Column("occurred_at", "When", "date"),
                Column("account_name", "Account", link="/accounts/{account_id}"),
                Column("csm_name", "CSM"),
                Column("type", "Type"),
                Column("positive", "Positive"),
                Column("confirmed_by_champion", "Champion confirmed"),
            ],
            d.as_of,
            limit=100,
        )
    )
    return view
