"""Adoption KPIs on a hand-made account, numbers worked out in the comments.

A1 (owner C1, 10 licenses, open contract) and A2 (owner C2, 4 licenses until 2026-08-01).
Significant actions: sign_in, meeting_booked, settings_changed (the defaults).

A1 users, by month of activity:
  u1: June, and July at 23:59:59.999 on the 31st (counts in July), retained
  u2: June only -> lapsed in July
  u3: first ever in July (meeting_booked) + report_viewed (a key feature) -> new
  u4: April, then July (settings_changed) -> re-engaged
  u5: only page_view in July -> never active
A2: v1 July 2 and August 1 -> new in July.
July MAU: A1 = u1, u3, u4 = 3; A2 = 1; company 4. June MAU: A1 = u1, u2 = 2.
"""

from __future__ import annotations

import pytest
from activity_data import account, contract, event, load, one

USERS = [
    {"user_id": u, "account_id": "A1", "customer_team": team, "created_at": "2025-01-01"}
    for u, team in [("u1", "sales"), ("u2", "sales"), ("u3", "finance"), ("u4", "ops")]
]
EVENTS = [
    event("A1", "u1", "2026-06-10 09:00"),
    event("A1", "u1", "2026-07-31 23:59:59.999"),
    event("A1", "u2", "2026-06-03 12:00"),
    event("A1", "u3", "2026-07-05 10:00", "meeting_booked"),
    event("A1", "u3", "2026-07-06 10:00", "report_viewed"),
    event("A1", "u4", "2026-04-01 08:00"),
    event("A1", "u4", "2026-07-20 08:00", "settings_changed"),
    event("A1", "u5", "2026-07-20 08:00", "page_view"),
    event("A2", "v1", "2026-07-02 08:00"),
    event("A2", "v1", "2026-08-01 00:00"),
]


@pytest.fixture
def ws(make_ws):
    return make_ws(
        contracts=[
            contract("K1", "A1", "2025-01-01", None, licenses=10),
            contract("K2", "A2", "2025-01-01", "2026-08-01", licenses=4),
        ],
        users=USERS,
        events=EVENTS,
    )


def test_mau_counts_the_last_millisecond_of_the_month(ws):
    by_account = ws.kpi("mau", by="account", period="2026-07")
    assert one(by_account, account_id="A1")["value"] == 3  # u1 (23:59:59.999), u3, u4
    assert one(by_account, account_id="A2")["value"] == 1
    assert ws.kpi("mau", period="2026-07")["value"].tolist() == [4]
    assert ws.kpi("mau", period="2026-06")["value"].tolist() == [2]  # u1, u2
    # August: v1 at 00:00 on the 1st is August, u1's 23:59:59.999 is not
    assert ws.kpi("mau", period="2026-08")["value"].tolist() == [1]


def test_quarter_mau_is_its_last_month(ws):
    # 2026-Q3 ends with September, when nobody was active
    assert ws.kpi("mau", period="2026-Q3")["value"].tolist() == [0]
    assert ws.kpi("mau", period="2026-Q2")["value"].tolist() == [2]  # June


def test_license_utilisation_uses_licenses_on_the_last_day(ws):
    frame = ws.kpi("license_utilisation", by="account", period="2026-07")
    a1, a2 = one(frame, account_id="A1"), one(frame, account_id="A2")
    assert (a1["numerator"], a1["denominator"], a1["value"]) == (3, 10, 0.3)
    # K2 ends 2026-08-01, so it is in force on 2026-07-31 (the period's last day)
    assert (a2["numerator"], a2["denominator"], a2["value"]) == (1, 4, 0.25)
    company = ws.kpi("license_utilisation", period="2026-07")
    assert company["numerator"].tolist() == [4] and company["denominator"].tolist() == [14]
    # August: A2 has no license any more, so its MAU is outside both parts
    aug = ws.kpi("license_utilisation", period="2026-08")
    assert aug["numerator"].tolist() == [0] and aug["denominator"].tolist() == [10]


def test_mau_change_split(ws):
    july = {
        name: one(ws.kpi(name, by="account", period="2026-07"), account_id="A1")["value"]
        for name in (
            "mau_new_users",
            "mau_retained_users",
            "mau_reengaged_users",
            "mau_lapsed_users",
            "mau_net_change",
        )
    }
    assert july == {
        "mau_new_users": 1,  # u3
        "mau_retained_users": 1,  # u1
        "mau_reengaged_users": 1,  # u4 (April, not June)
        "mau_lapsed_users": 1,  # u2
        "mau_net_change": 1,  # 3 - 2 = 1 + 1 - 1
    }
    # whitespace: 'finance' (u3) and 'ops' (u4, first active in April) -> only finance is new
    assert ws.kpi("new_customer_teams", period="2026-07")["value"].tolist() == [1]
    assert ws.kpi("new_customer_teams", period="2026-04")["value"].tolist() == [1]  # ops


def test_mau_change_from_newly_launched_customers(make_ws):
    # A2 first paid on 2026-06-15: within 3 months of July -> its +2 counts; A1 is old
    ws = make_ws(
        contracts=[
            contract("K1", "A1", "2025-01-01", None),
            contract("K2", "A2", "2026-06-15", None),
        ],
        events=[
            event("A1", "u1", "2026-07-01 10:00"),
            event("A2", "v1", "2026-07-01 10:00"),
            event("A2", "v2", "2026-07-09 10:00"),
        ],
    )
    assert ws.kpi("mau_net_change", period="2026-07")["value"].tolist() == [3]
    assert ws.kpi("mau_change_new_customers", period="2026-07")["value"].tolist() == [2]


def test_key_feature_adoption(ws):
    accounts = ws.kpi("key_feature_account_adoption", period="2026-07")
    # active accounts A1, A2; only A1 used a key feature (u3 report_viewed)
    assert (accounts["numerator"][0], accounts["denominator"][0]) == (1, 2)
    users = ws.kpi("key_feature_user_adoption", period="2026-07")
    assert (users["numerator"][0], users["denominator"][0]) == (1, 14)


def test_mau_attainment_against_targets(ws):
    load(
        ws,
        "targets",
        [
            {"kpi": "mau", "grain": "csm", "grain_id": "C1", "period": "2026-07", "target": 4},
            {"kpi": "mau", "grain": "company", "grain_id": "all", "period": "2026-07", "target": 8},
        ],
    )
    by_csm = ws.kpi("mau_attainment", by="csm", period="2026-07")
    c1, c2 = one(by_csm, csm_id="C1"), one(by_csm, csm_id="C2")
    assert (c1["numerator"], c1["denominator"], c1["value"]) == (3, 4, 0.75)
    assert c2["value"] != c2["value"]  # no target for C2: null, not 0
    company = ws.kpi("mau_attainment", period="2026-07")
    assert company["value"].tolist() == [0.5]  # 4 / 8


def test_config_targets_for_the_company(make_ws, tmp_path):
    import csmetrics

    ws = make_ws(events=EVENTS)
    path = ws.root / "csmetrics.yaml"
    text = path.read_text("utf-8").replace("mau_targets: {}", "mau_targets: {2026-07: 5}")
    path.write_text(text, "utf-8")
    root = ws.root
    with csmetrics.open(root) as again:
        frame = again.kpi("mau_attainment", period="2026-07")
    assert frame["value"].tolist() == [0.8]  # 4 / 5


def test_adoption_reads_the_rollups(ws):
    import importlib

    from csmetrics.kpis.registry import get

    con = ws.engine.duckdb
    assert con.execute("SELECT count(*) FROM _rollup_user_day").fetchall()[0][0] == 10
    # one row per user and month: A1 u1 Jun/Jul, u2 Jun, u3 Jul, u4 Apr/Jul, u5 Jul; A2 v1 Jul/Aug
    assert con.execute("SELECT count(*) FROM _rollup_user_month").fetchall()[0][0] == 9
    core = importlib.import_module("csmetrics.kpis.compute")

    def sql(period: str) -> str:
        ctx = core.context(ws.engine, ws.config, ws.periods(period), "company", None)
        return ws.engine.sql(core.expression(get("mau"), ctx))

    month = sql("2026-07")
    assert "_rollup_user_month" in month and '"events"' not in month
    days = sql("2026-07-01..2026-07-16")
    assert "_rollup_user_day" in days and '"events"' not in days
    # both sources agree on a range that is a whole month
    assert ws.kpi("mau", period="2026-07-01..2026-08-01")["value"].tolist() == [4]


def test_adoption_without_events_is_not_available(make_ws):
    from csmetrics.errors import NotAvailable

    ws = make_ws(accounts=[account("A1")], contracts=[contract("K1", "A1", "2025-01-01", None)])
    with pytest.raises(NotAvailable, match="events"):
        ws.kpi("mau", period="2026-07")
