"""The state store: a SQLAlchemy engine (SQLite by default, PostgreSQL by URL) kept at
the latest schema by Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from csmetrics.config import Config
from csmetrics.errors import WorkspaceError
from csmetrics.web.credentials import database_url

STATE_FILE = "web.sqlite"


def state_url(root: Path, config: Config) -> str:
    """The configured URL (``web.credentials.database_url``), or the SQLite file beside
    the workspace's config."""
    return database_url(root, config) or f"sqlite:///{(root / STATE_FILE).resolve()}"


class StateStore:
    """Users, sessions, forecasts, saved views and the audit log (``state.models``)."""

    def __init__(self, url: str) -> None:
        self.url = url
        sqlite = url.startswith("sqlite")
        try:
            self.engine: Engine = create_engine(
                url,
                connect_args={"check_same_thread": False, "timeout": 30} if sqlite else {},
            )
        except (ArgumentError, ImportError) as exc:
            # The message is SQLAlchemy's, which may quote the URL and its password.
            scheme = url.split("://", 1)[0]
            raise WorkspaceError(
                f"web state ({scheme}://...): cannot open: {type(exc).__name__}; check the "
                "URL's form and that its database driver is installed"
            ) from None
        if sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def for_workspace(cls, root: Path, config: Config, *, migrate: bool = True) -> StateStore:
        store = cls(state_url(root, config))
        if migrate:
            store.migrate()
        return store

    def migrate(self) -> None:
        """``alembic upgrade head`` on this store (the migrations ship inside the package)."""
        cfg = AlembicConfig()
        cfg.set_main_option(
            "script_location", str(resources.files("csmetrics.web").joinpath("migrations"))
        )
        try:
            with self.engine.begin() as connection:
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
        except SQLAlchemyError as exc:
            raise WorkspaceError(
                f"web state {self.safe_url}: cannot migrate: {self._hide(str(exc).splitlines()[0])}"
            ) from None

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages."""
        return self.engine.url.render_as_string(hide_password=True)

    def _hide(self, message: str) -> str:
        """A driver's message without the URL's password, should the driver quote it."""
        password = self.engine.url.password
        return message.replace(str(password), "***") if password else message

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on an error."""
        with self._sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.close()
