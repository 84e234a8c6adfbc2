"""SQL injection and other hostile strings through every query and path parameter of every
GET route, as every role: no server error, no row outside the role's scope, nothing
reflected unescaped, and the workspace and the state store exactly as they were.

The routes and their parameters are read from the app (FastAPI's declared query and
path parameters plus each page's own ``Page.params``), never listed by hand, so a new
route or parameter is fed the same strings. Every query the web app makes is built by
Ibis or SQLAlchemy with bound parameters (``test_the_web_package_builds_no_sql_text``
keeps it so); these requests are the proof from outside.

``make test`` sends each string once to each parameter of each route, the role turning
with each round; ``-m soak`` sends every string as every role.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pandas as pd
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import select

import csmetrics.web
from csmetrics.web.access import all_routes
from csmetrics.web.state import AuditEntry, SavedView, SubmittedForecast, User, WebSession
from csmetrics.web.views import PAGES

ROLES = ("admin", "leader", "manager", "csm")
# One of each family: classic SQL injection, a DuckDB statement, LIKE wildcards with
# quotes and escapes, markup with template syntax, a path with control characters, a
# period out of range, and a long value.
CORE = [
    "' OR '1'='1",
    "1; DROP TABLE accounts; --",
    "x') UNION SELECT login, password_hash FROM users --",
    "'; ATTACH '/tmp/evil.duckdb' AS evil; --",
    "%_\"\\'`*",
    "<script>alert(1)</script>{{7*7}}${7*7}{0}",
    "../../../../etc/passwd\x00\r\n\t",
    "2026-Q9",
    "A" * 5000,
]
MORE = [
    "%",
    "\x00",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "../../../../etc/passwd",
    "' OR 1=1 --",
    '" OR ""="',
    "admin'--",
    "1 AND SLEEP(5)",
    "'; SELECT pg_sleep(5); --",
    "'; PRAGMA writable_schema=1; --",
    "' AND 1=(SELECT COUNT(*) FROM sqlite_master) --",
    "COPY accounts TO '/tmp/out.csv'",
    "_",
    "\\",
    "*",
    "'||'",
    "NULL",
    "null",
    "None",
    "true",
    "-1",
    "9" * 40,
    "NaN",
    "Infinity",
    "1e309",
    "2026-13",
    "0000-00-00",
    "2026-02-30",
    "é中文🙂\u202e",
    "%00",
    "%27%20OR%20%271%27%3D%271",
    " ",
    "<img src=x onerror=alert(1)>",
    "javascript:alert(1)",
    "//evil.example/",
]
REFLECTED = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>")
LEAKS = ("$argon2", "password_hash", "Traceback", 'csrf_token": ')
# Parameters that choose a period: a bad one is refused before anything is computed,
# so they get their own request and do not shield the others.
PERIOD_PARAMS = {"period", "quarter"}


@dataclass
class Campaign:
    """What was sent and what came back."""

    requests: int = 0
    by_role: Counter[str] = field(default_factory=Counter)
    statuses: Counter[int] = field(default_factory=Counter)
    fed: set[tuple[str, str, str]] = field(default_factory=set)  # route, parameter, string
    problems: list[str] = field(default_factory=list)


def _query_names(dependant: Any) -> list[str]:
    names = [p.alias or p.name for p in dependant.query_params]
    for sub in dependant.dependencies:
        names += _query_names(sub)
    return names


def _page_params(route: APIRoute) -> tuple[str, ...]:
    """A page route's own query parameters (read from the query string by the page)."""
    name = route.name.split("_", 1)[-1]
    page = next((p for p in PAGES if p.name == name), None)
    return page.params if page is not None and route.name != name else ()


def routes_and_parameters(app: Any) -> list[tuple[APIRoute, list[str], list[str]]]:
    """Every GET route with its query parameters and path parameters, read from the app."""
    out = []
    for route in all_routes(app.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        query = list(dict.fromkeys([*_query_names(route.dependant), *_page_params(route)]))
        path = [p.name for p in route.dependant.path_params]
        out.append((route, query, path))
    return out


@dataclass(frozen=True)
class Scopes:
    """What each role may see: the CSMs, and every account those CSMs ever owned."""

    csms: dict[str, frozenset[str] | None]
    accounts: dict[str, frozenset[str] | None]
    own_account: str


def scopes(web_app: Any, people: Any) -> Scopes:
    data = web_app.state.web.data
    with data.lock:
        history = data.ws.engine.execute(
            data.ws.table("assignments").select("account_id", "csm_id")
        )
        current = data.ws.engine.execute(data.ws.table("accounts").select("account_id", "csm_id"))
    owners = (
        pd.concat([history.astype(str), current.astype(str)])
        .drop_duplicates()
        .groupby("csm_id")["account_id"]
        .agg(frozenset)
    )
    team = frozenset(people.csms.loc[people.csms["team"] == people.team, "csm_id"].astype(str))

    def ever(csms: frozenset[str]) -> frozenset[str]:
        return frozenset().union(*(owners.get(c, frozenset()) for c in csms))

    book = data.accounts()
    own = str(book.loc[(book["csm_id"] == people.csm) & book["paying"], "account_id"].iloc[0])
    return Scopes(
        csms={"admin": None, "leader": None, "manager": team, "csm": frozenset([people.csm])},
        accounts={"admin": None, "leader": None, "manager": ever(team), "csm": ever({people.csm})},
        own_account=own,
    )


def _values(node: Any, key: str) -> Iterable[str]:
    """Every value under ``key`` anywhere in a JSON document."""
    if isinstance(node, dict):
        for k, v in node.items():
            if k == key and isinstance(v, str):
                yield v
            else:
                yield from _values(v, key)
    elif isinstance(node, list):
        for item in node:
            yield from _values(item, key)


def check(response: Any, role: str, sc: Scopes, what: str, sent: Iterable[str] = ()) -> list[str]:
    """The problems with one answer (empty: none); ``sent``: the values the request
    carried (a page may show them back, escaped)."""
    problems = []
    if response.status_code >= 500:
        problems.append(f"{what}: {response.status_code}")
        return problems
    text = response.text
    kind = response.headers.get("content-type", "")
    if "html" in kind:  # JSON and CSV are not markup (and nosniff keeps them so)
        problems += [f"{what}: reflects {r!r} unescaped" for r in REFLECTED if r in text]
    problems += [
        f"{what}: shows {leak!r}"
        for leak in LEAKS
        if leak in text and not any(leak in value for value in sent)
    ]
    location = response.headers.get("location", "")
    if location and not location.startswith("/"):
        problems.append(f"{what}: redirects off site to {location}")
    accounts, csms = sc.accounts[role], sc.csms[role]
    if accounts is None or csms is None:
        return problems
    if "json" in kind:
        payload = response.json()
        seen_accounts = set(_values(payload, "account_id"))
        seen_csms = set(_values(payload, "csm_id"))
    else:  # HTML links and CSV cells
        seen_accounts = set(re.findall(r"/accounts/(A\d+)", text))
        if "csv" in kind:
            seen_accounts |= set(re.findall(r"(?m)(?:^|,)(A\d{5})(?=,|$)", text))
        seen_csms = set()
    if outside := seen_accounts - accounts:
        problems.append(f"{what}: accounts outside the {role}'s scope {sorted(outside)[:3]}")
    if outside := seen_csms - csms - {""}:
        problems.append(f"{what}: CSMs outside the {role}'s scope {sorted(outside)[:3]}")
    return problems


def fingerprint(web_app: Any) -> dict[str, Any]:
    """Every workspace table's rows (count and an order-free hash) and the state store's
    users, sessions, forecasts and saved views."""
    data = web_app.state.web.data
    out: dict[str, Any] = {}
    with data.lock:
        con = data.ws.engine.duckdb
        tables = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' ORDER BY 1"
        ).fetchall()
        for (name,) in tables:
            quoted = '"' + name.replace('"', '""') + '"'
            out[name] = con.execute(f"SELECT count(*), bit_xor(hash(t)) FROM {quoted} t").fetchall()
    with web_app.state.web.store.session() as db:
        out["users"] = [
            (u.login, u.password_hash, u.role, u.csm_id, u.team, u.active)
            for u in db.scalars(select(User).order_by(User.id))
        ]
        out["sessions"] = sorted(db.scalars(select(WebSession.id)))
        out["forecasts"] = len(db.scalars(select(SubmittedForecast.id)).all())
        out["saved_views"] = len(db.scalars(select(SavedView.id)).all())
    return out


def _last_audit_id(web_app: Any) -> int:
    with web_app.state.web.store.session() as db:
        return int(db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc())) or 0)


def run_campaign(web_app: Any, clients: Any, people: Any, strings: list[str], every_role: bool):
    """Feed ``strings`` to every parameter of every GET route (module doc)."""
    sc = scopes(web_app, people)
    found = Campaign()
    targets = routes_and_parameters(web_app)
    for k in range(len(strings)):
        roles = ROLES if every_role else (ROLES[k % len(ROLES)],)
        for role in roles:
            c = clients[role]
            for route, query, path_names in targets:
                if route.path == "/static/vendor/plotly.min.js":
                    continue
                others = [q for q in query if q not in PERIOD_PARAMS]
                periods = [q for q in query if q in PERIOD_PARAMS]
                sends = []
                # 1: a visible object, every other parameter hostile (a different string each)
                params = {q: strings[(k + i) % len(strings)] for i, q in enumerate(others)}
                url = route.path
                for name in path_names:
                    url = url.replace(f"{{{name}}}", sc.own_account)
                sends.append((url, params, [(q, params[q]) for q in others]))
                # 2: a hostile period, and hostile path parameters
                if periods or path_names:
                    hostile = strings[k]
                    url = route.path
                    for name in path_names:
                        url = url.replace(f"{{{name}}}", quote(hostile, safe=""))
                    fed = [(q, hostile) for q in periods] + [(n, hostile) for n in path_names]
                    sends.append((url, dict.fromkeys(periods, hostile), fed))
                for url, params, fed in sends:
                    response = c.get(url, params=params, follow_redirects=False)
                    found.requests += 1
                    found.by_role[role] += 1
                    found.statuses[response.status_code] += 1
                    found.fed |= {(route.path, q, s) for q, s in fed}
                    found.problems += check(
                        response, role, sc, f"{role} GET {url} {params}", [s for _, s in fed]
                    )
    return found, targets


@pytest.fixture
def unchanged(web_app):  # type: ignore[no-untyped-def]
    """The data and the state store are the same after the test; the only new audit
    entries are the CSV exports the test asked for."""
    before, last = fingerprint(web_app), _last_audit_id(web_app)
    yield
    assert fingerprint(web_app) == before
    with web_app.state.web.store.session() as db:
        actions = set(db.scalars(select(AuditEntry.action).where(AuditEntry.id > last)))
    assert actions <= {"export"}, actions


def _report(found: Campaign, targets: list[Any], strings: list[str]) -> None:
    expected = {
        (route.path, name, s)
        for route, query, path in targets
        if route.path != "/static/vendor/plotly.min.js"
        for name in [*query, *path]
        for s in strings
    }
    assert not expected - found.fed, sorted(expected - found.fed)[:5]
    assert not found.problems, "\n".join(found.problems[:10])
    parameters = {(route, name) for route, name, _ in expected}
    print(
        f"injection: {found.requests} requests, {len(targets)} GET routes, "
        f"{len(parameters)} route parameters, {len(strings)} strings, "
        f"by role {dict(found.by_role)}, statuses {dict(sorted(found.statuses.items()))}"
    )


@pytest.mark.slow
def test_hostile_strings_in_every_parameter_of_every_route(web_app, clients, people, unchanged):
    found, targets = run_campaign(web_app, clients, people, CORE, every_role=False)
    assert len(targets) >= 40 and found.requests >= len(targets) * len(CORE)
    assert set(found.by_role) == set(ROLES)
    _report(found, targets, CORE)


@pytest.mark.soak
def test_every_hostile_string_as_every_role(web_app, clients, people, unchanged):
    strings = CORE + MORE
    found, targets = run_campaign(web_app, clients, people, strings, every_role=True)
    _report(found, targets, strings)


def test_the_scope_check_catches_a_leak(web_app, people):
    """The leak check can fail: another CSM's account or id in an answer is reported."""
    sc = scopes(web_app, people)
    book = web_app.state.web.data.accounts()
    theirs = str(book.loc[book["csm_id"] == people.outsider, "account_id"].iloc[0])
    assert theirs not in sc.accounts["csm"]

    class Answer:
        status_code = 200
        text = ""

        def __init__(self, payload: dict[str, Any]) -> None:
            self.headers = {"content-type": "application/json"}
            self._payload = payload

        def json(self) -> dict[str, Any]:
            return self._payload

    leaked = Answer({"tables": [{"rows": [{"account_id": theirs, "csm_id": people.outsider}]}]})
    assert len(check(leaked, "csm", sc, "x")) == 2
    assert check(leaked, "leader", sc, "x") == []
    mine = Answer({"tables": [{"rows": [{"account_id": sc.own_account, "csm_id": people.csm}]}]})
    assert check(mine, "csm", sc, "x") == []


# -- the code itself ---------------------------------------------------------------------

SQL_CALLS = {"execute", "executemany", "sql", "raw_sql", "text", "exec_driver_sql"}


def test_the_web_package_builds_no_sql_text():
    """No SQL string in the web package is built from pieces (f-string, %, +, format):
    every query there goes through Ibis or SQLAlchemy with bound parameters, so no
    request value can become SQL."""
    folder = Path(csmetrics.web.__file__).parent
    built = []
    for path in sorted(folder.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name not in SQL_CALLS:
                continue
            first = node.args[0]
            if isinstance(first, ast.JoinedStr | ast.BinOp) or (
                isinstance(first, ast.Call)
                and isinstance(first.func, ast.Attribute)
                and first.func.attr == "format"
            ):
                built.append(f"{path.relative_to(folder)}:{node.lineno}")
    assert not built, f"SQL text built from pieces: {built}"
