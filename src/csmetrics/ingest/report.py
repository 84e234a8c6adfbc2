"""What an import tells its caller: rows read, loaded, rejected, and why."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rejection:
    """One rejected row: where it came from and what is wrong with it."""

    file: str
    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.reason}"


@dataclass(frozen=True)
class ImportReport:
    """The outcome of one import batch (one table, one or more files)."""

    table: str
    files: tuple[str, ...]
    rows_read: int
    rows_loaded: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    rejections: tuple[Rejection, ...] = field(default_factory=tuple)
    batch_id: str = ""
    seconds: float = 0.0
    skipped_files: tuple[str, ...] = field(default_factory=tuple)
    ignored_columns: tuple[str, ...] = field(default_factory=tuple)
    problems: int = 0
    """Problems found (a rejected row can have several); ``rejections`` holds the first ones."""

    @property
    def ok(self) -> bool:
        return self.rows_rejected == 0
