"""Each kind of bad input gets its own message, and no good row is lost because of it."""

from __future__ import annotations

import pytest

from csmetrics import Workspace
from csmetrics.errors import InputDataError

from .conftest import DATA, rows, workspace_with

# contracts_bad.csv, by physical line (the header is line 1).
EXPECTED = [
    (3, "arr", "'abc' is not a number"),
    (4, "start_date", "'2026-13-45' is not a date (expected YYYY-MM-DD)"),
    (5, "arr", "required value is missing"),
    (6, "billing_term", "'yearly' is not one of monthly, annual, multi_year"),
    (7, "arr", "'-100' must not be negative"),
    (8, "arr", "'NaN' is not a finite number"),
    (9, "contract_id", "duplicate key contract_id=K1 (first seen at {file}:2)"),
    (10, "account_id", "'A9' is not a known accounts.account_id"),
    (
        11,
        "end_date",
        "end_date must be after start_date (start_date 2026-06-01, end_date 2026-01-01)",
    ),
    (13, "licenses", "'2.5' is not a whole number"),
]


@pytest.fixture
def bad_import(seeded: Workspace):
    return seeded.import_files("contracts", [DATA / "contracts_bad.csv"])


def test_counts_add_up(bad_import) -> None:
    assert bad_import.rows_read == 12
    assert bad_import.rows_loaded == 2
    assert bad_import.rows_rejected == 10
    assert not bad_import.ok


def test_every_bad_row_has_its_message(bad_import) -> None:
    file = str(DATA / "contracts_bad.csv")
    got = [(r.row, r.column, r.reason) for r in bad_import.rejections]
    assert got == [(line, col, reason.format(file=file)) for line, col, reason in EXPECTED]
    assert str(bad_import.rejections[0]) == f"{file}:3:arr: 'abc' is not a number"


def test_good_rows_load_despite_bad_neighbours(seeded: Workspace, bad_import) -> None:
    loaded = rows(
        seeded, "SELECT contract_id, product, end_date, arr, licenses FROM contracts ORDER BY 1"
    )
    assert [r[0] for r in loaded] == ["K1", "K10"]
    assert loaded[1][1:] == ("router, pro", None, 900.0, None)


def test_quarantine_holds_every_rejection_with_the_raw_row(seeded: Workspace, bad_import) -> None:
    quarantined = rows(
        seeded,
        'SELECT "row", "column", raw, table_name, batch_id FROM _quarantine ORDER BY "row"',
    )
    assert [(r[0], r[1]) for r in quarantined] == [(line, col) for line, col, _ in EXPECTED]
    assert '"arr":"abc"' in quarantined[0][2]
    assert {r[3] for r in quarantined} == {"contracts"}
    assert {r[4] for r in quarantined} == {bad_import.batch_id}


def test_a_row_with_several_problems_reports_each(seeded: Workspace) -> None:
    report = seeded.load(
        "contracts",
        [
            {
                "contract_id": "K1",
                "account_id": "A404",
                "product": "router",
                "start_date": "2026-05-01",
                "end_date": "2026-04-01",
                "arr": "lots",
                "currency": "USD",
                "billing_term": "weekly",
            }
        ],
    )
    assert report.rows_rejected == 1
    assert report.problems == 4
    assert sorted(r.column for r in report.rejections) == [
        "account_id",
        "arr",
        "billing_term",
        "end_date",
    ]


def test_survey_score_out_of_range_for_its_kind(seeded: Workspace) -> None:
    report = seeded.import_files("survey_responses", [DATA / "survey_responses.csv"])
    got = [(r.row, r.column, r.reason) for r in report.rejections]
    assert got == [
        (3, "score", "'7': score must be between 1 and 5 when survey is csat"),
        (5, "score", "'0': score must be between 1 and 5 when survey is csat"),
        (6, "score", "'11' is above the maximum 10"),
        (6, "score", "'11': score must be between 0 and 10 when survey is nps"),
    ]
    assert (report.rows_loaded, report.rows_rejected) == (2, 3)
    stored = rows(seeded, "SELECT survey, responded_at::VARCHAR FROM survey_responses ORDER BY 1")
    # ISO 8601 with Z is UTC already.
    assert stored == [("ces", "2026-03-02 09:30:00"), ("nps", "2026-03-01 10:00:00")]


def test_missing_required_column_fails_the_whole_batch(seeded: Workspace, tmp_path) -> None:
    good = DATA / "contracts.csv"
    broken = tmp_path / "no_arr.csv"
    broken.write_text("contract_id,account_id,product,start_date,currency,billing_term\n")
    with pytest.raises(InputDataError) as caught:
        seeded.import_files("contracts", [good, broken])
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{broken}: missing required column(s) arr for table contracts")
    assert seeded.row_count("contracts") == 0


def test_missing_nullable_columns_are_allowed(seeded: Workspace) -> None:
    report = seeded.load(
        "accounts",
        [{"account_id": "A3", "name": "Initech", "tier": "corp", "created_at": "2025-01-01"}],
    )
    assert report.ok
    assert rows(seeded, "SELECT segment, csm_id FROM accounts WHERE account_id = 'A3'") == [
        (None, None)
    ]


def test_self_reference_may_point_into_the_same_batch(workspace: Workspace) -> None:
    report = workspace.load(
        "csms",
        [
            {
                "csm_id": "M1",
                "name": "Max",
                "team": "T",
                "role": "manager",
                "start_date": "2024-01-01",
            },
            {
                "csm_id": "C1",
                "name": "Cy",
                "team": "T",
                "role": "csm",
                "start_date": "2024-01-01",
                "manager_id": "M1",
            },
            {
                "csm_id": "C2",
                "name": "Di",
                "team": "T",
                "role": "csm",
                "start_date": "2024-01-01",
                "manager_id": "X9",
            },
            {
                "csm_id": "C3",
                "name": "Ed",
                "team": "T",
                "role": "csm",
                "start_date": "2024-01-01",
                "manager_id": "C2",
            },
        ],
    )
    # C3's manager C2 is rejected (unknown manager X9), so C3 would dangle: rejected too.
    assert [(r.row, r.reason) for r in report.rejections] == [
        (3, "'X9' is not a known csms.csm_id"),
        (4, "'C2' is not a known csms.csm_id"),
    ]
    assert report.rows_loaded == 2


def test_configured_date_formats_are_tried_after_iso(tmp_path) -> None:
    with workspace_with(tmp_path / "ws", 'imports:\n  date_formats: ["%d/%m/%Y"]\n') as ws:
        report = ws.load(
            "fx_rates",
            [
                {"currency": "EUR", "rate_date": "31/01/2026", "rate": 1.1},
                {"currency": "EUR", "rate_date": "2026-02-01", "rate": "1.2"},
                {"currency": "GBP", "rate_date": "01/31/2026", "rate": 1.3},
            ],
        )
        assert [(r.row, r.reason) for r in report.rejections] == [
            (3, "'01/31/2026' is not a date (expected YYYY-MM-DD or %d/%m/%Y)")
        ]
        assert rows(ws, "SELECT rate_date::VARCHAR FROM fx_rates ORDER BY 1") == [
            ("2026-01-31",),
            ("2026-02-01",),
        ]
