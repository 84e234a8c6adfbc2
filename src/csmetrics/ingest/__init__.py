"""Import: read files or frames, map columns, validate every row, quarantine, load atomically.

``import_files`` and ``load_data`` are the two entry points (the Workspace calls
them); both run one batch through the same pipeline: sources -> mapping ->
staging (casts and row checks) -> set checks (keys) -> upsert -> quarantine and
ledger, all in one transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csmetrics import schema
from csmetrics.errors import InputDataError
from csmetrics.ingest.batch import run_batch
from csmetrics.ingest.faults import ENV_VAR as FAULT_ENV_VAR
from csmetrics.ingest.faults import POINTS as FAULT_POINTS
from csmetrics.ingest.report import ImportReport, Rejection
from csmetrics.ingest.sources import SUPPORTED, Source, file_kind, open_file, open_memory

if TYPE_CHECKING:
    import duckdb
    import pandas as pd
    import pyarrow as pa

    from csmetrics.config import Config
    from csmetrics.engine import Engine

__all__ = [
    "FAULT_ENV_VAR",
    "FAULT_POINTS",
    "SUPPORTED",
    "ImportReport",
    "Rejection",
    "import_files",
    "load_data",
]


def import_files(
    engine: Engine,
    config: Config,
    table: str,
    paths: list[Path],
    *,
    progress: Callable[[int, int | None], None] | None = None,
) -> ImportReport:
    """Import CSV/TSV, Parquet, Excel and JSON-lines files into one table as one batch."""
    spec = schema.table(table)
    if not paths:
        raise InputDataError(f"{table}: no files to import")
    for path in paths:
        file_kind(path)
        if not path.is_file():
            raise InputDataError(f"{path}: file not found")
    openers = [partial(open_file, path=path, config=config, table=spec.name) for path in paths]
    hashes = [content_hash(p) for p in paths]
    return run_batch(engine, config, spec, openers, hashes, supersede=True, progress=progress)


def load_data(
    engine: Engine,
    config: Config,
    table: str,
    data: pa.Table | pd.DataFrame | Iterable[dict[str, Any]],
    *,
    source: str = "<memory>",
) -> ImportReport:
    """Import in-memory rows with exactly the checks a file gets; rows are numbered from 1."""
    spec = schema.table(table)

    def opener(con: duckdb.DuckDBPyConnection, key: str) -> Source:
        return open_memory(con, data, source, key)

    return run_batch(engine, config, spec, [opener], [""], supersede=False)


def content_hash(path: Path) -> str:
    """SHA-256 of the file's bytes, recorded in the ledger to tell versions of a file apart."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
