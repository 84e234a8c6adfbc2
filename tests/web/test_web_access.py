"""Every route declares who may use it, and every role gets exactly that.

The walk covers every route of the app: a route that declares no rule fails the first
test, so a new page cannot ship without one. Then each GET route is opened as every
role (200 or 403), and data routes are checked for scope: a CSM sees their own book
only, by URL, API, export and search; a manager their team's.
"""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

from csmetrics.web.access import all_routes, rule_of

from .conftest import LOGINS, csrf

# Routes FastAPI adds for the API docs: public by design (they hold no data).
DOCS = {"/openapi.json", "/docs", "/docs/oauth2-redirect"}


def _routes(app) -> list[APIRoute]:  # type: ignore[no-untyped-def]
    return [r for r in all_routes(app.routes) if isinstance(r, APIRoute)]


def test_every_route_declares_its_rule(web_app):
    undeclared = []
    for route in all_routes(web_app.routes):
        if isinstance(route, Mount) and route.path == "/static":
            continue
        if isinstance(route, Route) and not isinstance(route, APIRoute):
            assert route.path in DOCS, f"unexpected plain route {route.path}"
            continue
        if rule_of(route) is None:
            undeclared.append(f"{sorted(route.methods)} {route.path}")
    assert not undeclared, f"routes without an access rule: {undeclared}"


def test_only_login_and_assets_are_public(web_app):
    public = sorted(r.path for r in _routes(web_app) if rule_of(r).public)
    assert public == ["/login", "/login", "/static/vendor/plotly.min.js"]


def _fill(path: str, account: str) -> str:
    return path.replace("{account_id}", account)


def _table_of(clients, route: APIRoute, account: str) -> str:
    """A table name of the page an export route exports (read from its JSON as leader)."""
    api = "/api" + route.path.removeprefix("/export")
    view = clients["admin"].get(_fill(api, account)).json()
    return view["tables"][0]["name"]


def test_every_get_route_answers_each_role_as_declared(web_app, clients, logins, people):
    account = _an_account_of(web_app, people.csm)
    checked = 0
    for route in _routes(web_app):
        if "GET" not in route.methods or route.path in ("/login", "/static/vendor/plotly.min.js"):
            continue
        rule = rule_of(route)
        path = _fill(route.path, account)
        if route.path.startswith("/export"):
            path += f"?table={_table_of(clients, route, account)}"
        for login in LOGINS:
            role = logins[login]
            got = clients[login].get(path, follow_redirects=False).status_code
            if role in rule.roles:
                expected = (
                    404
                    if login in ("manager2", "outsider") and "{account_id}" in route.path
                    else 200
                )
                if login == "teammate" and "{account_id}" in route.path:
                    expected = 404
            else:
                expected = 403
            assert got == expected, f"{login} ({role}) GET {path}: {got}, expected {expected}"
            checked += 1
        anonymous = clients["anonymous"].get(path, follow_redirects=False).status_code
        assert anonymous == (401 if path.startswith("/api/") else 303), path
    assert checked > 30 * len(LOGINS) / 2


def test_every_post_route_refuses_roles_it_does_not_admit(web_app, clients, logins):
    for route in _routes(web_app):
        if "POST" not in route.methods or route.path in ("/login", "/logout"):
            continue  # both open to everyone; test_web_sessions covers them
        rule = rule_of(route)
        path = (
            route.path.replace("{login}", "csm").replace("{cta_id}", "X").replace("{view_id}", "1")
        )
        for login in LOGINS:
            client = clients[login]
            response = client.post(path, data={"csrf_token": csrf(client)}, follow_redirects=False)
            if logins[login] in rule.roles:
                assert response.status_code != 403, f"{login} POST {path} refused"
            else:
                assert response.status_code == 403, f"{login} POST {path}: {response.status_code}"


def _an_account_of(web_app, csm_id: str) -> str:  # type: ignore[no-untyped-def]
    book = web_app.state.web.data.accounts()
    mine = book[(book["csm_id"] == csm_id) & book["paying"]]
    return str(mine.sort_values("arr", ascending=False)["account_id"].iloc[0])


def _book(web_app, csm_ids) -> set[str]:  # type: ignore[no-untyped-def]
    book = web_app.state.web.data.accounts()
    return set(book.loc[book["csm_id"].isin(list(csm_ids)), "account_id"].astype(str))


def _team(people, team: str) -> set[str]:  # type: ignore[no-untyped-def]
    return set(people.csms.loc[people.csms["team"] == team, "csm_id"].astype(str))


def _ids(payload: dict, table: str = "accounts") -> set[str]:
    found = next(t for t in payload["tables"] if t["name"] == table)
    return {row["account_id"] for row in found["rows"]}


def test_the_accounts_api_holds_exactly_the_viewers_book(web_app, clients, people):
    everyone = _book(web_app, people.csms["csm_id"])
    assert _ids(clients["leader"].get("/api/accounts").json()) == everyone
    assert _ids(clients["admin"].get("/api/accounts").json()) == everyone
    team = _book(web_app, _team(people, people.team))
    assert _ids(clients["manager"].get("/api/accounts").json()) == team
    mine = _book(web_app, [people.csm])
    assert _ids(clients["csm"].get("/api/accounts").json()) == mine
    assert mine and mine < team < everyone


def test_a_csm_cannot_open_another_csms_account_by_url_api_export_or_search(
    web_app, clients, people
):
    theirs = _an_account_of(web_app, people.outsider)
    name = str(
        web_app.state.web.data.accounts().set_index("account_id").loc[theirs, "account_name"]
    )
    csm = clients["csm"]
    assert csm.get(f"/accounts/{theirs}").status_code == 404
    assert csm.get(f"/api/accounts/{theirs}").status_code == 404
    assert csm.get(f"/api/accounts/{theirs}/health").status_code == 404
    assert csm.get(f"/export/accounts/{theirs}?table=contracts").status_code == 404
    found = csm.get("/api/accounts", params={"q": name}).json()
    assert theirs not in _ids(found)
    exported = pd.read_csv(io.StringIO(csm.get("/export/accounts?table=accounts").text))
    assert set(exported["account_id"]) == _book(web_app, [people.csm])
    # a filter cannot widen the scope either
    widened = csm.get("/api/accounts", params={"csm": people.outsider}).json()
    assert _ids(widened) == set()
    # the outsider's own manager and the leader can
    assert clients["manager2"].get(f"/accounts/{theirs}").status_code == 200
    assert clients["manager"].get(f"/accounts/{theirs}").status_code == 404
    assert clients["leader"].get(f"/accounts/{theirs}").status_code == 200
    assert clients["outsider"].get(f"/accounts/{theirs}").status_code == 200


@pytest.mark.parametrize(
    "page", ["risks", "ctas", "renewals", "health", "surveys", "advocacy", "onboarding", "adoption"]
)
def test_every_list_of_accounts_is_within_the_csms_book(web_app, clients, people, page):
    mine = _book(web_app, [people.csm])
    payload = clients["csm"].get(f"/api/{page}").json()
    listed = set()
    for table in payload["tables"]:
        listed |= {r["account_id"] for r in table["rows"] if r.get("account_id")}
    assert listed <= mine, (
        f"{page} lists accounts outside the CSM's book: {sorted(listed - mine)[:5]}"
    )


def test_scorecards_and_statements_stay_in_scope(clients, people):
    csm = clients["csm"]
    assert csm.get("/api/scorecard").json()["title"].startswith("Scorecard: ")
    assert csm.get("/api/scorecard", params={"csm": people.outsider}).status_code == 404
    assert (
        clients["manager"].get("/api/scorecard", params={"csm": people.teammate}).status_code == 200
    )
    assert (
        clients["manager"].get("/api/scorecard", params={"csm": people.outsider}).status_code == 404
    )
    assert (
        clients["manager"].get("/api/scorecard", params={"team": people.other_team}).status_code
        == 404
    )
    statements = csm.get("/api/compensation", params={"period": "2026-Q1"}).json()
    assert {r["csm_id"] for r in statements["tables"][0]["rows"]} == {people.csm}
    team_statements = (
        clients["manager"].get("/api/compensation", params={"period": "2026-Q1"}).json()
    )
    team_ids = {r["csm_id"] for r in team_statements["tables"][0]["rows"]}
    assert people.csm in team_ids and team_ids <= _team(people, people.team)


def test_a_csm_cannot_close_or_forecast_outside_their_book(web_app, clients, people):
    data = web_app.state.web.data
    with data.lock:
        ctas = data.ws.ctas()
    theirs = ctas[ctas["csm_id"] != people.csm]
    assert len(theirs), "the demo has calls to action of other CSMs"
    csm = clients["csm"]
    response = csm.post(
        f"/ctas/{theirs['cta_id'].iloc[0]}/close",
        data={"csrf_token": csrf(csm), "outcome": "not mine"},
        follow_redirects=False,
    )
    assert response.status_code == 404
    account = _an_account_of(web_app, people.outsider)
    response = csm.post(
        "/renewals/forecast",
        data={
            "csrf_token": csrf(csm),
            "account_id": account,
            "quarter": "2026-Q3",
            "outcome": "renew",
            "probability": "90",
        },
        follow_redirects=False,
    )
    assert response.status_code == 404


def test_admin_pages_are_admin_only(clients):
    assert clients["admin"].get("/admin/users").status_code == 200
    assert clients["admin"].get("/admin/audit").status_code == 200
    for login in ("leader", "manager", "csm"):
        assert clients[login].get("/admin/users").status_code == 403
    assert re.search(r"<td>csm</td>", clients["admin"].get("/admin/users").text)
