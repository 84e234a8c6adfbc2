"""One import batch, start to finish, as a single DuckDB transaction.

Everything that writes (staging, checks, upsert, quarantine, the ``_imports``
ledger row) happens between BEGIN and COMMIT, so a batch either lands whole or
leaves the store exactly as it was, even when the process is killed; a re-run
then starts from a clean state. Work before BEGIN only reads: opening inputs,
matching headers, and failing fast on a missing required column.
"""

from __future__ import annotations

import contextlib
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from csmetrics.config import Config
from csmetrics.engine import Engine
from csmetrics.errors import ConfigError, InputDataError
from csmetrics.ingest import ledger
from csmetrics.ingest.faults import fault_point
from csmetrics.ingest.lines import PLACES, resolve_places
from csmetrics.ingest.mapping import ColumnMap, missing_columns_message, resolve_columns
from csmetrics.ingest.report import ImportReport
from csmetrics.ingest.setchecks import PROBLEMS, VALID, collect_problems
from csmetrics.ingest.sources import Source
from csmetrics.ingest.sql import lit
from csmetrics.ingest.staging import STAGE, StagedInput, create_stage, stage_input
from csmetrics.ingest.storewrite import is_write_failure, write_failure
from csmetrics.ingest.textscan import csv_error_line
from csmetrics.ingest.upsert import ACTIONS, upsert
from csmetrics.schema import Table

Progress = Callable[[int, int | None], None]
Opener = Callable[[duckdb.DuckDBPyConnection, str], Source]
REPORT_LIMIT = 1000
_TEMP_TABLES = (ledger.REJECTS, ledger.FILES, PLACES, ACTIONS, PROBLEMS, STAGE)


@dataclass
class Batch:
    """What one batch is made of, gathered before its transaction starts."""

    table: Table
    config: Config
    store: Path | None
    hashes: Sequence[str]
    supersede: bool
    progress: Progress | None
    batch_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    started_at: datetime = field(default_factory=lambda: _now())
    clock: float = field(default_factory=time.monotonic)
    sources: list[Source] = field(default_factory=list)
    maps: list[ColumnMap] = field(default_factory=list)
    total: int | None = None

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.sources]

    def report_progress(self, done: int, total: int | None) -> None:
        if self.progress is not None:
            self.progress(done, total)


def run_batch(
    engine: Engine,
    config: Config,
    table: Table,
    openers: Sequence[Opener],
    hashes: Sequence[str],
    *,
    supersede: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Open the inputs, then stage, check and load them in one transaction."""
    batch = Batch(table, config, engine.path, hashes, supersede, progress)
    con = engine.duckdb
    check_date_formats(con, config.imports.date_formats)
    try:
        for index, opener in enumerate(openers):
            batch.sources.append(opener(con, f"{batch.batch_id}_{index}"))
        batch.maps = _column_maps(batch.sources, table, config)
        batch.total = _total_rows(batch.sources)
        batch.report_progress(0, batch.total)
        with _settings_restored(con, ("preserve_insertion_order", "enable_progress_bar")):
            con.execute("SET enable_progress_bar = false")  # progress is ours to report
            con.execute("BEGIN TRANSACTION")
            try:
                report = _write(con, batch)
            except BaseException as exc:
                with contextlib.suppress(duckdb.Error):  # the failure may have ended it
                    con.execute("ROLLBACK")
                if is_write_failure(exc, engine.path):
                    raise write_failure(engine.path, exc) from None
                raise
    finally:
        for source in batch.sources:
            source.close()
    engine.invalidate()
    batch.report_progress(report.rows_read, report.rows_read)
    return report


def _write(con: duckdb.DuckDBPyConnection, batch: Batch) -> ImportReport:
    table = batch.table
    ledger.ensure_ledger(con)
    create_stage(con, table)
    staged: list[StagedInput] = []
    for index, (source, cmap) in enumerate(zip(batch.sources, batch.maps, strict=True)):
        _set_order(con, source.ordered)
        try:
            staged.append(
                stage_input(con, table, source, cmap, index, batch.config.imports.date_formats)
            )
        except duckdb.Error as exc:
            if is_write_failure(exc, batch.store):
                raise
            raise InputDataError(read_error(source, exc)) from None
        batch.report_progress(sum(s.records for s in staged), batch.total)
    _set_order(con, False)
    fault_point("after_staging")

    rejected = collect_problems(con, table)
    read = sum(s.records - s.blank for s in staged)
    fault_point("after_checks")

    counts = upsert(con, table, read - rejected)
    fault_point("after_upsert")

    names = batch.names
    resolve_places(con, batch.sources, staged)
    superseded = names if batch.supersede else []
    ledger.quarantine(con, table, batch.batch_id, names, superseded, batch.started_at)
    rejections, problems = ledger.first_rejections(con, REPORT_LIMIT)
    record = ledger.BatchRecord(
        batch_id=batch.batch_id,
        table=table.name,
        files=tuple(names),
        hashes=tuple(batch.hashes),
        read=read,
        loaded=read - rejected,
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        rejected=rejected,
        started_at=batch.started_at,
        finished_at=_now(),
    )
    ledger.record_batch(con, record)
    con.execute(f"DROP VIEW IF EXISTS {VALID}")
    for temp in _TEMP_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    fault_point("before_commit")
    con.execute("COMMIT")
    return ImportReport(
        table=table.name,
        files=tuple(names),
        rows_read=read,
        rows_loaded=read - rejected,
        rows_inserted=counts.inserted,
        rows_updated=counts.updated,
        rows_unchanged=counts.unchanged,
        rows_rejected=rejected,
        rejections=rejections,
        batch_id=batch.batch_id,
        seconds=round(time.monotonic() - batch.clock, 3),
        ignored_columns=tuple(dict.fromkeys(h for m in batch.maps for h in m.ignored)),
        problems=problems,
    )


def check_date_formats(con: duckdb.DuckDBPyConnection, formats: Sequence[str]) -> None:
    """Reject a bad ``imports.date_formats`` entry before any data is read."""
    for fmt in formats:
        try:
            con.execute(f"SELECT try_strptime('2026-01-01', {lit(fmt)})").fetchall()
        except duckdb.Error as exc:
            raise ConfigError(
                f"imports.date_formats: {fmt!r} is not a valid strptime format ({_first_line(exc)})"
            ) from None


def read_error(source: Source, exc: BaseException) -> str:
    """One line for a reader failure: DuckDB's CSV errors name the line and the cause."""
    text = re.split(r"Possible (?:fixes|Solution)", str(exc))[0]
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    where = re.search(r"CSV Error on Line: (\d+)", text)
    if where:
        detail = [line for line in lines[1:] if not line.startswith("Original Line")]
        cause = "; ".join(detail)[:300] or "malformed record"
        line = int(where.group(1))
        if source.kind == "csv" and source.path is not None:
            line = csv_error_line(source.path, source.delimiter, line)
        return f"{source.name}:{line}: cannot read: {cause}"
    cause = "; ".join(line.removeprefix("Invalid Input Error: ") for line in lines[:2])
    return f"{source.name}: cannot read: {cause[:300]}"


def _column_maps(sources: list[Source], table: Table, config: Config) -> list[ColumnMap]:
    mapping = config.imports.mappings.get(table.name, {})
    for source in sources:
        _check_repeated_headers(source, table, mapping)
    maps = [resolve_columns(s.headers, table, mapping, s.name) for s in sources]
    missing = [
        missing_columns_message(s.name, table, m, s.headers)
        for s, m in zip(sources, maps, strict=True)
        if m.missing_required and (s.headers or s.rows_hint != 0)  # [] is an empty batch
    ]
    if missing:
        raise InputDataError("; ".join(missing))
    return maps


def _check_repeated_headers(source: Source, table: Table, mapping: dict[str, str]) -> None:
    """A column the table needs that the file holds twice: which one is meant is unknowable."""
    names = source.raw_headers or ()
    counts = Counter(name for name in names if name)
    for name, count in counts.items():
        if count > 1 and resolve_columns([name], table, mapping, source.name).source_for:
            raise InputDataError(
                f"{source.name}: column {name!r} appears {count} times in the header; keep one"
            )


def _total_rows(sources: list[Source]) -> int | None:
    hints = [s.rows_hint for s in sources]
    return None if any(h is None for h in hints) else sum(h or 0 for h in hints)


@contextlib.contextmanager
def _settings_restored(con: duckdb.DuckDBPyConnection, names: Sequence[str]) -> Iterator[None]:
    """The settings a batch changes are connection-wide: put them back afterwards."""
    previous = {
        name: con.execute(f"SELECT current_setting({lit(name)})").fetchone() for name in names
    }
    try:
        yield
    finally:
        for name, row in previous.items():
            if row is not None:
                value = (
                    "true" if row[0] is True else "false" if row[0] is False else lit(str(row[0]))
                )
                con.execute(f"SET {name} = {value}")


def _set_order(con: duckdb.DuckDBPyConnection, ordered: bool) -> None:
    """Keep scan order only where row numbers depend on it (CSV, JSON lines).

    Elsewhere order does not matter, and letting DuckDB drop it keeps big loads
    parallel and their memory bounded.
    """
    con.execute(f"SET preserve_insertion_order = {'true' if ordered else 'false'}")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
