"""Targets: the logo retention target derived from renewing customers, and precedence."""

from __future__ import annotations

import pytest
from scorecard_data import account, contract, monthly, one

from csmetrics.config import parse_config
from csmetrics.errors import ConfigError

RULE = """
targets:
  default: {grr: 0.9}
  logo_retention:
    renewal_rate: 0.8
    renewal_rate_by_tier: {strategic: 0.95}
    monthly_renewal_rate: 0.99
"""

ACCOUNTS = [
    account("A1"),
    account("A2"),
    account("A3"),
    account("A4", tier="strategic"),
    account("A5"),
    account("A6"),
    account("A7"),
    account("B1", "C3"),
    account("W1", "C2", tier="low_touch"),
]
CONTRACTS = [
    contract("K1", "A1", "2025-08-01", "2026-08-01"),  # due in Q3: renewing, corp
    contract("K2", "A2", "2026-01-01", "2027-01-01"),  # not due
    *monthly("M", "A3", "2026-01-01", 12),  # only monthly terms due: renews 3 times
    contract("K4", "A4", "2025-09-15", "2026-09-15"),  # due, strategic
    contract("K5", "A5", "2026-08-01", "2027-08-01"),  # starts after day one: not in the book
    contract("K6", "A6", "2025-07-01", "2026-07-01"),  # ended on day one: not in the book
    contract("K7", "A7", "2025-10-01", "2026-10-01"),  # ends on day b: due
    contract("K8", "B1", "2026-03-01", "2027-03-01"),
    contract("K9", "W1", "2025-12-01", "2026-12-01"),
]


def test_logo_retention_target_from_the_renewing_customers(make_ws):
    ws = make_ws(ACCOUNTS, CONTRACTS, config=RULE)
    by_csm = ws.targets(by="csm", period="2026-Q3", kpis=["logo_retention"])
    c1 = one(by_csm, csm_id="C1")
    # A1 0.8 + A2 1 + A3 0.99^3 + A4 0.95 + A7 0.8 = 4.520299 over 5 accounts
    assert c1["source"] == "derived"
    assert c1["denominator"] == 5
    assert c1["numerator"] == pytest.approx(4.520299)
    assert c1["target"] == pytest.approx(4.520299 / 5)
    assert one(by_csm, csm_id="C3")["target"] == 1.0  # B1 renews next year
    by_team = ws.targets(by="team", period="2026-Q3", kpis=["logo_retention"])
    # East = C1 + C3: (4.520299 + 1) / 6
    assert one(by_team, team="East")["target"] == pytest.approx(5.520299 / 6)
    company = ws.targets(by="company", period="2026-Q3", kpis=["logo_retention"])
    assert company["target"].tolist() == pytest.approx([6.520299 / 7])


def test_table_beats_config_beats_derived_beats_default(make_ws):
    config = (
        RULE
        + """  values:
    - {kpi: logo_retention, grain: csm, id: C3, period: 2026-Q3, target: 0.93}
    - {kpi: logo_retention, grain: team, id: West, period: 2026-Q3, target: 0.96}
"""
    )
    table = [
        {
            "kpi": "logo_retention",
            "grain": "csm",
            "grain_id": "C2",
            "period": "2026-Q3",
            "target": 0.97,
        },
        {
            "kpi": "logo_retention",
            "grain": "team",
            "grain_id": "West",
            "period": "2026-Q3",
            "target": 0.99,
        },
        {
            "kpi": "logo_retention",
            "grain": "csm",
            "grain_id": "C1",
            "period": "2026-Q2",
            "target": 0.5,
        },
    ]
    ws = make_ws(ACCOUNTS, CONTRACTS, config=config, targets=table)
    by_csm = ws.targets(by="csm", period="2026-Q3", kpis=["logo_retention", "grr"])
    rows = {(r["csm_id"], r["kpi"]): (r["target"], r["source"]) for r in by_csm.to_dict("records")}
    assert rows[("C2", "logo_retention")] == (0.97, "table")
    assert rows[("C3", "logo_retention")] == (0.93, "config")
    assert rows[("C1", "logo_retention")] == (pytest.approx(0.9040598), "derived")  # Q2 row ignored
    assert rows[("C1", "grr")] == (0.9, "default")
    by_team = ws.targets(by="team", period="2026-Q3", kpis=["logo_retention"])
    assert one(by_team, team="West")["target"] == 0.99  # the table wins over config
    assert one(by_team, team="West")["source"] == "table"


def test_derived_target_can_be_switched_off(make_ws):
    ws = make_ws(ACCOUNTS, CONTRACTS, config=RULE + "    derived: false\n")
    frame = ws.targets(by="csm", period="2026-Q3", kpis=["logo_retention"])
    assert frame.empty


def test_config_targets_feed_mau_attainment(make_ws):
    config = "targets:\n  values:\n    - {kpi: mau, grain: company, id: all, period: 2026-07, target: 5}\n"
    events = [
        {
            "account_id": "A2",
            "user_id": f"u{i}",
            "event_time": "2026-07-10 09:00:00",
            "event_type": "sign_in",
        }
        for i in range(4)
    ]
    ws = make_ws(ACCOUNTS, CONTRACTS, config=config, events=events)
    assert ws.kpi("mau_attainment", period="2026-07")["value"].tolist() == [0.8]  # 4 / 5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "targets:\n  values:\n    - {kpi: nrr, grain: company, id: East, period: 2026-Q3, target: 1}\n",
            r"targets.values.0: .*company target has id 'all'",
        ),
        (
            "targets:\n  values:\n"
            "    - {kpi: nrr, grain: team, id: East, period: 2026-Q3, target: 1}\n"
            "    - {kpi: nrr, grain: team, id: East, period: 2026-Q3, target: 2}\n",
            r"targets.values: two targets for nrr team East 2026-Q3",
        ),
        (
            "targets:\n  logo_retention:\n    renewal_rate: 1.2\n",
            r"renewal_rate: .*less than or equal to 1",
        ),
        ("scorecards:\n  preset: board\n", r"scorecards: .*preset 'board' is not defined"),
        ("scorecards:\n  presets:\n    early: {}\n", r"early: a preset needs at least one KPI"),
        (
            "fair_comparison:\n  arr_bands: [50000, 10000]\n",
            r"arr_bands: ARR band edges must be ascending",
        ),
        ("forecasts:\n  cutoff: never\n", r"forecasts.cutoff: Input should be"),
    ],
)
def test_bad_scorecard_config_names_the_key(text, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(text)
    assert "\n" not in str(info.value)


def test_a_preset_in_config_replaces_only_its_namesake():
    config = parse_config("scorecards:\n  presets:\n    early: {logo_retention: 1}\n")
    assert config.scorecards.presets["early"] == {"logo_retention": 1.0}
    assert set(config.scorecards.presets) == {"early", "growth", "late"}


def test_an_unknown_kpi_in_targets_is_a_config_error(make_ws):
    ws = make_ws(ACCOUNTS, CONTRACTS, config="targets:\n  default: {logo_retension: 0.9}\n")
    with pytest.raises(ConfigError, match=r"targets.default.logo_retension: unknown KPI"):
        ws.scorecard(csm="C1", period="2026-Q3")
