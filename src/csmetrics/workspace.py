"""The facade: one object that the CLI, the web app and notebooks all drive.

A workspace is a folder holding ``csmetrics.yaml`` and the embedded store
(``csmetrics.duckdb`` by default). ``Workspace.open(dir)`` validates the config
and opens the store; everything else (import, KPIs, scorecards) is a method here,
so no edge reaches past it into the layers below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from csmetrics import schema
from csmetrics.config import CONFIG_FILENAME, Config, default_config_text, load_config
from csmetrics.engine import Engine
from csmetrics.errors import WorkspaceError
from csmetrics.ingest import ImportReport, import_files, load_data

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa
    from ibis.expr.types import Table as IbisTable

ProgressCallback = Callable[[int, int | None], None]


class Workspace:
    """An open workspace: config + store. Use as a context manager or call ``close()``."""

    def __init__(self, root: Path, config: Config, engine: Engine) -> None:
        self.root = root
        self.config = config
        self.engine = engine

    # -- lifecycle -------------------------------------------------------------------

    @classmethod
    def init(cls, root: Path | str, *, force: bool = False) -> Workspace:
        """Create a workspace folder with the commented default config and an empty store."""
        root = Path(root)
        config_path = root / CONFIG_FILENAME
        if config_path.exists() and not force:
            raise WorkspaceError(
                f"{root}: already a workspace ({CONFIG_FILENAME} exists); use --force to reset it"
            )
        try:
            root.mkdir(parents=True, exist_ok=True)
            if force:
                for leftover in (root / "csmetrics.duckdb", root / "csmetrics.duckdb.wal"):
                    leftover.unlink(missing_ok=True)
            config_path.write_text(default_config_text(), "utf-8")
        except OSError as exc:
            raise WorkspaceError(f"{root}: cannot create the workspace: {exc.strerror}") from None
        return cls.open(root)

    @classmethod
    def open(cls, root: Path | str, *, read_only: bool = False) -> Workspace:
        root = Path(root)
        config_path = root / CONFIG_FILENAME
        if not config_path.exists():
            raise WorkspaceError(
                f"{root}: not a csmetrics workspace (no {CONFIG_FILENAME}); "
                f"create one with `csmetrics init {root}`"
            )
        config = load_config(config_path)
        store = root / config.engine.path
        if read_only and not store.exists():
            raise WorkspaceError(f"{store}: the store does not exist yet; import data first")
        engine = Engine.open_duckdb(
            store,
            read_only=read_only,
            threads=config.engine.threads,
            memory_limit=config.engine.memory_limit,
        )
        return cls(root, config, engine)

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- data ------------------------------------------------------------------------

    def table(self, name: str) -> IbisTable:
        """A canonical table as a deferred Ibis expression."""
        return self.engine.table(schema.table(name).name)

    def row_count(self, name: str) -> int:
        return self.engine.row_count(schema.table(name).name)

    def import_files(
        self,
        table: str,
        paths: Sequence[Path | str],
        *,
        progress: ProgressCallback | None = None,
    ) -> ImportReport:
        """Import CSV/Parquet/Excel/JSON-lines files into a canonical table as one batch."""
        report = import_files(
            self.engine, self.config, table, [Path(p) for p in paths], progress=progress
        )
        self.engine.invalidate()
        return report

    def load(
        self,
        table: str,
        data: pa.Table | pd.DataFrame | Iterable[dict[str, Any]],
        *,
        source: str = "<memory>",
    ) -> ImportReport:
        """Import in-memory rows (Arrow, pandas or dicts) with the same checks as files."""
        report = load_data(self.engine, self.config, table, data, source=source)
        self.engine.invalidate()
        return report


def open(root: Path | str, *, read_only: bool = False) -> Workspace:
    """Open an existing workspace folder: ``ws = csmetrics.open("demo")``."""
    return Workspace.open(root, read_only=read_only)


def init(root: Path | str, *, force: bool = False) -> Workspace:
    """Create a new workspace folder and open it."""
    return Workspace.init(root, force=force)
