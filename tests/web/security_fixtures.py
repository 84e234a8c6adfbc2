"""A small workspace of its own for the sign-in, session and secrets tests.

These tests lock logins, age sessions and restart the app, so they use a workspace of
their own (one CSM, no events) with tight limits, instead of the shared demo app.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import yaml

import csmetrics
from csmetrics.config import CONFIG_FILENAME
from csmetrics.web import create_app
from csmetrics.web.state import users

from .conftest import token_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "right-password-1"
LIMITS = {
    "login_max_failures": 3,
    "address_max_failures": 6,
    "login_window_minutes": 10.0,
    "lockout_minutes": 20.0,
    "session_idle_minutes": 5.0,
    "session_hours": 1.0,
}


def small_workspace(root: Path, **web: Any) -> Path:
    """A workspace with one CSM and the ``web:`` settings given (over ``LIMITS``)."""
    with csmetrics.init(root) as ws:
        ws.load(
            "csms",
            [
                {
                    "csm_id": "C1",
                    "name": "Ana",
                    "team": "East",
                    "role": "csm",
                    "start_date": "2024-01-01",
                }
            ],
        )
    path = root / CONFIG_FILENAME
    config = yaml.safe_load(path.read_text("utf-8"))
    config["web"] = {**(config.get("web") or {}), **LIMITS, **web}
    path.write_text(yaml.safe_dump(config), "utf-8")
    return root


def add_logins(app: Any) -> None:
    """ana (csm C1) and boss (admin), both with ``PASSWORD``."""
    with app.state.web.store.session() as db:
        users.add(db, "ana", PASSWORD, "csm", csm_id="C1", by="test")
        users.add(db, "boss", PASSWORD, "admin", by="test")


def open_app(root: Path) -> Any:
    return create_app(root, warm=False)


def close_app(app: Any) -> None:
    app.state.web.data.close()
    app.state.web.store.dispose()


def client(app: Any, address: str = "198.51.100.1") -> TestClient:
    """A browser at ``address`` (the address the limits count by)."""
    return TestClient(app, client=(address, 40000))


def attempt(c: TestClient, login: str, password: str) -> Any:
    """One sign-in through the form, with its CSRF token."""
    token = token_of(c.get("/login").text)
    return c.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def alert(response: Any) -> str:
    """The message the login form shows."""
    found = re.search(r'role="alert">([^<]*)<', response.text)
    return found.group(1) if found else ""
