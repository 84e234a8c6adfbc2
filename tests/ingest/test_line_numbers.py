"""CSV rows are reported by physical line, whatever the quoting and blank lines."""

from __future__ import annotations

import gzip
from pathlib import Path

from csmetrics import Workspace


def _import(ws: Workspace, path: Path) -> list[tuple[int, str]]:
    report = ws.import_files("fx_rates", [path])
    return [(r.row, r.reason) for r in report.rejections]


def test_quoted_line_breaks_shift_the_lines_after_them(
    workspace: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "fx.csv"
    path.write_text(
        "currency,rate_date,rate,note\n"  # 1
        'EUR,2026-01-01,1.1,"two\nlines"\n'  # 2-3
        "GBP,2026-01-01,x,\n"  # 4
        'USD,2026-01-01,1,"three\n\nlines"\n'  # 5-7
        "CHF,2026-01-01,y,\n"  # 8
    )
    assert _import(workspace, path) == [(4, "'x' is not a number"), (8, "'y' is not a number")]


def test_blank_lines_are_counted(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "fx.csv"
    path.write_text(
        "currency,rate_date,rate\n"  # 1
        "\n"  # 2
        "EUR,2026-01-01,1.1\n"  # 3
        "\n"  # 4
        'GBP,2026-01-01,"bad\nrate"\n'  # 5-6
        ",,\n"  # 7: no values at all: skipped, not rejected
        "CHF,2026-01-01,-1\n"  # 8
        "\n\n"  # trailing blank lines
    )
    assert _import(workspace, path) == [
        (5, "'bad\\nrate' is not a number"),  # the line break is shown, the message one line
        (8, "'-1' is below the minimum 0"),
    ]
    assert workspace.row_count("fx_rates") == 1


def test_crlf_gzip_and_bom(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "fx.csv.gz"
    text = '\ufeffcurrency,rate_date,rate\r\nEUR,2026-01-01,1.1\r\nGBP,"2026-01-01",nope\r\n'
    path.write_bytes(gzip.compress(text.encode("utf-8")))
    assert _import(workspace, path) == [(3, "'nope' is not a number")]


def test_header_without_trailing_newline_and_no_rows(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "fx.csv"
    path.write_text("currency,rate_date,rate")
    report = workspace.import_files("fx_rates", [path])
    assert (report.rows_read, report.rows_rejected) == (0, 0)
