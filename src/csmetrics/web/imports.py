"""Imports through the running app: an admin uploads a file, it is imported beside the
pages being served, and the app recomputes once the batch has landed.

DuckDB lets one process write a store, and ``csmetrics serve`` is that process, so
``csmetrics import`` cannot run beside it: the app imports instead. The batch runs in
a background thread on a second connection to the store (``Workspace.sibling``), with
its own transaction, through the same importer as the command line (same checks,
quarantine, rollups; whole or not at all). It never takes the workspace lock, so the
pages go on answering from the data as it was (DuckDB's MVCC) until it commits; then
the data version moves on and the cached answers are recomputed in the background
while the previous ones are served (``WebData.refresh``). One import runs at a time.
"""

from __future__ import annotations

import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from csmetrics import schema
from csmetrics.errors import CsMetricsError, InputDataError
from csmetrics.ingest import SUPPORTED, ImportReport
from csmetrics.web.data import WebData
from csmetrics.web.state import StateStore
from csmetrics.web.state.users import audit

log = logging.getLogger(__name__)
UPLOADS = "uploads"  # under the workspace: a stable name keeps re-imports superseding
UPLOAD_LIMIT = 2 * 1024**3  # bytes
KEPT_JOBS = 50
SHOWN_REJECTIONS = 20
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class ImportBusy(CsMetricsError):
    """Another import is running (the API answers 409)."""


@dataclass
class ImportJob:
    """One upload's import, as the admin page and ``/api/admin/imports`` report it."""

    id: str
    table: str
    file: str
    login: str
    size: int
    state: str = "queued"  # running, done, failed
    rows_staged: int = 0  # while running: rows read and checked so far
    rows_total: int | None = None  # while running: rows in the file, when known
    submitted_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    started_at: datetime | None = None
    finished_at: datetime | None = None
    report: ImportReport | None = None
    rejections: list[str] = field(default_factory=list)  # the first ones, as shown
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "table": self.table,
            "file": self.file,
            "bytes": self.size,
            "rows_staged": self.rows_staged,
            "rows_total": self.rows_total,
            "login": self.login,
            "state": self.state,
            "submitted_at": self.submitted_at.isoformat(),
            "started_at": self.started_at.isoformat() if self.started_at else None,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
            "seconds": (
                round((self.finished_at - self.started_at).total_seconds(), 3)
                if self.finished_at and self.started_at
                else None
            ),
            "error": self.error,
        }
        r = self.report
        if r is not None:
            out.update(
                rows_read=r.rows_read,
                rows_loaded=r.rows_loaded,
                rows_inserted=r.rows_inserted,
                rows_updated=r.rows_updated,
                rows_unchanged=r.rows_unchanged,
                rows_rejected=r.rows_rejected,
                batch_id=r.batch_id,
                rejections=self.rejections,
            )
        return out


def importable_tables() -> list[str]:
    return list(schema.table_names())


def upload_name(filename: str | None) -> str:
    """A safe file name for an upload that keeps its suffix (which says its format)."""
    name = _SAFE_NAME.sub("_", Path(filename or "").name).strip("._")
    if not name.lower().endswith(tuple(SUPPORTED)):
        raise InputDataError(
            f"{filename or 'the upload'}: not an importable file; "
            f"use one of {', '.join(sorted(SUPPORTED))}"
        )
    return name


class Imports:
    """The app's import jobs: at most one running, the last ``KEPT_JOBS`` remembered."""

    def __init__(self, data: WebData, store: StateStore) -> None:
        self.data = data
        self.store = store
        self.folder = data.root / UPLOADS
        self._jobs: OrderedDict[str, ImportJob] = OrderedDict()
        self._lock = threading.Lock()
        self._running: ImportJob | None = None
        # told of each step of a running import (rows staged so far, rows in all)
        self.progress: Callable[[ImportJob, int, int | None], None] | None = None

    def jobs(self) -> list[ImportJob]:
        """Newest first."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def get(self, job_id: str) -> ImportJob | None:
        with self._lock:
            return self._jobs.get(job_id)

    def submit(
        self,
        table: str,
        filename: str | None,
        content: BinaryIO,
        *,
        login: str,
        user_id: int | None,
        address: str,
    ) -> ImportJob:
        """Save the upload and start importing it in the background (``ImportBusy`` while
        another import runs; a bad table or file name is refused before anything runs)."""
        spec = schema.table(table)
        name = upload_name(filename)
        with self._lock:
            if self._running is not None:
                raise ImportBusy(
                    f"an import is already running ({self._running.file} into "
                    f"{self._running.table}); try again when it has finished"
                )
            job = ImportJob(secrets.token_hex(8), spec.name, name, login, 0)
            self._running = job
        try:
            job.size = self._save(content, self.folder / name)
        except BaseException:
            with self._lock:
                self._running = None
            raise
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEPT_JOBS:
                self._jobs.popitem(last=False)
        threading.Thread(
            target=self._run,
            args=(job, user_id, address),
            name=f"csmetrics-import-{job.id}",
            daemon=True,
        ).start()
        return job

    def _save(self, content: BinaryIO, target: Path) -> int:
        size = 0
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                while chunk := content.read(1 << 20):
                    size += len(chunk)
                    if size > UPLOAD_LIMIT:
                        raise InputDataError(
                            f"{target.name}: larger than {UPLOAD_LIMIT // 1024**2:,} MB; "
                            "import it with `csmetrics import` while the app is stopped"
                        )
                    out.write(chunk)
        except OSError as exc:
            target.unlink(missing_ok=True)
            raise InputDataError(
                f"{target}: cannot save the upload: {exc.strerror or exc}"
            ) from None
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        return size

    def _run(self, job: ImportJob, user_id: int | None, address: str) -> None:
        """Import, then (landed) move the data version on and start the recompute, audit;
        the job says done or failed only once all of that is over."""
        path = self.folder / job.file
        job.state, job.started_at = "running", datetime.now(UTC)
        outcome = "failed"
        try:
            with self.data.lock:  # only to open the second connection: not for the import
                side = self.data.ws.sibling()
            with side:
                job.report = side.import_files(
                    job.table, [path], progress=lambda done, total: self._step(job, done, total)
                )
            job.rejections = [self._shown(str(x)) for x in job.report.rejections[:SHOWN_REJECTIONS]]
            outcome = "done"
        except CsMetricsError as exc:
            job.error = self._shown(str(exc))
        except Exception:
            log.exception("import %s of %s failed", job.id, job.file)
            job.error = "internal error; it has been logged"
        finally:
            path.unlink(missing_ok=True)
        try:
            if outcome == "done":
                self.data.changed()
                self.data.refresh()
            self._audit(job, user_id, address)
        finally:
            job.finished_at = datetime.now(UTC)
            with self._lock:  # free before it says so: the next import may start at once
                self._running = None
            job.state = outcome

    def _step(self, job: ImportJob, done: int, total: int | None) -> None:
        job.rows_staged, job.rows_total = done, total
        if self.progress is not None:
            self.progress(job, done, total)

    def _shown(self, message: str) -> str:
        """An error as the admin sees it: the upload's own name, not the server's path."""
        return message.replace(str(self.folder) + "/", "").splitlines()[0]

    def _audit(self, job: ImportJob, user_id: int | None, address: str) -> None:
        r = job.report
        detail = (
            f"{job.file}: {r.rows_read:,} read, {r.rows_loaded:,} loaded, "
            f"{r.rows_rejected:,} rejected (batch {r.batch_id})"
            if r is not None
            else f"{job.file}: refused: {job.error}"
        )
        with self.store.session() as db:
            audit(
                db,
                job.login,
                "data.import" if r is not None else "data.import.failed",
                job.table,
                detail[:1000],
                user_id=user_id,
                address=address,
            )
