"""A run's files: statements.csv adds up, each HTML page shows the real numbers, writes are atomic."""

from __future__ import annotations

from html.parser import HTMLParser

import pandas as pd
import pytest
from comp_data import Q3

from csmetrics.compensation import output
from csmetrics.errors import CompensationError


class Cells(HTMLParser):
    """The text of every table row of a page, and whether it pulls anything from outside."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.external: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        if tag in ("td", "th"):
            self._cell = []
        for name, value in attrs:
            if name in ("src", "href") and value and not value.startswith("#") and "://" in value:
                self.external.append(value)
        if tag in ("link", "script", "img"):
            self.external.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def cells(path) -> Cells:
    parser = Cells()
    parser.feed(path.read_text("utf-8"))
    return parser


def rows(parsed: Cells, first: str) -> list[list[str]]:
    """Rows whose first cell is ``first`` or ends with ``(first)`` (a component's id)."""
    return [r for r in parsed.rows if r and (r[0] == first or r[0].endswith(f"({first})"))]


def row(parsed: Cells, first: str) -> list[str]:
    found = rows(parsed, first)
    assert len(found) == 1, f"{len(found)} rows starting {first!r}"
    return found[0]


def test_run_writes_the_csv_and_a_page_per_csm(retention_ws):
    run = retention_ws.comp_run(Q3)
    assert run.out_dir == retention_ws.root / "comp" / Q3
    names = sorted(p.name for p in run.out_dir.iterdir())
    assert names == sorted(["statements.csv", "index.html", *[f"C{i}.html" for i in range(1, 7)]])
    frame = pd.read_csv(run.csv)
    assert len(frame) == 6 * 2 + 6  # two components and a TOTAL row per CSM
    totals = frame[frame["component"] == "TOTAL"].set_index("csm_id")["amount"]
    assert totals.to_dict() == {
        "C1": 7_200.0,
        "C2": 0.0,
        "C3": 7_227.17,
        "C4": 10_900.0,
        "C5": 13_900.0,
        "C6": 9_400.0,
    }
    parts = frame[frame["component"] != "TOTAL"].groupby("csm_id")["amount"].sum().round(2)
    assert parts.to_dict() == totals.to_dict()
    c3 = frame[(frame["csm_id"] == "C3") & (frame["component"] == "book_nrr")].iloc[0]
    assert c3["missing_rule"] == "target" and "C3's book" in c3["missing"]
    assert (c3["days_employed"], c3["period_days"]) == (61, 92)


def test_the_html_statement_shows_the_real_numbers(retention_ws):
    run = retention_ws.comp_run(Q3)
    page = cells(run.pages["C3"])
    assert page.external == [], "a statement page is self-contained"
    # Each component has a row in Measures, then one in Payout.
    (team_measures, team_payout) = rows(page, "team_nrr")
    # KPI, measured for, numerator, denominator, actual, target, target from, better, attainment
    assert team_measures[0] == "Net revenue retention (NRR) (team_nrr)"
    assert team_measures[1:] == [
        "nrr",
        "team: West",
        "44,500.00",
        "40,000.00",
        "111.25%",
        "100%",
        "plan",
        "higher",
        "111.25%",
    ]
    (book_measures, book_payout) = rows(page, "book_nrr")
    assert book_measures[3:7] == ["—", "—", "—", "100%"]  # nothing measured, never a 0
    # threshold, pays at threshold, accelerator, cap, payout, weight, applied, target pay, amount
    assert book_payout[1:] == [
        "90%",
        "50%",
        "2",
        "150%",
        "100%",
        "60%",
        "60%",
        "3,978.26",
        "3,978.26",
    ]
    assert team_payout[1:] == [
        "90%",
        "50%",
        "2",
        "150%",
        "122.5%",
        "40%",
        "40%",
        "2,652.17",
        "3,248.91",
    ]
    total = row(page, "Total")
    assert total[-2:] == ["6,630.43", "7,227.17"]
    facts = run.pages["C3"].read_text("utf-8")
    assert "61 of 92" in facts and "factor 0.6630" in facts
    assert "7,227.17 USD" in facts
    assert "attainment = actual / target = 111.25% / 100% = 111.25%" in facts
    assert "amount = 10,000.00 x 40% x 122.5% x 61/92 = 3,248.91" in facts


def test_the_index_lists_every_statement_and_the_plan_total(retention_ws):
    run = retention_ws.comp_run(Q3)
    page = cells(run.out_dir / "index.html")
    c3 = row(page, "C3")
    assert c3[1:8] == ["Cleo", "West", "retention", "61 / 92", "6,630.43", "7,227.17", "109%"]
    total = row(page, "Total plan retention")
    assert total[1:3] == ["56,630.43", "48,627.17"]


def test_a_second_run_replaces_the_first_and_a_foreign_folder_is_refused(retention_ws, tmp_path):
    first = retention_ws.comp_run(Q3)
    (first.out_dir / "C1.html").write_text("stale", "utf-8")
    second = retention_ws.comp_run(Q3)
    assert (second.out_dir / "C1.html").read_text("utf-8") != "stale"
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", "utf-8")
    with pytest.raises(CompensationError, match="holds other files"):
        retention_ws.comp_run(Q3, out_dir=foreign)
    assert (foreign / "notes.txt").read_text("utf-8") == "keep me"
    elsewhere = retention_ws.comp_run(Q3, out_dir=tmp_path / "pay" / "q3")
    assert (elsewhere.out_dir / "statements.csv").exists()


def test_an_interrupted_run_leaves_the_previous_one_whole(retention_ws, monkeypatch):
    first = retention_ws.comp_run(Q3)
    before = {p.name: p.read_bytes() for p in first.out_dir.iterdir()}
    calls = {"n": 0}
    real = output.render_html

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(output, "render_html", failing)
    with pytest.raises(OSError, match="disk full"):
        retention_ws.comp_run(Q3)
    after = {p.name: p.read_bytes() for p in first.out_dir.iterdir()}
    assert after == before
    leftovers = [p.name for p in first.out_dir.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []
