"""One small demo company served by one app for the whole web suite.

The demo (200 accounts, 18 months, to 2026-05-01) is built once per session, the app
is created and warmed once, and logins for every role are added: the in-process
``TestClient`` tests and the browser tests (uvicorn in a thread) share them.
"""

from __future__ import annotations

import re
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from csmetrics.cli.app import app as cli

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from csmetrics.web import create_app
from csmetrics.web.state import users

DEMO_ARGS = [
    "--accounts",
    "200",
    "--months",
    "18",
    "--events-scale",
    "0.05",
    "--end-date",
    "2026-05-01",
]
PASSWORD = "correct-horse-battery"


@dataclass(frozen=True)
class People:
    """The demo's people the test logins are linked to."""

    team: str  # the manager's team
    other_team: str
    csm: str  # a CSM of ``team``
    teammate: str  # another CSM of ``team``
    outsider: str  # a CSM of ``other_team``
    csms: pd.DataFrame


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("web") / "demo"
    result = CliRunner().invoke(cli, ["demo", str(target), *DEMO_ARGS])
    assert result.exit_code == 0, result.output
    return target


@pytest.fixture(scope="session")
def web_app(demo_dir: Path):  # type: ignore[no-untyped-def]
    app = create_app(demo_dir, warm=False)
    app.state.web.data.warm()
    assert app.state.web.data.warm_error is None, app.state.web.data.warm_error
    yield app
    app.state.web.data.close()
    app.state.web.store.dispose()


@pytest.fixture(scope="session")
def people(web_app) -> People:  # type: ignore[no-untyped-def]
    data = web_app.state.web.data
    csms = data.csms()
    book = data.accounts()
    owners = book[book["paying"]].groupby("csm_id").size().sort_values(ascending=False)
    team_of = dict(zip(csms["csm_id"], csms["team"], strict=True))
    csm = str(owners.index[0])
    team = team_of[csm]
    teammate = next(str(c) for c in owners.index if team_of[str(c)] == team and str(c) != csm)
    outsider = next(str(c) for c in owners.index if team_of[str(c)] != team)
    return People(team, team_of[outsider], csm, teammate, outsider, csms)


LOGINS = ("admin", "leader", "manager", "manager2", "csm", "teammate", "outsider")


@pytest.fixture(scope="session")
def logins(web_app, people: People) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """login -> role, created once."""
    store = web_app.state.web.store
    spec = {
        "admin": ("admin", None, None),
        "leader": ("leader", None, None),
        "manager": ("manager", None, people.team),
        "manager2": ("manager", None, people.other_team),
        "csm": ("csm", people.csm, None),
        "teammate": ("csm", people.teammate, None),
        "outsider": ("csm", people.outsider, None),
    }
    with store.session() as db:
        for login, (role, csm_id, team) in spec.items():
            users.add(db, login, PASSWORD, role, csm_id=csm_id, team=team, by="test")
    return {login: role for login, (role, _, _) in spec.items()}


def token_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def sign_in(client: TestClient, login: str, password: str = PASSWORD) -> TestClient:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": token_of(form.text), "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:300]
    return client


@pytest.fixture(scope="session")
def clients(web_app, logins) -> dict[str, TestClient]:  # type: ignore[no-untyped-def]
    """A signed-in client per login (and ``anonymous``)."""
    out = {login: sign_in(TestClient(web_app), login) for login in logins}
    out["anonymous"] = TestClient(web_app)
    return out


def csrf(client: TestClient, path: str = "/") -> str:
    return token_of(client.get(path).text)


@pytest.fixture(scope="session")
def live_server(web_app, logins) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The same app over HTTP on a free loopback port (for the browser)."""
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(web_app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
