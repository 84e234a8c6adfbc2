"""Write fuzzed contract rows as CSV, JSON lines, Parquet or Excel, the way exports do.

Each writer returns the rows as written (Excel cannot hold some characters, so it
replaces them and says what the cell now must load as) and, for each row, the
place the importer must name: the physical line (CSV, JSON lines), the data row
(Parquet) or the sheet row (Excel).
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
import math
import re
from dataclasses import dataclass, replace
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .contract_cells import BAD, COLUMNS, Cell, Row, trimmed


@dataclass(frozen=True)
class TextStyle:
    """How a text export is laid out: the variations real exports show."""

    bom: bool = False
    crlf: bool = False
    blank_every: int = 0  # a blank line after every n-th record (0: none)
    gz: bool = False
    quote_all: bool = False
    native: bool = False  # JSON lines: numbers as JSON numbers where they are numbers


def write_csv(
    rows: list[Row], folder: Path, style: TextStyle, ragged: tuple[int, int] | None = None
) -> tuple[Path, list[int]]:
    """``ragged``: (row index, cells to add or, when negative, to drop) for one bad record."""
    buffer = io.StringIO()
    newline = "\r\n" if style.crlf else "\n"
    quoting = csv.QUOTE_ALL if style.quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(buffer, lineterminator=newline, quoting=quoting)
    writer.writerow(COLUMNS)
    line, places = 2, []
    for number, row in enumerate(rows, start=1):
        values = ["" if row.cells[c].text is None else row.cells[c].text for c in COLUMNS]
        if ragged is not None and ragged[0] == number - 1:
            values = values + ["x"] * ragged[1] if ragged[1] > 0 else values[: ragged[1]]
        writer.writerow(values)
        places.append(line)
        line += 1 + sum(str(v).count("\n") for v in values)
        if style.blank_every and number % style.blank_every == 0:
            buffer.write(newline)
            line += 1
    return _save(buffer.getvalue(), folder / "contracts.csv", style), places


def write_jsonl(rows: list[Row], folder: Path, style: TextStyle) -> tuple[Path, list[int]]:
    newline = "\r\n" if style.crlf else "\n"
    lines, places = [], []
    for number, row in enumerate(rows, start=1):
        record: dict[str, object] = {}
        for column in COLUMNS:
            cell = row.cells[column]
            if cell.text is None:
                if number % 2:
                    record[column] = None  # else: the key is left out
            elif style.native and cell.has_native and _json_number(cell.native):
                record[column] = cell.native
            else:
                record[column] = cell.text
        lines.append(json.dumps(record, ensure_ascii=number % 3 == 0))
        places.append(len(lines))
        if style.blank_every and number % style.blank_every == 0:
            lines.append("")
    text = newline.join(lines) + (newline if lines else "")
    return _save(text, folder / "contracts.jsonl", style), places


def _json_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _save(text: str, path: Path, style: TextStyle) -> Path:
    data = ("\ufeff" if style.bom else "").encode() + text.encode("utf-8")
    if style.gz:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data)
    path.write_bytes(data)
    return path


def write_parquet(rows: list[Row], folder: Path, typed: bool) -> tuple[Path, list[int]]:
    """Typed columns where every cell has a native value (``typed``), else text."""
    arrays = {}
    for column in COLUMNS:
        cells = [r.cells[column] for r in rows]
        natives = all(c.has_native or c.text is None for c in cells)
        if typed and natives and any(c.has_native for c in cells):
            values = [c.native if c.has_native else None for c in cells]
            kinds = {type(v) for v in values if v is not None}
            if kinds <= {dt.date}:
                arrays[column] = pa.array(values, pa.date32())
            elif kinds <= {int}:
                arrays[column] = pa.array(values, pa.int64())
            else:
                arrays[column] = pa.array(
                    [None if v is None else float(v) for v in values], pa.float64()
                )
        else:
            arrays[column] = pa.array([c.text for c in cells], pa.string())
    path = folder / "contracts.parquet"
    pq.write_table(pa.table(arrays), path)
    return path, list(range(1, len(rows) + 1))


_ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def write_excel(rows: list[Row], folder: Path) -> tuple[Path, list[Row], list[int]]:
    """Native dates and numbers where a cell has them; text cells kept as text."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "contracts"
    sheet.append(list(COLUMNS))
    written: list[Row] = []
    for number, row in enumerate(rows, start=2):
        cells = dict(row.cells)
        for column, cell in cells.items():
            if isinstance(cell.native, float) and cell.expected is not BAD:
                value = float(f"{cell.native:.15g}")  # what a spreadsheet cell keeps
                cells[column] = Cell(repr(value), value, value, True)
            elif cell.text is not None and _ILLEGAL_IN_XLSX.search(cell.text):
                text = _ILLEGAL_IN_XLSX.sub("?", cell.text)
                cells[column] = _retexted(cell, text, column)
        written.append(Row(cells))
        for index, column in enumerate(COLUMNS, start=1):
            cell = cells[column]
            target = sheet.cell(row=number, column=index)
            if cell.has_native and _excel_native(cell.native) and number % 2:
                target.value = cell.native
            else:
                target.value = cell.text
                if cell.text is not None:
                    target.data_type = "s"  # "=..." stays text, not a formula
    path = folder / "contracts.xlsx"
    workbook.save(path)
    return path, written, list(range(2, len(rows) + 2))


def _excel_native(value: object) -> bool:
    return isinstance(value, dt.date) or _json_number(value)


def _retexted(cell: Cell, text: str, column: str) -> Cell:
    if cell.expected is BAD or column not in ("contract_id", "product", "currency"):
        return replace(cell, text=text, has_native=False)
    return Cell(text, trimmed(text) or BAD)
