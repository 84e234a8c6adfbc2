"""The book of accounts (with search) and the account 360."""

from __future__ import annotations

import pandas as pd

from csmetrics.web.roles import EVERYONE
from csmetrics.web.scoped import ScopedData
from csmetrics.web.views.base import Chart, Column, Number, Series, Table, View, page

BOOK_COLUMNS = [
    Column("account_name", "Account", link="/accounts/{account_id}"),
    Column("account_id", "account_id"),
    Column("tier", "Tier"),
    Column("segment", "Segment"),
    Column("csm_name", "CSM"),
    Column("team", "Team"),
    Column("arr", "ARR", "money"),
    Column("renewal_date", "Next renewal", "date"),
    Column("risks", "Risks firing", "count"),
    Column("open_ctas", "Open CTAs", "count"),
]


@page("accounts", "/accounts", "Accounts", EVERYONE, params=("q",), periodic=False)
def accounts(d: ScopedData, params: dict[str, str]) -> View:
    """The accounts in the viewer's book today, searchable by name or id."""
    view = View("accounts", "Accounts", d.as_of)
    frame = d.accounts()
    query = params.get("q", "").strip()
    if query:
        hit = frame["account_name"].str.contains(query, case=False, regex=False) | frame[
            "account_id"
        ].str.contains(query, case=False, regex=False)
        frame = frame[hit.fillna(False)]
    signals = d.risk_signals()
    frame = frame.merge(
        signals.groupby("account_id").size().rename("risks").reset_index(),
        on="account_id",
        how="left",
    )
    ctas = d.ctas("open")
    frame = frame.merge(
        ctas.groupby("account_id").size().rename("open_ctas").reset_index(),
        on="account_id",
        how="left",
    )
    frame[["risks", "open_ctas"]] = frame[["risks", "open_ctas"]].fillna(0).astype("int64")
    frame = frame.sort_values(["arr", "account_name"], ascending=[False, True], na_position="last")
    paying = frame[frame["paying"]]
    view.numbers = [
        Number("accounts", "Accounts", len(frame), "count", d.as_of),
        Number("paying", "Paying accounts", len(paying), "count", d.as_of),
        Number("arr", "ARR", float(paying["arr"].sum().round(2)), "money", d.as_of),
        Number(
            "at_risk",
            "Accounts at risk",
            int((paying["risks"] > 0).sum()),
            "count",
            d.as_of,
            href="/risks",
        ),
    ]
    title = f"Accounts matching “{query}”" if query else "Accounts in the book"
    view.tables.append(
        Table("accounts", title, frame.reset_index(drop=True), BOOK_COLUMNS, d.as_of, limit=300)
    )
    view.extra["search"] = query
    return view


@page(
    "account",
    "/accounts/{account_id}",
    "Account",
    EVERYONE,
    nav=False,
    template="account.html.j2",
    periodic=False,
)
def account(d: ScopedData, params: dict[str, str], account_id: str) -> View:
    """Account 360: contracts and ARR, health, risks, usage, tickets, surveys, advocacy,
    onboarding and the activity timeline of one account."""
    row = d.account(account_id)
    view = View("account", str(row["account_name"]), d.as_of, subtitle=account_id)
    view.extra["account"] = {k: (None if pd.isna(v) else v) for k, v in row.items()}
    view.extra["json_account"] = {k: (None if pd.isna(v) else str(v)) for k, v in row.items()}
    arr = d.account_history(account_id, "arr")
    mau = d.account_history(account_id, "mau")
    util = d.account_history(account_id, "license_utilisation")
    view.numbers.append(Number("arr", "ARR", _float(row["arr"]), "money", d.as_of))
    if mau is not None and len(mau):
        last = mau.iloc[-1]
        view.numbers.append(
            Number("mau", "MAU", _float(last["value"]), "count", d.as_of, str(last["period"]))
        )
    if util is not None and len(util):
        last = util.iloc[-1]
        view.numbers.append(
            Number(
                "license_utilisation",
                "License utilisation",
                _float(last["value"]),
                "ratio",
                d.as_of,
                str(last["period"]),
                numerator=_float(last["numerator"]),
                denominator=_float(last["denominator"]),
            )
        )
    if arr is not None:
        view.charts.append(
            Chart(
                "arr",
                "ARR by month end",
                list(arr["period"]),
                [Series("ARR", _list(arr["value"]))],
                "money",
                d.as_of,
                "bar",
            )
        )
    if mau is not None:
        view.charts.append(
            Chart(
                "usage",
                "Monthly active users",
                list(mau["period"]),
                [Series("MAU", _list(mau["value"]))],
                "count",
                d.as_of,
            )
        )
    _health(d, view, account_id)
    signals = d.risk_signals()
    signals = signals[signals["account_id"] == account_id]
    view.tables.append(
        Table(
            "risks",
            "Risks firing",
            signals,
            [Column("title", "Rule"), Column("severity", "Severity"), Column("reason", "Reason")],
            d.as_of,
        )
    )
    ctas = d.ctas("all")
    ctas = ctas[ctas["account_id"] == account_id]
    view.tables.append(
        Table(
            "ctas",
            "Calls to action",
            ctas,
            [
                Column("cta_id", "CTA", link="/ctas?status=all#{cta_id}"),
                Column("status", "Status"),
                Column("priority", "Priority"),
                Column("rule", "Rule"),
                Column("due_date", "Due", "date"),
                Column("opened_at", "Opened", "date"),
                Column("outcome", "Outcome"),
            ],
            d.as_of,
        )
    )
    contracts = d.account_rows(account_id, "contracts", order="start_date")
    view.tables.append(
        Table(
            "contracts",
            "Contracts",
            contracts,
            [
                Column("contract_id", "Contract"),
                Column("product", "Product"),
                Column("start_date", "Start", "date"),
                Column("end_date", "End", "date"),
                Column("arr", "ARR", "money"),
                Column("currency", "Currency"),
                Column("licenses", "Licenses", "count"),
                Column("billing_term", "Term"),
                Column("cancelled_at", "Cancelled", "date"),
            ],
            d.as_of,
        )
    )
    tickets = d.account_rows(account_id, "tickets", order="opened_at")
    view.tables.append(
        Table(
            "tickets",
            "Support tickets",
            tickets,
            [
                Column("ticket_id", "Ticket"),
                Column("priority", "Priority"),
                Column("opened_at", "Opened", "date"),
                Column("first_response_at", "First response", "date"),
                Column("resolved_at", "Resolved", "date"),
                Column("csat", "CSAT", "count"),
            ],
            d.as_of,
            limit=25,
        )
    )
    surveys = d.account_rows(account_id, "survey_responses", order="responded_at")
    view.tables.append(
        Table(
            "surveys",
            "Survey responses and comments",
            surveys,
            [
                Column("responded_at", "Responded", "date"),
                Column("survey", "Survey"),
                Column("score", "Score", "count"),
                Column("user_id", "User"),
                Column("comment", "Comment"),
            ],
            d.as_of,
            limit=25,
        )
    )
    advocacy = d.account_rows(account_id, "advocacy", order="occurred_at")
    view.tables.append(
        Table(
            "advocacy",
            "Advocacy",
            advocacy,
            [
                Column("occurred_at", "When", "date"),
                Column("type", "Type"),
                Column("positive", "Positive"),
                Column("confirmed_by_champion", "Champion confirmed"),
            ],
            d.as_of,
        )
    )
    onboardings = d.account_rows(account_id, "onboardings", order="deal_closed_at")
    view.tables.append(
        Table(
            "onboarding",
            "Onboarding",
            onboardings,
            [
                Column("onboarding_id", "Onboarding"),
                Column("deal_closed_at", "Deal closed", "date"),
                Column("kickoff_at", "Kickoff", "date"),
                Column("go_live_at", "Go-live", "date"),
                Column("closed_at", "Closed", "date"),
                Column("understands_purchase", "Understands purchase"),
                Column("setup_assisted", "Setup assisted"),
                Column("tested", "Tested"),
                Column("team_trained", "Team trained"),
            ],
            d.as_of,
        )
    )
    activities = d.account_rows(account_id, "activities", order="occurred_at")
    view.tables.append(
        Table(
            "activities",
            "Activity timeline",
            activities,
            [
                Column("occurred_at", "When", "date"),
                Column("type", "Type"),
                Column("csm_id", "By"),
                Column("next_meeting_at", "Next meeting", "date"),
                Column("feedback_score", "Feedback", "count"),
            ],
            d.as_of,
            limit=30,
        )
    )
    return view


def _health(d: ScopedData, view: View, account_id: str) -> None:
    """The health trend and today's score with why it moved; the measure-by-measure
    detail loads from /api/accounts/{id}/health (it takes a moment to compute)."""
    history = d.health_history(account_id)
    if isinstance(history, str):
        view.notes.append(f"health: {history}")
        return
    scores = d.health_scores()
    if not isinstance(scores, str):
        today = scores[scores["account_id"] == account_id]
        if len(today):
            row = today.iloc[0]
            view.numbers.insert(
                0,
                Number(
                    "health",
                    "Health",
                    _float(row["score"]),
                    "score",
                    d.as_of,
                    note=f"{row['band']}; {row['why']}"
                    if isinstance(row.get("why"), str)
                    else str(row["band"]),
                ),
            )
    if len(history):
        view.charts.insert(
            0,
            Chart(
                "health",
                "Health score by month end",
                [str(x)[:10] for x in history["as_of"]],
                [Series("Health", _list(history["score"]))],
                "score",
                d.as_of,
            ),
        )
    view.extra["health_detail"] = f"/api/accounts/{account_id}/health"


def _float(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def _list(values: pd.Series) -> list[float | None]:
    return [_float(v) for v in values]
