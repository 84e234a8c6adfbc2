"""The demo company's plans, end to end: `csmetrics demo DIR` then `csmetrics comp run`.

A 400-account, 24-month demo ending 2026-05-01: a CSM joins on 2025-06-01 (mid 2025-Q2).
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import csmetrics
from csmetrics.cli.app import app
from csmetrics.compensation import formats
from csmetrics.config import default_config_text, load_config

pytestmark = pytest.mark.slow

ARGS = ["--accounts", "400", "--months", "24", "--events-scale", "0.05", "--seed", "3"]
QUARTERS = ("2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1")


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("comp-demo") / "ws"
    result = CliRunner().invoke(app, ["demo", str(root), *ARGS, "--end-date", "2026-05-01"])
    assert result.exit_code == 0, result.output
    return root


def test_the_demo_config_is_the_commented_template_plus_the_plans(demo_root):
    text = (demo_root / "csmetrics.yaml").read_text("utf-8")
    template = default_config_text()
    head = template[: template.index("  plans: {}")]
    assert text.startswith(head), "every default line and comment is kept"
    plans = load_config(demo_root / "csmetrics.yaml").compensation.plans
    assert list(plans) == ["csm_high_touch", "csm_scale", "cs_managers"]
    weights = {c: x.weight for c, x in plans["csm_high_touch"].components.items()}
    # net renewal weighted most, then CSAT, then adoption and proactiveness
    assert weights == {"net_renewal": 0.5, "csat": 0.2, "adoption": 0.15, "proactiveness": 0.15}


def test_comp_run_pays_everyone_on_a_plan_and_pro_rates_the_joiner(demo_root):
    result = CliRunner().invoke(app, ["comp", "run", "-p", "2025-Q2", "-w", str(demo_root)])
    assert result.exit_code == 0, result.output
    out = demo_root / "comp" / "2025-Q2"
    frame = pd.read_csv(out / "statements.csv")
    totals = frame[frame["component"] == "TOTAL"].set_index("csm_id")
    with csmetrics.open(demo_root, read_only=True) as ws:
        csms = ws.table("csms").execute()
    csms["start_date"] = pd.to_datetime(csms["start_date"])
    csms["end_date"] = pd.to_datetime(csms["end_date"])
    employed = csms[
        (csms["start_date"] < "2025-07-01")
        & (csms["end_date"].isna() | (csms["end_date"] > "2025-04-01"))
        & csms["role"].isin(["csm", "manager"])
    ]
    assert sorted(totals.index) == sorted(employed["csm_id"])  # the leader is on no plan
    joiner = csms[csms["start_date"] == "2025-06-01"]["csm_id"].item()
    assert (totals.loc[joiner, "days_employed"], totals.loc[joiner, "period_days"]) == (30, 91)
    assert totals.loc[joiner, "target_pay"] == round(5_000 * 30 / 91, 2)
    for csm_id in totals.index:
        assert (out / f"{csm_id}.html").exists()


def test_every_statement_adds_up_and_stays_within_the_caps(demo_root):
    with csmetrics.open(demo_root, read_only=True) as ws:
        statements = [s for q in QUARTERS for s in ws.comp_statements(q)]
    assert len(statements) >= 4 * 12
    for s in statements:
        assert s.total == round(sum(x.amount for x in s.lines), 2)
        assert 0 <= s.total <= 1.5 * s.target_pay + 0.01
        for x in s.lines:
            assert x.value is not None or x.missing, "no value without a reason"
            assert 0 <= x.payout <= 1.5
    # sensible: a typical quarter pays most people something, around target on average
    shares = pd.Series([s.payout for s in statements])
    assert 0.5 <= shares.mean() <= 1.2
    assert (shares > 0).mean() > 0.9


def test_payouts_recover_the_csms_hidden_skill(demo_root):
    """Better CSMs (the demo's ground truth) are paid more over a year of quarters."""
    with csmetrics.open(demo_root, read_only=True) as ws:
        paid = pd.DataFrame(
            [
                {"csm_id": s.csm_id, "payout": s.payout}
                for q in QUARTERS
                for s in ws.comp_statements(q)
                if s.plan_id != "cs_managers"
            ]
        )
    skill = pd.read_parquet(demo_root / "source" / "truth" / "csm_skill.parquet")
    joined = skill.set_index("csm_id").join(paid.groupby("csm_id")["payout"].mean(), how="inner")
    assert len(joined) >= 8
    assert joined["skill"].corr(joined["payout"], method="spearman") > 0.5


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.cells: list[str] = []
        self._open = False

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in ("td", "dd"):
            self._open = True
            self.cells.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "dd"):
            self._open = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.cells[-1] += data


def test_a_demo_html_statement_reads_back_with_the_real_numbers(demo_root):
    with csmetrics.open(demo_root, read_only=True) as ws:
        run = ws.comp_run("2025-Q3", out_dir=demo_root / "comp" / "readback")
        s = next(x for x in run.statements if x.plan_id == "csm_high_touch")
        # the KPIs asked for on their own, as any user would
        by_csm = ws.kpis(["nrr", "csat", "next_meeting_scheduled"], by="csm", period="2025-Q3")
        by_team = ws.kpi("mau", by="team", period="2025-Q3")
    parser = _Cells()
    parser.feed(run.pages[s.csm_id].read_text("utf-8"))
    cells = [" ".join(c.split()) for c in parser.cells]
    mine = by_csm[by_csm["csm_id"] == s.csm_id].set_index("kpi")
    team = by_team.set_index("team").loc[s.payee.team]
    for kpi in ("nrr", "csat", "next_meeting_scheduled"):
        assert formats.in_unit(mine.loc[kpi, "value"], "ratio") in cells, kpi
    assert formats.in_unit(mine.loc["nrr", "numerator"], "money") in cells
    assert formats.in_unit(float(team["value"]), "count") in cells
    for x in s.lines:
        if x.value is not None:
            assert formats.in_unit(x.value, x.unit) in cells
            assert formats.in_unit(x.numerator, x.parts) in cells or x.numerator is None
        assert formats.share(x.attainment) in cells
        assert formats.money(x.amount) in cells
        assert formats.money(x.target_pay) in cells
    assert formats.money(s.total) in cells
    assert any(c.startswith(f"{formats.money(s.total)} {s.currency}") for c in cells)
