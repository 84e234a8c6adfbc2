"""One workspace per config for the importer fuzz tests, and the two properties they check.

``exact``: a well-formed file loads exactly the rows the oracle says, every other
row is reported at its place, and nothing else in the store moves. ``robust``: any
file at all either loads (the counts add up, every rejection names file, row and
column on one line) or is refused with one line naming the file, the store
unchanged to the last row. Nothing else (a traceback) is allowed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import csmetrics
from csmetrics import Workspace
from csmetrics.errors import CsMetricsError
from csmetrics.ingest import ImportReport

from .contract_cells import COLUMNS, DATE_FORMAT, Outcome, Row
from .store import Fingerprint, fingerprint

DATA = Path(__file__).parent.parent / "data" / "ingest"
BASE = [
    ("B1", "A1", "router", dt.date(2025, 1, 1), dt.date(2026, 1, 1), 1200.0, "USD", 10, "annual"),
    ("B2", "A2", "mesh", dt.date(2025, 6, 1), None, 99.5, "EUR", None, "monthly"),
]
LEDGER = ("contracts", "_imports", "_quarantine")


@dataclass
class Store:
    """A seeded workspace that is put back to its base state before every case."""

    ws: Workspace

    @classmethod
    def create(cls, root: Path, date_formats: bool) -> Store:
        csmetrics.init(root).close()
        if date_formats:
            config = root / "csmetrics.yaml"
            text = config.read_text("utf-8")
            edited = text.replace(
                "\n  date_formats: []\n", f"\n  date_formats: ['{DATE_FORMAT}']\n"
            )
            assert edited != text, "the template's imports.date_formats line moved"
            config.write_text(edited, "utf-8")
        ws = csmetrics.open(root)
        for table in ("csms", "accounts"):
            report = ws.import_files(table, [DATA / f"{table}.csv"])
            assert report.ok, report.rejections
        return cls(ws)

    @property
    def con(self) -> Any:
        return self.ws.engine.duckdb

    def reset(self) -> Fingerprint:
        """Base contracts only, an empty ledger; returns the fingerprint of that state."""
        self.con.execute("DELETE FROM contracts")
        self.con.executemany(
            f"INSERT INTO contracts ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
            BASE,
        )
        for table in ("_imports", "_quarantine"):
            self.con.execute(f"DELETE FROM {table}")
        self.ws.engine.invalidate()
        return fingerprint(self.con)

    def contracts(self) -> dict[str, tuple[Any, ...]]:
        rows = self.con.execute(f"SELECT {', '.join(COLUMNS)} FROM contracts").fetchall()
        return {row[0]: tuple(row) for row in rows}

    def attempt(self, path: Path) -> ImportReport | CsMetricsError:
        try:
            return self.ws.import_files("contracts", [path])
        except CsMetricsError as exc:
            return exc


def check_exact(
    store: Store,
    path: Path,
    outcome: Outcome,
    places: list[int],
    before: Fingerprint,
    rows: list[Row] | None = None,
) -> ImportReport:
    """The store holds the base rows plus exactly the good rows; the bad ones are named."""
    result = store.attempt(path)
    assert not isinstance(result, CsMetricsError), f"a well-formed file was refused: {result}"
    report = result
    named = {r.row for r in report.rejections}
    expected_rows = {places[i] for i in outcome.rejected}
    odd = named ^ expected_rows
    detail = _short(
        [str(r) for r in report.rejections if r.row in odd]
        + [rows[i].cells for i, place in enumerate(places) if rows and place in odd]
    )
    assert report.rows_read == outcome.read
    assert named == expected_rows, (
        f"rejected {sorted(named)}, expected {sorted(expected_rows)}: {detail}"
    )
    assert report.rows_loaded == len(outcome.stored)
    assert report.rows_rejected == len(outcome.rejected)
    check_rejections(report, path)
    expected = {row[0]: row for row in BASE} | outcome.stored
    stored = store.contracts()
    wrong = {
        key: (stored.get(key), expected.get(key))
        for key in stored.keys() | expected.keys()
        if stored.get(key) != expected.get(key)
    }
    assert not wrong, f"stored vs expected: {_short(wrong)}"
    check_ledger(store, report, before)
    return report


def check_robust(store: Store, path: Path, before: Fingerprint) -> str:
    """Loaded with consistent counts, or refused in one line with the store untouched."""
    result = store.attempt(path)
    if isinstance(result, CsMetricsError):
        message = str(result)
        assert "\n" not in message and "\r" not in message, message
        assert str(path) in message, message
        assert fingerprint(store.con) == before, "a refused file changed the store"
        return "refused"
    report = result
    assert report.rows_loaded + report.rows_rejected == report.rows_read
    check_rejections(report, path)
    stored = store.contracts()
    assert len(stored) == len(BASE) + report.rows_inserted
    assert all(stored.get(row[0]) == row for row in BASE if report.rows_updated == 0)
    check_ledger(store, report, before)
    return "loaded" if report.ok else "loaded, rows rejected"


def check_rejections(report: ImportReport, path: Path) -> None:
    for rejection in report.rejections:
        line = str(rejection)
        assert rejection.file == str(path)
        assert rejection.row >= 1
        assert rejection.column in COLUMNS, rejection
        assert "\n" not in line and "\r" not in line, repr(line)
        assert line.startswith(f"{path}:{rejection.row}:{rejection.column}: ")


def check_ledger(store: Store, report: ImportReport, before: Fingerprint) -> None:
    """One more batch in ``_imports``, its problems in ``_quarantine``, nothing else moved."""
    after = fingerprint(store.con)
    assert after["_imports"][0] == before["_imports"][0] + 1
    assert after["_quarantine"][0] == report.problems
    others = {k: v for k, v in after.items() if k not in LEDGER}
    assert others == {k: v for k, v in before.items() if k not in LEDGER}


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) < 2000 else text[:2000] + "..."
