"""The web app's two secrets: the key that signs session cookies and the state store's URL.

Each comes, first found wins, from an environment variable, from a file named by an
environment variable, or from a file named in ``web:`` (relative to the workspace).
A secrets file must be readable by its owner only (mode 0600 or stricter): a group-
or world-readable one is refused with the command that fixes it, since anyone who can
read the key can forge a session. Messages name the file or the variable, never the
value, so a secret cannot reach a log through an error.
"""

from __future__ import annotations

import os
import secrets
import stat
from collections.abc import Mapping
from pathlib import Path

from csmetrics.config import Config
from csmetrics.errors import WorkspaceError

SECRET_KEY_ENV = "CSMETRICS_SECRET_KEY"
SECRET_KEY_FILE_ENV = "CSMETRICS_SECRET_KEY_FILE"
DATABASE_URL_ENV = "CSMETRICS_DATABASE_URL"
DATABASE_URL_FILE_ENV = "CSMETRICS_DATABASE_URL_FILE"
MIN_KEY_LENGTH = 32


class SecretError(WorkspaceError):
    """A secret is missing, unreadable, too weak or readable by others."""


def read_private(path: Path, what: str) -> str:
    """The stripped text of a secrets file that only its owner can read."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise SecretError(f"{path}: {what} file not found") from None
    except OSError as exc:
        raise SecretError(f"{path}: cannot read the {what} file: {exc.strerror}") from None
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        mode = stat.S_IMODE(info.st_mode)
        raise SecretError(
            f"{path}: the {what} file is readable by group or others (mode {mode:04o}); "
            f"run `chmod 600 {path}`"
        )
    try:
        text = path.read_text("utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SecretError(f"{path}: cannot read the {what} file: {reason}") from None
    if not text:
        raise SecretError(f"{path}: the {what} file is empty")
    return text


def session_key(root: Path, config: Config, environ: Mapping[str, str] = os.environ) -> bytes:
    """The cookie-signing key; the workspace's key file is created on first use."""
    if value := environ.get(SECRET_KEY_ENV, "").strip():
        return _strong(value, SECRET_KEY_ENV)
    if named := environ.get(SECRET_KEY_FILE_ENV, "").strip():
        return _strong(read_private(Path(named), "secret key"), f"{named} ({SECRET_KEY_FILE_ENV})")
    path = root / config.web.secret_key_file
    if path.exists():
        key = read_private(path, "secret key")
        if len(key) >= MIN_KEY_LENGTH:
            return key.encode()
    return _create_key(path)


def database_url(root: Path, config: Config, environ: Mapping[str, str] = os.environ) -> str | None:
    """The state store's SQLAlchemy URL, or None for the workspace's SQLite file."""
    if value := environ.get(DATABASE_URL_ENV, "").strip():
        return _url(value, DATABASE_URL_ENV)
    if named := environ.get(DATABASE_URL_FILE_ENV, "").strip():
        path = Path(named)
        return _url(read_private(path, "database URL"), f"{path} ({DATABASE_URL_FILE_ENV})")
    if config.web.database_url_file:
        path = root / config.web.database_url_file
        return _url(read_private(path, "database URL"), f"{path} (web.database_url_file)")
    return config.web.database_url


def _strong(value: str, source: str) -> bytes:
    if len(value) < MIN_KEY_LENGTH:
        raise SecretError(
            f"{source}: the secret key needs at least {MIN_KEY_LENGTH} characters "
            f"(e.g. the output of `python -c 'import secrets; print(secrets.token_hex(32))'`)"
        )
    return value.encode()


def _url(value: str, source: str) -> str:
    if "://" not in value:
        raise SecretError(
            f"{source}: not a SQLAlchemy URL (expected e.g. postgresql+psycopg://user@host/db)"
        )
    return value


def _create_key(path: Path) -> bytes:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32).encode()
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(key)
        return key
    except OSError as exc:
        raise SecretError(f"{path}: cannot create the web secret key: {exc.strerror}") from None
