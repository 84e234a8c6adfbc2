"""The session key and the state store's URL come from the environment or from files only
their owner can read, and never reach a log, the console or an error message.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from csmetrics.cli.app import app as cli
from csmetrics.config import parse_config
from csmetrics.errors import WorkspaceError
from csmetrics.web.credentials import (
    DATABASE_URL_ENV,
    DATABASE_URL_FILE_ENV,
    SECRET_KEY_ENV,
    SECRET_KEY_FILE_ENV,
    SecretError,
    database_url,
    session_key,
)
from csmetrics.web.state import StateStore

from .security_fixtures import (
    PASSWORD,
    add_logins,
    attempt,
    client,
    close_app,
    open_app,
    small_workspace,
)

CSMETRICS = str(Path(sys.executable).parent / "csmetrics")
ADD_ANA = [CSMETRICS, "users", "add", "ana", "--role", "csm", "--csm-id", "C1"]
posix_only = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def _private(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text + "\n", "utf-8")
    path.chmod(mode)
    return path


def test_the_key_comes_from_the_environment_first(tmp_path):
    config = parse_config("")
    key = secrets.token_hex(32)
    assert session_key(tmp_path, config, {SECRET_KEY_ENV: key}) == key.encode()
    assert not (tmp_path / "web-secret.key").exists()  # nothing written when given
    named = _private(tmp_path / "key", secrets.token_hex(32))
    assert session_key(tmp_path, config, {SECRET_KEY_FILE_ENV: str(named)}) == (
        named.read_text().strip().encode()
    )
    with pytest.raises(SecretError, match=rf"{SECRET_KEY_ENV}: the secret key needs at least 32"):
        session_key(tmp_path, config, {SECRET_KEY_ENV: "short"})


@posix_only
def test_the_workspace_key_file_is_created_private_and_kept(tmp_path):
    config = parse_config("")
    first = session_key(tmp_path, config, {})
    path = tmp_path / "web-secret.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert session_key(tmp_path, config, {}) == first


@posix_only
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_secrets_file_others_can_read_is_refused(tmp_path, mode):
    config = parse_config("web:\n  database_url_file: db-url\n")
    key = _private(tmp_path / "web-secret.key", secrets.token_hex(32), mode)
    with pytest.raises(SecretError) as refused:
        session_key(tmp_path, config, {})
    message = str(refused.value)
    assert message == (
        f"{key}: the secret key file is readable by group or others (mode {mode:04o}); "
        f"run `chmod 600 {key}`"
    )
    assert key.read_text().strip() not in message
    url = _private(tmp_path / "db-url", "sqlite:////srv/state.sqlite", mode)
    with pytest.raises(SecretError, match=r"database URL file is readable by group or others"):
        database_url(tmp_path, config, {})
    with pytest.raises(SecretError, match=re.escape(f"run `chmod 600 {url}`")):
        database_url(tmp_path, parse_config(""), {DATABASE_URL_FILE_ENV: str(url)})


@posix_only
def test_the_app_refuses_to_start_with_a_readable_key_file(tmp_path):
    root = small_workspace(tmp_path / "ws")
    (root / "web-secret.key").write_text(secrets.token_hex(32))
    (root / "web-secret.key").chmod(0o644)
    with pytest.raises(SecretError, match=r"web-secret.key: the secret key file is readable"):
        open_app(root)
    result = CliRunner().invoke(cli, ["serve", "-w", str(root), "--port", "1"])
    # a CsMetricsError: the entry point prints it as one red line
    assert isinstance(result.exception, SecretError)
    assert "chmod 600" in str(result.exception) and "\n" not in str(result.exception)


def test_the_database_url_comes_from_environment_file_or_config(tmp_path):
    config = parse_config("web:\n  database_url: sqlite:////from/config.sqlite\n")
    assert database_url(tmp_path, config, {}) == "sqlite:////from/config.sqlite"
    named = _private(tmp_path / "url", "sqlite:////from/file.sqlite")
    assert database_url(tmp_path, config, {DATABASE_URL_FILE_ENV: str(named)}) == (
        "sqlite:////from/file.sqlite"
    )
    assert (
        database_url(
            tmp_path,
            config,
            {DATABASE_URL_ENV: "sqlite:////from/env.sqlite", DATABASE_URL_FILE_ENV: str(named)},
        )
        == "sqlite:////from/env.sqlite"
    )
    _private(tmp_path / "bad", "postgres-on-the-corner")
    with pytest.raises(SecretError) as bad:
        database_url(tmp_path, config, {DATABASE_URL_FILE_ENV: str(tmp_path / "bad")})
    assert "not a SQLAlchemy URL" in str(bad.value)
    assert "postgres-on-the-corner" not in str(bad.value)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://csmetrics:{pw}@127.0.0.1:1/csmetrics",
        "postgresql://csmetrics:{pw}@[not-a-host/csmetrics",
        "nosuchdialect://csmetrics:{pw}@127.0.0.1/x",
    ],
)
def test_a_database_error_never_shows_the_password(url):
    password = secrets.token_hex(12)
    with pytest.raises(WorkspaceError) as failed:
        store = StateStore(url.format(pw=password))
        try:
            store.migrate()
        finally:
            store.dispose()
    assert password not in str(failed.value)
    assert str(failed.value).startswith("web state")


def test_secrets_never_reach_logs_during_startup_and_sign_in(tmp_path, monkeypatch, caplog):
    """In process: every logger at DEBUG while the app starts and users sign in."""
    root = small_workspace(tmp_path / "ws")
    key = secrets.token_hex(32)
    marker = secrets.token_hex(8)  # stands for the URL's secret part (SQLite has no password)
    url = f"sqlite:///{tmp_path / f'state-{marker}.sqlite'}"
    monkeypatch.setenv(SECRET_KEY_ENV, key)
    monkeypatch.setenv(DATABASE_URL_ENV, url)
    caplog.set_level(logging.DEBUG)
    app = open_app(root)
    try:
        add_logins(app)
        c = client(app)
        assert attempt(c, "ana", "wrong-password").status_code == 401
        assert attempt(c, "ana", PASSWORD).status_code == 303
        assert c.get("/api/me").status_code == 200
        assert Path(url.removeprefix("sqlite:///")).exists()  # the URL was used
    finally:
        close_app(app)
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert caplog.records, "nothing was logged, so the check proves nothing"
    for secret in (key, marker, PASSWORD):
        assert secret not in logged


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_secrets_never_reach_the_servers_output(tmp_path):
    """Out of process: `csmetrics serve` with the secrets in its environment, its
    stdout and stderr read after a failed and a good sign-in."""
    root = small_workspace(tmp_path / "ws")
    key = secrets.token_hex(32)
    marker = secrets.token_hex(8)
    env = {
        **os.environ,
        SECRET_KEY_ENV: key,
        DATABASE_URL_ENV: f"sqlite:///{tmp_path / f'state-{marker}.sqlite'}",
    }
    added = subprocess.run(
        [*ADD_ANA, "-w", str(root), "--password-stdin"],
        input=PASSWORD + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert added.returncode == 0, added.stderr
    port = _free_port()
    server = subprocess.Popen(
        [CSMETRICS, "serve", "-w", str(root), "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        with httpx.Client(base_url=base, timeout=30) as browser:
            for password, expected in (("wrong-password", 401), (PASSWORD, 303)):
                form = browser.get("/login")
                token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
                assert token is not None
                answer = browser.post(
                    "/login",
                    data={"login": "ana", "password": password, "csrf_token": token.group(1)},
                )
                assert answer.status_code == expected
            assert browser.get("/api/me").status_code == 200
    finally:
        server.send_signal(signal.SIGINT)
        try:
            out, err = server.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            out, err = server.communicate()
    printed = out + err + added.stdout + added.stderr
    assert "csmetrics is serving" in printed
    for secret in (key, marker, PASSWORD):
        assert secret not in printed
