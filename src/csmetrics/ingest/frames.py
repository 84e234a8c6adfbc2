"""In-memory inputs (Arrow, pandas, dicts, spreadsheet cells) as one Arrow table.

Typed columns stay typed so DuckDB casts them directly. A column whose values
mix kinds (a date next to a string, an int next to "n/a") cannot be one Arrow
type; it becomes text and goes through the same lenient parsers as a CSV cell,
so ``{"start_date": date(2026, 7, 1)}`` and ``{"start_date": "2026-07-01"}`` load
alike and "abc" in a number column is reported, not raised.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
import pyarrow as pa

from csmetrics.errors import InputDataError

ROW_COLUMN = "__row"


def to_arrow(data: Any, source: str) -> pa.Table:
    """Arrow table of ``data`` plus a 1-based ``__row`` column (the position of each row)."""
    if isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    if isinstance(data, pa.Table):
        table = _plain_names(data)
    elif isinstance(data, pd.DataFrame):
        table = pa.table(
            {str(name): arrow_column(data[name], from_pandas=True) for name in data.columns}
        )
    elif isinstance(data, Iterable) and not isinstance(data, str | bytes):
        table = _from_records(data, source)
    else:
        raise InputDataError(
            f"{source}: cannot load a {type(data).__name__}; "
            "pass a pyarrow Table, a pandas DataFrame or a list of dicts"
        )
    rows = pa.array(range(1, table.num_rows + 1), type=pa.int64())
    return table.append_column(ROW_COLUMN, rows)


def columns_to_arrow(columns: dict[str, list[Any]], rows: Sequence[int]) -> pa.Table:
    """Arrow table from column lists with explicit row numbers (used for spreadsheets)."""
    arrays = {name: arrow_column(values) for name, values in columns.items()}
    arrays[ROW_COLUMN] = pa.array(list(rows), type=pa.int64())
    return pa.table(arrays)


def arrow_column(values: Any, *, from_pandas: bool = False) -> pa.Array:
    """One typed Arrow array, or text when the values mix kinds."""
    try:
        array = pa.array(values, from_pandas=from_pandas)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError):
        return pa.array([as_text(v) for v in values], type=pa.string())
    if pa.types.is_null(array.type):
        return array.cast(pa.string())
    return array


def as_text(value: Any) -> str | None:
    """How a single value reads as a cell of text (ISO dates, lower-case booleans)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value) and not isinstance(value, bool):
        return "nan"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _from_records(records: Iterable[Any], source: str) -> pa.Table:
    columns: dict[str, list[Any]] = {}
    for count, record in enumerate(records):
        if not isinstance(record, dict):
            raise InputDataError(
                f"{source}:{count + 1}: expected a dict of column values, got {type(record).__name__}"
            )
        for key in record:
            if key not in columns:
                columns[key] = [None] * count
        for key, values in columns.items():
            values.append(record.get(key))
    return pa.table({str(k): arrow_column(v) for k, v in columns.items()})


def _plain_names(table: pa.Table) -> pa.Table:
    names = [str(n) for n in table.column_names]
    if ROW_COLUMN in names:
        raise InputDataError(f"column name {ROW_COLUMN!r} is reserved")
    return table.rename_columns(names)


def unique_headers(names: Sequence[str]) -> list[str]:
    """Header names made unique and non-empty, so every column can be selected by name."""
    seen: set[str] = set()
    result = []
    for index, name in enumerate(names):
        base = name.strip() or f"column{index + 1}"
        candidate, n = base, 1
        while candidate in seen:
            n += 1
            candidate = f"{base}_{n}"
        seen.add(candidate)
        result.append(candidate)
    return result
