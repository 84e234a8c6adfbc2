"""Turn numpy columns into canonical Arrow tables and write them as Parquet.

Columns are looked up by the table's declaration, so a file can only ever carry the
canonical column names and types; a generator that forgets or invents a column fails
here, at generation time, not at import.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from csmetrics import schema
from csmetrics.demo.timeline import NA

COMPRESSION = "zstd"


def _to_arrow(values: Any, kind: pa.DataType) -> pa.Array:
    """One column: integer-coded dates/timestamps/ints/bools use ``NA`` for null,
    floats use NaN, strings use None (or come as ready Arrow arrays)."""
    if isinstance(values, pa.Array | pa.ChunkedArray):
        return values.cast(kind) if values.type != kind else values
    arr = np.asarray(values)
    if pa.types.is_string(kind):
        return pa.array(arr.tolist() if arr.dtype == object else arr, type=kind)
    if pa.types.is_floating(kind):
        arr = arr.astype(np.float64)
        return pa.array(arr, mask=np.isnan(arr), type=kind)
    arr = arr.astype(np.int64)
    mask = arr == NA
    if pa.types.is_boolean(kind):
        return pa.array(arr == 1, mask=mask, type=kind)
    if pa.types.is_date32(kind):
        return pa.array(np.where(mask, 0, arr).astype(np.int32), mask=mask, type=pa.int32()).cast(
            kind
        )
    return pa.array(np.where(mask, 0, arr), mask=mask, type=kind)


def arrow_table(name: str, columns: Mapping[str, Any]) -> pa.Table:
    """Build table ``name`` with exactly its canonical schema."""
    spec = schema.table(name)
    target = spec.arrow_schema()
    if set(columns) != set(target.names):
        missing = sorted(set(target.names) - set(columns))
        extra = sorted(set(columns) - set(target.names))
        raise ValueError(f"{name}: missing columns {missing}, unknown columns {extra}")
    arrays = []
    for fld in target:
        array = _to_arrow(columns[fld.name], fld.type)
        if not fld.nullable and array.null_count:
            raise ValueError(f"{name}.{fld.name}: {array.null_count} nulls in a required column")
        arrays.append(array)
    return pa.Table.from_arrays(arrays, schema=target)


def drop_duplicate_keys(name: str, columns: dict[str, Any]) -> dict[str, Any]:
    """Keep the first row of each primary key: random timestamps can collide, rarely."""
    import pandas as pd

    key = list(schema.table(name).primary_key)
    frame = pd.DataFrame({k: np.asarray(columns[k]) for k in key})
    dup = frame.duplicated(keep="first").to_numpy()
    if not dup.any():
        return columns
    return {k: np.asarray(v)[~dup] for k, v in columns.items()}


def money(values: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(values, dtype=np.float64), 2)


def write(table: pa.Table, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path, compression=COMPRESSION)
    return path


class ChunkedWriter:
    """Writes one table as numbered part files, rolling to a new file every
    ``rows_per_file`` rows, so a 100M-row table never sits in memory at once."""

    def __init__(self, folder: Path, name: str, rows_per_file: int) -> None:
        self.folder = folder
        self.name = name
        self.rows_per_file = rows_per_file
        self.schema = schema.table(name).arrow_schema()
        self.paths: list[Path] = []
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None
        self._in_file = 0

    def write(self, table: pa.Table) -> None:
        if table.num_rows == 0:
            return
        if self._writer is None or self._in_file >= self.rows_per_file:
            self._roll()
        assert self._writer is not None
        self._writer.write_table(table)
        self._in_file += table.num_rows
        self.rows += table.num_rows

    def _roll(self) -> None:
        self.close()
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"part-{len(self.paths):04d}.parquet"
        self._writer = pq.ParquetWriter(path, self.schema, compression=COMPRESSION)
        self.paths.append(path)
        self._in_file = 0

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
