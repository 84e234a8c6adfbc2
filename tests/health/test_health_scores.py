"""Scores of crafted accounts in a real workspace: worked by hand, kept, explained, refreshed.

Model ``t``: usage (license utilisation, weight 50, 0..1 -> 0..100 points), NPS over
12 months (weight 30, -1..+1 -> 0..100), champion present (weight 20, no 0 / yes 100);
strategic accounts weigh NPS 70. Events run January to March 2026, so scores are kept
for 2026-01-31, 2026-02-28 and 2026-03-31 (the as-of day).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from health_data import account, build, contract, nps, sign_ins, user

from csmetrics import health

MODEL = """\
health:
  default_model: t
  models:
    t:
      bands: {red_below: 40, green_from: 70}
      missing: MISSING
      measures:
        usage: {kpi: license_utilisation, weight: 50, points: [[0, 0], [1, 100]]}
        nps: {label: NPS, kpi: nps, window_months: 12, weight: 30, points: [[-1, 0], [1, 100]]}
        champion:
          signal: champion_present
          weight: 20
          scheme: thresholds
          points: [[0, 0], [1, 100]]
      tiers:
        strategic: {measures: {nps: {weight: 70}}}
quadrant:
  outcome: {usage: 1}
  experience: {nps: 1}
"""

JAN, FEB, MAR = date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31)


def tables() -> dict:
    return {
        "accounts": [
            account("A1"),
            account("A2"),
            account("A3", "C2", tier="strategic"),
            account("A4"),
        ],
        "contracts": [
            contract("K1", "A1", "2025-01-01", None),
            contract("K2", "A2", "2025-01-01", None),
            contract("K3", "A3", "2025-01-01", None),
            contract("K4", "A4", "2025-01-01", "2026-02-01"),  # churns on 2026-02-01
        ],
        "events": [
            *sign_ins("A1", "2026-01", 8),
            *sign_ins("A1", "2026-02", 8),
            *sign_ins("A1", "2026-03", 4),  # usage 80%, 80%, 40%
            *sign_ins("A2", "2026-03", 6),
            *sign_ins("A3", "2026-03", 5),
            # the data runs to the end of March (a user already counted signs in again)
            {
                "account_id": "A3",
                "user_id": "A3-u0",
                "event_time": "2026-03-31 18:00",
                "event_type": "sign_in",
            },
        ],
        "survey_responses": [
            nps("A1", "p1", "2026-02-10 10:00", 10),  # a promoter...
            nps("A1", "p2", "2026-03-05 10:00", 6),  # ...and a detractor: NPS 0 in March
            nps("A3", "p1", "2026-03-02 10:00", 9),
        ],
        "users": [
            user("A1", "c1", "champion"),
            user("A2", "c2", "champion", left="2026-03-15 12:00"),
            user("A3", "c3", "champion"),
        ],
    }


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    """Shared by the tests that only read; those that change data build their own."""
    workspace = build(
        tmp_path_factory.mktemp("health"), MODEL.replace("MISSING", "skip"), **tables()
    )
    yield workspace
    workspace.close()


@pytest.fixture
def own_ws(make_ws):
    return make_ws(MODEL.replace("MISSING", "skip"), **tables())


def by_account(frame):
    return frame.set_index("account_id")


def test_scores_worked_by_hand(ws):
    got = by_account(health.scores(ws.engine, ws.config))
    assert set(got.index) == {"A1", "A2", "A3"}  # A4 left before the as-of day
    assert (got["as_of"] == MAR).all()
    # A1: usage 40% -> 40, NPS (1 promoter - 1 detractor) / 2 = 0 -> 50, champion -> 100
    # (50 x 40 + 30 x 50 + 20 x 100) / 100 = 55
    assert got.loc["A1", "score"] == pytest.approx(55.0)
    assert got.loc["A1", "band"] == "yellow"
    # A2: usage 60%, no NPS (skipped), champion left on 03-15 -> 0
    # (50 x 60 + 20 x 0) / 70 = 42.86
    assert got.loc["A2", "score"] == pytest.approx(3000 / 70)
    assert got.loc["A2", "band"] == "yellow"
    # A3 (strategic, NPS weight 70): usage 50%, NPS +100 -> 100, champion -> 100
    # (50 x 50 + 70 x 100 + 20 x 100) / 140 = 82.14
    assert got.loc["A3", "score"] == pytest.approx(11500 / 140)
    assert got.loc["A3", "band"] == "green"


def test_scores_on_an_earlier_month_end(ws):
    got = by_account(health.scores(ws.engine, ws.config, FEB))
    # A1 in February: usage 80%, NPS +100 (the promoter only), champion: 90
    assert got.loc["A1", "score"] == pytest.approx(90.0)
    # A2 in February: no usage (0%), champion still there: (0 + 20 x 100) / 70
    assert got.loc["A2", "score"] == pytest.approx(2000 / 70)
    assert got.loc["A2", "band"] == "red"
    # A4 was still paying on 2026-01-31: no usage, no NPS, no users -> 0 points -> red
    jan = by_account(health.scores(ws.engine, ws.config, JAN))
    assert jan.loc["A4", "score"] == 0.0 and jan.loc["A4", "band"] == "red"


def test_missing_data_can_score_a_fixed_number_of_points(make_ws):
    ws = make_ws(MODEL.replace("MISSING", "50"), **tables())
    got = by_account(health.scores(ws.engine, ws.config))
    # A2: usage 60, NPS missing -> 50 points, champion 0: (3000 + 1500 + 0) / 100 = 45
    assert got.loc["A2", "score"] == pytest.approx(45.0)


def test_scores_are_kept_in_the_contract_tables(ws):
    health.scores(ws.engine, ws.config)
    con = ws.engine.duckdb
    columns = con.execute("DESCRIBE _health_scores").fetchall()
    assert [(c[0], c[1]) for c in columns] == [
        ("model", "VARCHAR"),
        ("account_id", "VARCHAR"),
        ("as_of", "DATE"),
        ("score", "DOUBLE"),
        ("band", "VARCHAR"),
    ]
    measure_columns = [c[0] for c in con.execute("DESCRIBE _health_measures").fetchall()]
    assert measure_columns == [
        "model",
        "account_id",
        "as_of",
        "measure",
        "raw",
        "points",
        "weight",
        "contribution",
    ]
    kept = con.execute(
        "SELECT account_id, as_of FROM _health_scores WHERE model = 't' ORDER BY as_of, account_id"
    ).fetchall()
    assert kept == [
        *[(a, JAN) for a in ("A1", "A2", "A3", "A4")],
        *[(a, FEB) for a in ("A1", "A2", "A3")],
        *[(a, MAR) for a in ("A1", "A2", "A3")],
    ]
    # per measure: the contributions add up to the score, the weights (shares) to 1
    sums = con.execute(
        """SELECT s.account_id, s.as_of, s.score, sum(m.contribution), sum(m.weight)
           FROM _health_scores s JOIN _health_measures m USING (model, account_id, as_of)
           GROUP BY ALL"""
    ).fetchall()
    for _, _, score, contributions, shares in sums:
        assert contributions == pytest.approx(score)
        assert shares == pytest.approx(1.0)


def test_new_data_recomputes_the_kept_scores(own_ws):
    ws = own_ws
    before = by_account(health.scores(ws.engine, ws.config))
    assert before.loc["A2", "score"] == pytest.approx(3000 / 70)
    ws.load("survey_responses", [nps("A2", "p9", "2026-03-20 10:00", 10)])
    after = by_account(health.scores(ws.engine, ws.config))
    # A2 now has NPS +100: (50 x 60 + 30 x 100 + 0) / 100 = 60
    assert after.loc["A2", "score"] == pytest.approx(60.0)
    assert after.loc["A1", "score"] == pytest.approx(55.0)


def test_a_read_only_store_is_scored_in_memory(own_ws):
    ws = own_ws
    root = ws.root
    ws.close()
    import csmetrics

    with csmetrics.open(root, read_only=True) as ro:
        got = by_account(health.scores(ro.engine, ro.config))
        assert got.loc["A1", "score"] == pytest.approx(55.0)
    con = duckdb.connect(str(root / "csmetrics.duckdb"), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    con.close()
    assert "_health_scores" not in tables


def test_explain_shows_every_measure_summing_to_the_score(ws):
    e = ws.explain_health("A1")
    assert (e.as_of, e.model, e.band) == (MAR, "t", "yellow")
    assert e.score == pytest.approx(55.0)
    rows = e.measures.set_index("measure")
    assert rows.loc["usage", "raw"] == pytest.approx(0.4)
    assert rows.loc["usage", "points"] == pytest.approx(40.0)
    assert rows.loc["usage", "weight"] == 50.0
    assert rows.loc["usage", "share"] == pytest.approx(0.5)
    assert rows.loc["usage", "contribution"] == pytest.approx(20.0)
    assert rows.loc["nps", "value"] == "+0"
    assert rows.loc["champion", "value"] == "yes"
    assert e.measures["contribution"].sum() == pytest.approx(e.score)
    # February's 90 fell by 35: usage gave 20 points less, NPS 15
    assert e.previous_score == pytest.approx(90.0)
    assert e.change == pytest.approx(-35.0)
    assert e.why == "fell 35: Usage 80% -> 40% (-20.0), NPS +100 -> +0 (-15.0)"
    assert rows.loc["usage", "contribution_change"] == pytest.approx(-20.0)
    assert e.history["as_of"].tolist() == [JAN, FEB, MAR]


def test_explain_says_why_a_measure_did_not_count(ws):
    rows = ws.explain_health("A2").measures.set_index("measure")
    assert rows.loc["nps", "value"] == "no data"
    assert rows.loc["nps", "share"] == 0.0
    assert rows.loc["nps", "note"].startswith("skipped, weight re-spread")


def test_explain_refuses_an_account_that_is_not_paying(ws):
    from csmetrics.errors import HealthError

    with pytest.raises(HealthError, match=r"A4 is not a paying customer on 2026-03-31"):
        ws.explain_health("A4")
    with pytest.raises(HealthError, match=r"unknown account 'A9'"):
        ws.explain_health("A9")


def test_the_health_table_gives_change_trend_and_why(ws):
    table = by_account(ws.health_scores())
    assert table.loc["A1", "change"] == pytest.approx(-35.0)
    assert table.loc["A1", "why"].startswith("fell 35: Usage 80% -> 40%")
    assert table.loc["A1", "better"] == "higher"
    assert table.loc["A1", "compared_to"] == FEB
    # trend over 3 months compares with 2025-12-31, before the history: none
    assert table["trend"].isna().all()
    # least healthy first
    assert table.index.tolist() == ["A2", "A1", "A3"]


def test_the_health_table_by_csm(ws):
    table = ws.health_scores(by="csm").set_index("csm_id")
    # C1 owns A1 (55, yellow) and A2 (42.86, yellow); C2 owns A3 (82.14, green)
    assert table.loc["C1", "accounts"] == 2
    assert table.loc["C1", "score"] == pytest.approx((55 + 3000 / 70) / 2)
    assert (table.loc["C1", "yellow"], table.loc["C1", "green"]) == (2, 0)
    assert table.loc["C2", "green"] == 1
    assert table.loc["C2", "green_arr"] == pytest.approx(12000.0)


def test_an_unknown_model_is_a_clear_error(ws):
    from csmetrics.errors import HealthError

    with pytest.raises(HealthError, match=r"unknown health model 'x'; models: t"):
        health.scores(ws.engine, ws.config, model="x")
