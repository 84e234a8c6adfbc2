"""The numbers the pages show are the KPI engine's, for every selection a viewer can make."""

from __future__ import annotations

import math
from datetime import date

import pandas as pd
import pytest

import csmetrics
from csmetrics.kpis.compute import compute_many
from csmetrics.web.access import NotVisible, Scope, Viewer
from csmetrics.web.auth import Login
from csmetrics.web.data import WebData
from csmetrics.web.filters import Filters
from csmetrics.web.roles import Role
from csmetrics.web.scoped import ScopedData
from csmetrics.web.snapshots import aggregate

GRAINS = {"company": None, "team": "team", "csm": "csm_id", "tier": "tier", "segment": "segment"}


def _close(a: float | None, b: float | None, unit: str) -> bool:
    if a is None or b is None or (isinstance(b, float) and math.isnan(b)):
        return (a is None or math.isnan(a)) and (b is None or math.isnan(b))
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=0.006 if unit == "money" else 1e-9)


def test_snapshot_sums_equal_the_engine_at_every_grain(web_app):
    data = web_app.state.web.data
    snap = data.snapshot()
    ws = data.ws
    periods = list(snap.periods)
    with data.lock:
        for grain, key in GRAINS.items():
            engine = compute_many(ws.engine, ws.config, list(snap.facts), periods, grain)
            for name, frame in engine.items():
                rows = snap.facts[name]
                unit = csmetrics.kpis.get(name).unit
                for record in frame.to_dict("records"):
                    chosen = rows[rows["period"] == record["period"]]
                    if key:
                        chosen = chosen[chosen[key] == record[key]]
                    got = aggregate(chosen, name).value
                    assert _close(got, record["value"], unit), (grain, name, record)


def _viewer(role: str, csm_id: str | None = None, team: str | None = None) -> Viewer:
    login = Login(0, role, role, role, csm_id, team, "session", "token")
    return Viewer(login, Scope(Role(role), csm_id, team))


def _tile(payload: dict, key: str) -> dict:
    return next(n for n in payload["numbers"] if n["key"] == key)


@pytest.mark.parametrize("login", ["leader", "manager", "csm"])
def test_overview_tiles_equal_the_engine_for_each_role(web_app, clients, people, login):
    data = web_app.state.web.data
    payload = clients[login].get("/api/overview").json()
    period = payload["period"]["label"]
    grain, key, wanted = {
        "leader": ("company", None, None),
        "manager": ("team", "team", people.team),
        "csm": ("csm", "csm_id", people.csm),
    }[login]
    with data.lock:
        for name in ("arr", "nrr", "grr", "logo_retention", "nps", "onboarding_within_sla"):
            frame = data.ws.kpi(name, by=grain, period=period)
            row = frame if key is None else frame[frame[key] == wanted]
            expected = float(row["value"].iloc[0])
            assert _close(
                _tile(payload, name)["value"], expected, "money" if name == "arr" else "ratio"
            ), name
        at_risk = data.ws.at_risk_arr(
            by=grain, as_of=date.fromisoformat(payload["period"]["end"]) - pd.Timedelta(days=1)
        )
        row = (
            at_risk
            if key is None
            else at_risk[at_risk[key if key != "csm_id" else "csm_id"] == wanted]
        )
        assert _close(
            _tile(payload, "at_risk_arr")["value"], float(row["at_risk_arr"].iloc[0]), "money"
        )


def test_a_filter_combination_sums_the_right_accounts(web_app, clients, people):
    """Team x tier has no engine grain: it must equal the sum of that team's accounts of
    that tier at the engine's account grain (each rounded to the cent there, so the sums
    agree within half a cent per account)."""
    data = web_app.state.web.data
    tier = str(data.accounts()["tier"].dropna().iloc[0])
    payload = (
        clients["leader"].get("/api/overview", params={"team": people.team, "tier": tier}).json()
    )
    period = payload["period"]["label"]
    with data.lock:
        by_account = data.ws.kpi("arr", by="account", period=period)
    snap = data.snapshot()
    rows = snap.facts["arr"]
    rows = rows[(rows["period"] == period) & (rows["team"] == people.team) & (rows["tier"] == tier)]
    expected = by_account[by_account["account_id"].isin(set(rows["account_id"].astype(str)))][
        "value"
    ].sum()
    assert len(rows) > 5
    assert abs(_tile(payload, "arr")["value"] - float(expected)) <= 0.005 * len(rows)


# -- a hand-made company where an account changes hands ----------------------------------


@pytest.fixture
def handover(tmp_path):
    """C1 and C2 in East, C3 in West. A1 moves from C1 to C2 on 2026-02-01; A2 (C1)
    churns on 2026-03-01; A3 is C3's. Data runs to 2026-04-15."""
    root = tmp_path / "ws"
    with csmetrics.init(root) as ws:
        ws.load(
            "csms",
            [
                {
                    "csm_id": "C1",
                    "name": "Ana",
                    "team": "East",
                    "role": "csm",
                    "start_date": "2024-01-01",
                },
                {
                    "csm_id": "C2",
                    "name": "Ben",
                    "team": "East",
                    "role": "csm",
                    "start_date": "2024-01-01",
                },
                {
                    "csm_id": "C3",
                    "name": "Cy",
                    "team": "West",
                    "role": "csm",
                    "start_date": "2024-01-01",
                },
            ],
        )
        ws.load(
            "accounts",
            [
                {
                    "account_id": a,
                    "name": f"Account {a}",
                    "tier": "corp",
                    "segment": "smb",
                    "csm_id": c,
                    "created_at": "2024-06-01",
                }
                for a, c in (("A1", "C2"), ("A2", "C1"), ("A3", "C3"))
            ],
        )
        ws.load(
            "assignments",
            [
                {
                    "account_id": "A1",
                    "csm_id": "C1",
                    "valid_from": "2025-01-01",
                    "valid_to": "2026-02-01",
                },
                {"account_id": "A1", "csm_id": "C2", "valid_from": "2026-02-01", "valid_to": None},
            ],
        )
        ws.load(
            "contracts",
            [
                {
                    "contract_id": f"K{a}",
                    "account_id": a,
                    "product": "p",
                    "start_date": "2025-01-01",
                    "end_date": end,
                    "arr": arr,
                    "currency": "USD",
                    "licenses": 10,
                    "billing_term": "annual",
                }
                for a, arr, end in (
                    ("A1", 10000.0, None),
                    ("A2", 20000.0, "2026-03-01"),
                    ("A3", 40000.0, None),
                )
            ],
        )
        ws.load(
            "tickets",
            [
                {
                    "ticket_id": "T1",
                    "account_id": "A3",
                    "priority": "low",
                    "opened_at": "2026-04-15 10:00:00",
                }
            ],
        )
    data = WebData(root)
    yield data
    data.close()


def test_period_numbers_follow_the_owner_on_the_periods_first_day(handover):
    """2026-Q1: on 2026-01-01 C1 owns A1 (10k) and A2 (20k, gone by 04-01), so C1's NRR
    is 10k / 30k; C2 owned nothing on that day; the company's is 50k / 70k."""
    c1 = ScopedData(handover, _viewer("csm", "C1"), Filters(period="2026-Q1"))
    assert c1.period().label == "2026-Q1"
    nrr = c1.kpi("nrr")
    assert (nrr.numerator, nrr.denominator) == (10000.0, 30000.0)
    assert c1.kpi("logo_retention").value == 0.5
    c2 = ScopedData(handover, _viewer("csm", "C2"), Filters(period="2026-Q1"))
    assert c2.kpi("nrr").value is None and c2.kpi("arr").value == 0.0
    east = ScopedData(handover, _viewer("manager", team="East"), Filters(period="2026-Q1"))
    assert east.kpi("nrr").value == pytest.approx(1 / 3)
    company = ScopedData(handover, _viewer("leader"), Filters(period="2026-Q1"))
    assert company.kpi("nrr").value == pytest.approx(5 / 7)
    assert company.kpi("arr").value == 50000.0


def test_accounts_follow_the_owner_on_the_as_of_day(handover):
    """On 2026-04-15 A1 is C2's: C1 may no longer open it, C2 and East's manager may."""
    c1 = ScopedData(handover, _viewer("csm", "C1"), Filters())
    assert c1.as_of == date(2026, 4, 15)
    assert set(c1.accounts()["account_id"]) == {"A2"}
    with pytest.raises(NotVisible):
        c1.account("A1")
    c2 = ScopedData(handover, _viewer("csm", "C2"), Filters())
    assert c2.account("A1")["arr"] == 10000.0
    east = ScopedData(handover, _viewer("manager", team="East"), Filters())
    assert set(east.accounts()["account_id"]) == {"A1", "A2"}
    west = ScopedData(handover, _viewer("manager", team="West"), Filters())
    assert set(west.accounts()["account_id"]) == {"A3"}
    with pytest.raises(NotVisible):
        west.account("A1")
    # a filter narrows within the scope and never widens it
    narrowed = ScopedData(handover, _viewer("csm", "C1"), Filters(csm="C3"))
    assert narrowed.accounts().empty
