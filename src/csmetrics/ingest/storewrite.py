"""A write the machine refused (disk full, read-only folder, file-size limit) as one line.

DuckDB reports these as IO or transaction errors naming the store file, its
write-ahead log or its spill folder; inside a batch they mean the transaction was
rolled back, so the message can say that nothing was imported. Any other engine
error inside a batch is a bug and keeps its traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from csmetrics.errors import WorkspaceError

_CAUSES = re.compile(
    r"no space left|file too large|read-only file system|permission denied|disk quota"
    r"|could not write|could not truncate|could not fsync|failed to commit",
    re.IGNORECASE,
)


def is_write_failure(exc: BaseException, store: Path | None) -> bool:
    """Whether ``exc`` is the engine failing to write the store (not a bad input file)."""
    if not isinstance(
        exc, duckdb.IOException | duckdb.TransactionException | duckdb.FatalException
    ):
        return False
    text = str(exc)
    if isinstance(exc, duckdb.FatalException):
        return True  # the engine gave the database up after a failed write
    names_store = store is not None and str(store) in text
    return bool(_CAUSES.search(text)) and (names_store or "Failed to commit" in text)


def write_failure(store: Path | None, exc: BaseException) -> WorkspaceError:
    """The one-line error for a refused write; the batch was rolled back."""
    text = " ".join(str(exc).split())
    cause = text.rsplit(": ", 1)[-1].rstrip(". ") or type(exc).__name__
    where = store if store is not None else "the store"
    return WorkspaceError(
        f"{where}: cannot write the store ({cause[:200]}); nothing was imported. "
        "Free disk space or make the workspace folder writable, then re-run"
    )
