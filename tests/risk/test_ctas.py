"""The call-to-action lifecycle, on the too_many_tickets rule (3 tickets in 30 days).

  A1  C1  120,000  term 2025-09-01..2026-09-01   tickets 06-10..12, later 08-01..03
  A2  C1, then C2 from 2026-07-01; 30,000, open-ended   tickets 06-20..22 and 07-05
  A3  C2   20,000  term 2025-07-10..2026-07-10 (not renewed)   tickets 06-25..27

On 2026-06-30 all three fire. Priority points (medium severity = 1):
  A1: 1 + 2 (ARR >= 100,000) + 2 (renewal in 63 days <= 90) = 5 -> urgent;
      due = min(06-30 + 7, 09-01 - 14) = 07-07
  A3: 1 + 0 (ARR < 25,000) + 2 (renewal in 10 days) = 3 -> high;
      due = min(07-07, 07-10 - 14 = 06-26), not before opening -> 06-30
  A2: 1 + 1 (ARR >= 25,000) + 0 (no renewal date) = 2 -> medium; due 07-07
Ids follow priority: A1 CTA-000001, A3 CTA-000002, A2 CTA-000003.

On 07-15 (window 06-16..07-15): A1 has no ticket -> cleared; A2 has 4 -> kept, now
owned by C2; A3 is no longer a customer -> closed. On 08-10 A1 fires again -> a new
CTA; A2 has none -> cleared.
"""

from __future__ import annotations

from datetime import date

import pytest
from risk_data import D, account, contract, only, ticket

from csmetrics import risk
from csmetrics.errors import RiskError
from csmetrics.risk.ctas import CHURNED_OUTCOME, CLEARED_OUTCOME

RULE = only("too_many_tickets")
JULY, AUGUST = date(2026, 7, 15), date(2026, 8, 10)


def _tickets(account_id: str, *days: str) -> list[dict]:
    return [ticket(f"{account_id}-{d}", account_id, f"2026-{d} 10:00") for d in days]


@pytest.fixture
def ws(make_ws):
    return make_ws(
        accounts=[account("A1", "C1"), account("A2", "C2"), account("A3", "C2")],
        contracts=[
            contract("K1", "A1", "2025-09-01", "2026-09-01", arr=120000.0),
            contract("K2", "A2", "2025-01-01", None, arr=30000.0),
            contract("K3", "A3", "2025-07-10", "2026-07-10", arr=20000.0),
        ],
        assignments=[
            {
                "account_id": "A2",
                "csm_id": "C1",
                "valid_from": "2025-01-01",
                "valid_to": "2026-07-01",
            },
            {"account_id": "A2", "csm_id": "C2", "valid_from": "2026-07-01", "valid_to": None},
        ],
        tickets=[
            *_tickets("A1", "06-10", "06-11", "06-12", "08-01", "08-02", "08-03"),
            *_tickets("A2", "06-20", "06-21", "06-22", "07-05"),
            *_tickets("A3", "06-25", "06-26", "06-27"),
        ],
    )


def refresh(ws, day: date, cfg=RULE):
    return risk.refresh(ws.engine, cfg, day)


def ctas(ws, status: str = "all") -> dict[str, dict]:
    return {r["cta_id"]: r for r in risk.listing(ws.engine, status=status).to_dict("records")}


def test_a_firing_rule_opens_one_cta_with_priority_due_date_and_playbook(ws):
    result = refresh(ws, D)
    assert (result.opened, result.kept, result.closed) == (3, 0, 0)
    opened = ctas(ws)
    assert list(opened) == ["CTA-000001", "CTA-000002", "CTA-000003"]
    got = {
        cta_id: (r["account_id"], r["csm_id"], r["priority"], r["due_date"], r["status"])
        for cta_id, r in opened.items()
    }
    assert got == {
        "CTA-000001": ("A1", "C1", "urgent", date(2026, 7, 7), "open"),
        "CTA-000002": ("A3", "C2", "high", date(2026, 6, 30), "open"),
        "CTA-000003": ("A2", "C1", "medium", date(2026, 7, 7), "open"),
    }
    first = opened["CTA-000001"]
    assert first["rule"] == "too_many_tickets"
    assert first["opened_at"] == D
    assert first["reason"] == (
        "3 tickets opened in the last 30 days (3 still open); the rule fires at 3"
    )
    assert first["playbook"] == [
        "Review the open tickets with the support lead",
        "Call the customer to acknowledge the problems and agree next steps",
    ]
    assert (first["arr"], first["renewal_date"]) == (120000.0, date(2026, 9, 1))
    assert (first["account_name"], first["csm_name"]) == ("Account A1", "Ana")


def test_re_evaluating_the_same_day_opens_nothing_new(ws):
    refresh(ws, D)
    again = refresh(ws, D)
    assert (again.opened, again.kept, again.closed) == (0, 3, 0)
    assert len(ctas(ws)) == 3


def test_ctas_close_when_the_condition_clears_and_follow_a_new_owner(ws):
    refresh(ws, D)
    july = refresh(ws, JULY)
    assert (july.opened, july.kept, july.closed) == (0, 1, 2)
    rows = ctas(ws)
    a1, a3, a2 = rows["CTA-000001"], rows["CTA-000002"], rows["CTA-000003"]
    assert (a1["status"], a1["closed_at"], a1["close_reason"]) == ("closed", JULY, "cleared")
    assert a1["outcome"] == CLEARED_OUTCOME
    assert a1["closed_by"] is None
    assert (a3["status"], a3["outcome"]) == ("closed", CHURNED_OUTCOME)
    assert (a2["status"], a2["csm_id"], a2["last_seen"]) == ("open", "C2", JULY)
    assert a2["reason"].startswith("4 tickets opened in the last 30 days")
    assert a2["opened_reason"].startswith("3 tickets opened in the last 30 days")
    assert (a2["priority"], a2["due_date"]) == ("medium", date(2026, 7, 7))  # as opened


def test_a_condition_that_comes_back_opens_a_new_cta(ws):
    refresh(ws, D)
    refresh(ws, JULY)
    august = refresh(ws, AUGUST)
    assert (august.opened, august.kept, august.closed) == (1, 0, 1)
    rows = ctas(ws)
    assert rows["CTA-000001"]["status"] == "closed"
    new = rows["CTA-000004"]
    assert (new["account_id"], new["status"], new["opened_at"]) == ("A1", "open", AUGUST)
    # renewal on 09-01 is 22 days away: due min(08-17, 08-18) = 08-17
    assert (new["priority"], new["due_date"]) == ("urgent", date(2026, 8, 17))
    assert rows["CTA-000003"]["status"] == "closed"  # A2's July ticket left the window
    assert list(ctas(ws, "open")) == ["CTA-000004"]


def test_the_csm_closes_a_cta_with_an_outcome_and_it_is_not_reopened_at_once(ws):
    refresh(ws, D)
    refresh(ws, JULY)
    refresh(ws, AUGUST)
    risk.close(
        ws.engine, "CTA-000004", "  Met the support lead; fix shipped  ", on=date(2026, 8, 12)
    )
    closed = ctas(ws)["CTA-000004"]
    assert (closed["status"], closed["close_reason"], closed["closed_by"]) == (
        "closed",
        "csm",
        "C1",
    )
    assert (closed["closed_at"], closed["outcome"]) == (
        date(2026, 8, 12),
        "Met the support lead; fix shipped",
    )
    # 08-20: A1 still has 3 tickets in the window, but the CSM closed it 8 days ago (< 30)
    later = refresh(ws, date(2026, 8, 20))
    assert (later.opened, later.suppressed) == (0, 1)
    assert ctas(ws, "open") == {}


def test_after_the_reopen_days_a_persisting_condition_opens_a_new_cta(ws):
    cfg = RULE.model_copy(
        update={
            "risk": RULE.risk.model_copy(
                update={"ctas": RULE.risk.ctas.model_copy(update={"reopen_after_days": 8})}
            )
        }
    )
    refresh(ws, D, cfg)
    refresh(ws, JULY, cfg)
    refresh(ws, AUGUST, cfg)
    risk.close(ws.engine, "CTA-000004", "Spoke to the admin", by="C2", on=date(2026, 8, 12))
    assert ctas(ws)["CTA-000004"]["closed_by"] == "C2"
    assert refresh(ws, date(2026, 8, 19), cfg).opened == 0  # 7 days after closing
    assert refresh(ws, date(2026, 8, 20), cfg).opened == 1  # 8 days: a new CTA
    assert list(ctas(ws, "open")) == ["CTA-000005"]


def test_a_rule_that_is_not_judged_leaves_its_ctas_alone(ws):
    refresh(ws, D)
    nothing = only("usage_drop")  # too_many_tickets disabled, usage_drop has no events
    result = refresh(ws, JULY, nothing)
    assert (result.opened, result.kept, result.closed) == (0, 0, 0)
    assert len(ctas(ws, "open")) == 3


def test_refreshing_an_earlier_day_is_refused(ws):
    refresh(ws, JULY)
    with pytest.raises(RiskError, match="last refreshed as of 2026-07-15"):
        refresh(ws, D)


@pytest.mark.parametrize(
    ("cta_id", "outcome", "by", "on", "message"),
    [
        ("CTA-000099", "done", None, None, "no call to action 'CTA-000099'"),
        ("CTA-000001", "  ", None, None, "needs an outcome"),
        ("CTA-000001", "done", "C9", None, "'C9' is not a csm_id in csms"),
        ("CTA-000001", "done", None, date(2026, 6, 29), "cannot close on 2026-06-29"),
    ],
)
def test_closing_mistakes_are_one_line_errors(ws, cta_id, outcome, by, on, message):
    refresh(ws, D)
    with pytest.raises(RiskError, match=message):
        risk.close(ws.engine, cta_id, outcome, by=by, on=on)
    assert ctas(ws)["CTA-000001"]["status"] == "open"


def test_closing_twice_is_refused(ws):
    refresh(ws, D)
    risk.close(ws.engine, "CTA-000001", "done", on=D)
    with pytest.raises(RiskError, match="already closed \\(csm, on 2026-06-30\\)"):
        risk.close(ws.engine, "CTA-000001", "again", on=D)


def test_the_workspace_drives_the_lifecycle(ws):
    result = ws.refresh_ctas(as_of="2026-06-30")
    assert result.opened >= 3  # default rules: too_many_tickets fires for A1, A2, A3
    mine = ws.ctas(csm="C1")
    assert mine["account_id"].tolist() == ["A1", "A2"]
    assert mine["priority"].tolist() == ["urgent", "medium"]
    ws.close_cta(mine["cta_id"].iloc[0], "Escalated to engineering", on=D)
    assert ws.ctas(csm="C1")["account_id"].tolist() == ["A2"]
    closed = ws.ctas(status="closed")
    assert closed["outcome"].tolist() == ["Escalated to engineering"]
    with pytest.raises(RiskError, match="status must be one of open, closed, all"):
        ws.ctas(status="done")
