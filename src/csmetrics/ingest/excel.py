"""Excel workbooks (small files) read with openpyxl into Arrow.

The sheet named like the target table is used when there is one, else the first
sheet. Row 1 is the header; each data row keeps its sheet row number so messages
point at the row a user sees in the spreadsheet. Fully empty rows are skipped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa

from csmetrics.errors import InputDataError
from csmetrics.ingest.frames import columns_to_arrow, unique_headers


def read_excel(path: Path, sheet: str | None = None) -> tuple[pa.Table, tuple[str, ...]]:
    """The sheet as Arrow (with sheet row numbers) and its header as written."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile/KeyError/ValueError on bad files
        raise InputDataError(f"{path}: cannot read Excel file: {_one_line(exc)}") from None
    try:
        names = workbook.sheetnames
        if not names:
            raise InputDataError(f"{path}: the workbook has no sheet")
        worksheet = workbook[sheet] if sheet in names else workbook[names[0]]
        rows = worksheet.iter_rows(values_only=True)
        header = next(rows, None) or ()
        raw = ["" if value is None else str(value) for value in header]
        headers = unique_headers(raw)
        columns: dict[str, list[Any]] = {h: [] for h in headers}
        numbers: list[int] = []
        for number, values in enumerate(rows, start=2):
            if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                continue
            numbers.append(number)
            for index, name in enumerate(headers):
                columns[name].append(values[index] if index < len(values) else None)
    except InputDataError:
        raise
    except Exception as exc:  # a damaged sheet fails while its rows are read (zip, XML)
        raise InputDataError(f"{path}: cannot read Excel file: {_one_line(exc)}") from None
    finally:
        workbook.close()
    return columns_to_arrow(columns, numbers), tuple(h.strip() for h in raw)


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0][:300] if text else "") or type(exc).__name__
