"""The load script: its access oracle on hand-made ownership, and a short run on the demo.

The oracle recomputes from raw tables who owns which account on which day, so the
checks it makes of the app's responses are independent of the app's own filtering;
the first tests pin that rule down and show each check firing on a leak. The last
runs ``bench/load_web.py --quick`` end to end (a real server on loopback, users of
every role, the background import and recompute) and requires zero errors and zero
access violations.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH))
from load_access import Checker, Ownership  # noqa: E402


@pytest.fixture
def ownership() -> Ownership:
    """Team T1: C1, C2 and their manager M1; team T2: C3. A1 moved from C2 to C1 on
    2026-01-01; A2 is C2's; A3 is C3's."""
    accounts = pd.DataFrame(
        {
            "account_id": ["A1", "A2", "A3"],
            "name": ["Alpha", "Bravo", "Charlie"],
            "csm_id": ["C1", "C2", "C3"],
            "tier": ["corp", "corp", "strategic"],
            "segment": ["smb", "smb", "enterprise"],
        }
    )
    assignments = pd.DataFrame(
        {
            "account_id": ["A1", "A1", "A2"],
            "csm_id": ["C2", "C1", "C2"],
            "valid_from": [date(2024, 1, 1), date(2026, 1, 1), date(2024, 1, 1)],
            "valid_to": [date(2026, 1, 1), None, None],
        }
    )
    csms = pd.DataFrame(
        {
            "csm_id": ["M1", "C1", "C2", "C3"],
            "name": ["Mia", "Cora", "Dan", "Eve"],
            "team": ["T1", "T1", "T1", "T2"],
            "role": ["manager", "csm", "csm", "csm"],
        }
    )
    return Ownership(accounts, assignments, csms)


AS_OF, FIRST = date(2026, 6, 30), date(2025, 10, 1)


def test_owner_on_a_day_follows_assignments_then_the_account(ownership: Ownership) -> None:
    assert ownership.owners_on(date(2025, 12, 31)).to_dict() == {"A1": "C2", "A2": "C2", "A3": "C3"}
    assert ownership.owners_on(date(2026, 1, 1)).to_dict() == {"A1": "C1", "A2": "C2", "A3": "C3"}


def test_book_is_today_reach_includes_what_was_handed_over(ownership: Ownership) -> None:
    cora = ownership.sight("cora", "csm", "C1", None, AS_OF, FIRST)
    dan = ownership.sight("dan", "csm", "C2", None, AS_OF, FIRST)
    mia = ownership.sight("mia", "manager", "M1", "T1", AS_OF, FIRST)
    leader = ownership.sight("lee", "leader", None, None, AS_OF, FIRST)
    assert (cora.book, cora.reach) == ({"A1"}, {"A1"})
    assert (dan.book, dan.reach) == ({"A2"}, {"A1", "A2"})
    assert (mia.csm_ids, mia.book, mia.teams) == ({"M1", "C1", "C2"}, {"A1", "A2"}, {"T1"})
    assert not leader.scoped
    # Before A1 moved to C1 the window no longer reaches back: Dan's reach is his book.
    assert ownership.sight("dan", "csm", "C2", None, AS_OF, date(2026, 2, 1)).reach == {"A2"}


def test_each_check_finds_a_leak(ownership: Ownership) -> None:
    checker = Checker(ownership)
    cora = ownership.sight("cora", "csm", "C1", None, AS_OF, FIRST)
    mia = ownership.sight("mia", "manager", "M1", "T1", AS_OF, FIRST)
    leader = ownership.sight("lee", "leader", None, None, AS_OF, FIRST)
    mine = {"account_name": "Alpha", "csm_name": "Cora", "team": "T1"}
    assert checker.rows(cora, [mine], "x") == []
    assert len(checker.rows(cora, [{"account_name": "Charlie"}], "x")) == 1
    assert len(checker.rows(cora, [{"account_id": "A2"}], "x")) == 1
    assert len(checker.rows(cora, [{"csm_name": "Dan"}], "x")) == 1
    assert len(checker.rows(mia, [{"team": "T2"}], "x")) == 1
    assert checker.rows(mia, [{"account_id": "A2", "csm_id": "C2"}], "x") == []
    assert checker.rows(leader, [{"account_id": "A3", "csm_id": "C3"}], "x") == []
    # An account's 360 lists whoever worked on it: people are not checked there.
    assert checker.rows(cora, [{"account_id": "A1", "csm_id": "C2"}], "x", people=False) == []

    def listing(*ids: str) -> dict:
        return {"tables": [{"name": "accounts", "rows": [{"account_id": a} for a in ids]}]}

    assert checker.book(cora, listing("A1"), "x") == []
    assert "1 extra, 0 missing" in checker.book(cora, listing("A1", "A3"), "x")[0]
    assert "0 extra, 1 missing" in checker.book(mia, listing("A1"), "x")[0]
    assert "2 missing" in checker.book(leader, listing("A1"), "x")[0]
    members = {"tables": [{"name": "members", "rows": [{"id": "C1"}, {"id": "C3"}]}]}
    assert len(checker.view(mia, members, "x")) == 1
    assert len(checker.csv(cora, "account_id,csm_id\nA1,C1\nA3,C3\n", "x")) == 2
    page = '<a href="/accounts/A1">a</a><a href="/accounts/A3?x=1">c</a><option value="C3">Eve</option>'
    assert len(checker.html(cora, page, "x")) == 2
    assert checker.html(leader, page, "x") == []


@pytest.mark.slow
def test_a_short_load_run_has_no_error_and_no_violation(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        [
            sys.executable,
            str(BENCH / "load_web.py"),
            "--quick",
            "--workspace",
            str(tmp_path / "demo"),
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    text = (out / "load_web.md").read_text("utf-8")
    figures = next(line for line in text.splitlines() if line.startswith("| 8 |"))
    cells = [c.strip() for c in figures.strip("|").split("|")]
    assert int(cells[2].replace(",", "")) > 0  # requests
    assert cells[-2:] == ["0", "0"]  # errors, violations
    for job in ("import", "recompute"):
        row = next(line for line in text.splitlines() if line.startswith(f"| {job} |"))
        assert "| finished" in row or "| refused" in row, row
