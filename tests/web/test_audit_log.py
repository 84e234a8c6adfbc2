"""Every event that matters is in the audit log with who, when, what and from where:
sign-ins (good and failed), sign-outs, lockouts and their lifting, CSV exports, forecast
submissions, closed calls to action, saved views, and every user change (add, role,
password, deactivate, activate). The web app changes no configuration, so there is no
config event to record. An admin lists and filters the log; no one else can.
"""

from __future__ import annotations

import re
import warnings
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from csmetrics.web.state import AuditEntry, SavedView
from csmetrics.web.state.models import utcnow

from .conftest import PASSWORD, token_of

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def browser(web_app: Any, address: str) -> TestClient:
    return TestClient(web_app, client=(address, 41000))


def sign_in(c: TestClient, login: str, password: str = PASSWORD) -> Any:
    token = token_of(c.get("/login").text)
    return c.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": token},
        follow_redirects=False,
    )


def entries_since(web_app: Any, mark: int, action: str | None = None) -> list[AuditEntry]:
    with web_app.state.web.store.session() as db:
        query = select(AuditEntry).where(AuditEntry.id > mark).order_by(AuditEntry.id)
        if action is not None:
            query = query.where(AuditEntry.action == action)
        return list(db.scalars(query))


def mark(web_app: Any) -> int:
    with web_app.state.web.store.session() as db:
        return int(db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc())) or 0)


def only(web_app: Any, since: int, action: str) -> AuditEntry:
    found = entries_since(web_app, since, action)
    assert len(found) == 1, [(e.action, e.login, e.target) for e in entries_since(web_app, since)]
    entry = found[0]
    assert utcnow() - entry.at < timedelta(minutes=2), "when: just now (UTC)"
    return entry


def test_sign_in_failure_sign_out_are_recorded_with_the_address(web_app, logins):
    start = mark(web_app)
    c = browser(web_app, "192.0.2.11")
    assert sign_in(c, "leader", "not-the-password").status_code == 401
    assert sign_in(c, "leader").status_code == 303
    token = token_of(c.get("/").text)
    assert c.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    failed = only(web_app, start, "login.failed")
    good = only(web_app, start, "login")
    out = only(web_app, start, "logout")
    assert (failed.login, failed.address, failed.user_id) == ("leader", "192.0.2.11", None)
    assert (good.login, good.address) == ("leader", "192.0.2.11") and good.user_id
    assert (out.login, out.address, out.user_id) == ("leader", "192.0.2.11", good.user_id)


def test_a_lockout_and_its_lifting_are_recorded(web_app, clients, logins):
    start = mark(web_app)
    guesser = browser(web_app, "192.0.2.12")
    limit = web_app.state.web.data.config.web.login_max_failures
    codes = [sign_in(guesser, "no-such-login", "guess-guess").status_code for _ in range(limit)]
    assert codes[-1] == 429
    locked = only(web_app, start, "login.lockout")
    assert (locked.login, locked.target, locked.address) == (
        "no-such-login",
        "login:no-such-login",
        "192.0.2.12",
    )
    assert f"{limit} failed sign-ins" in locked.detail
    admin = clients["admin"]
    page = admin.get("/admin/users").text
    lock_id = re.search(r'data-lockout="(\d+)"[^>]*>\s*<td>no-such-login</td>', page)
    assert lock_id, "the lockout is listed on the admin page"
    admin.post(
        "/admin/lockouts/clear",
        data={"lockout": lock_id.group(1), "csrf_token": token_of(page)},
        follow_redirects=False,
    )
    lifted = only(web_app, start, "lockout.clear")
    assert (lifted.login, lifted.target, lifted.address) == (
        "admin",
        "login:no-such-login",
        "testclient",
    )


def test_a_csv_export_is_recorded(web_app, clients):
    start = mark(web_app)
    response = clients["csm"].get("/export/accounts", params={"table": "accounts"})
    assert response.status_code == 200
    entry = only(web_app, start, "export")
    rows = len(response.text.strip().splitlines()) - 1
    assert (entry.login, entry.target, entry.detail, entry.address) == (
        "csm",
        "/export/accounts?table=accounts",
        f"{rows} rows",
        "testclient",
    )


def test_a_forecast_submission_is_recorded(web_app, clients):
    csm = clients["csm"]
    renewals = csm.get("/api/renewals").json()
    quarter = renewals["period"]["label"]
    account = renewals["tables"][0]["rows"][0]["account_id"]
    start = mark(web_app)
    done = csm.post(
        "/renewals/forecast",
        data={
            "csrf_token": token_of(csm.get("/renewals").text),
            "account_id": account,
            "quarter": quarter,
            "outcome": "renew",
            "probability": "85",
        },
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:300]
    entry = only(web_app, start, "forecast.submit")
    assert (entry.login, entry.target, entry.detail, entry.address) == (
        "csm",
        account,
        f"{quarter} renew 85%",
        "testclient",
    )


def test_closing_a_call_to_action_is_recorded(web_app, clients):
    csm = clients["csm"]
    rows = csm.get("/api/ctas").json()["tables"][0]["rows"]
    cta = next(r["cta_id"] for r in rows if r["status"] == "open")
    start = mark(web_app)
    done = csm.post(
        f"/ctas/{cta}/close",
        data={"csrf_token": token_of(csm.get("/ctas").text), "outcome": "Called the sponsor"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[:300]
    entry = only(web_app, start, "cta.close")
    assert (entry.login, entry.target, entry.detail, entry.address) == (
        "csm",
        cta,
        "Called the sponsor",
        "testclient",
    )


def test_saving_and_deleting_a_view_are_recorded(web_app, clients):
    manager = clients["manager"]
    token = token_of(manager.get("/").text)
    start = mark(web_app)
    manager.post(
        "/views/save",
        data={"csrf_token": token, "page": "overview", "name": "audit me", "query": "tier=corp"},
        follow_redirects=False,
    )
    saved = only(web_app, start, "view.save")
    assert (saved.login, saved.target, saved.detail, saved.address) == (
        "manager",
        "overview:audit me",
        "tier=corp",
        "testclient",
    )
    with web_app.state.web.store.session() as db:
        view_id = db.scalar(select(SavedView.id).where(SavedView.name == "audit me"))
    manager.post(f"/views/{view_id}/delete", data={"csrf_token": token}, follow_redirects=False)
    deleted = only(web_app, start, "view.delete")
    assert (deleted.login, deleted.target, deleted.address) == (
        "manager",
        "overview:audit me",
        "testclient",
    )


USER_CHANGES = [
    (
        "user.add",
        "/admin/users",
        {"login": "audited", "password": "first-password", "role": "leader"},
        "role=leader csm_id= team=",
    ),
    ("user.set_role", "/admin/users/audited/role", {"role": "admin"}, "role=admin"),
    ("user.reset_password", "/admin/users/audited/password", {"password": "second-pass"}, ""),
    ("user.deactivate", "/admin/users/audited/active", {"active": "0"}, ""),
    ("user.activate", "/admin/users/audited/active", {"active": "1"}, ""),
]


def test_each_user_change_is_recorded(web_app, logins):
    admin = browser(web_app, "192.0.2.13")
    assert sign_in(admin, "admin").status_code == 303
    for action, path, form, detail in USER_CHANGES:
        start = mark(web_app)
        token = token_of(admin.get("/admin/users").text)
        done = admin.post(path, data={**form, "csrf_token": token}, follow_redirects=False)
        assert done.status_code == 303 and "error=" not in done.headers["location"], action
        entry = only(web_app, start, action)
        assert (entry.login, entry.target, entry.address) == ("admin", "audited", "192.0.2.13")
        assert entry.detail.startswith(detail), action
        assert form.get("password", "-") not in entry.detail  # never a password


def test_the_admin_page_filters_the_log(web_app, clients, logins):
    nasty = "<script>x</script>"
    c = browser(web_app, "192.0.2.14")
    assert sign_in(c, nasty, "wrong-wrong").status_code == 401
    admin = clients["admin"]
    assert clients["csm"].get("/export/accounts", params={"table": "accounts"}).status_code == 200

    def shown(**params: str) -> list[list[str]]:
        page = admin.get("/admin/audit", params=params)
        assert page.status_code == 200
        body = page.text.split('id="audit"')[1].split("<tbody>")[1].split("</tbody>")[0]
        return [
            re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.DOTALL)
            for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.DOTALL)
        ]

    by_address = shown(address="192.0.2.14")
    assert [r[2] for r in by_address] == ["login.failed"]
    assert by_address[0][1] == "&lt;script&gt;x&lt;/script&gt;"  # escaped, never markup
    assert nasty not in admin.get("/admin/audit").text
    assert {r[2] for r in shown(action="login")} == {"login"}
    family = {r[2] for r in shown(action="login.*")}  # login, login.failed, login.lockout...
    assert {"login", "login.failed"} <= family and all(a.startswith("login") for a in family)
    assert all(r[1] == "admin" for r in shown(login="admin"))
    exports = shown(text="/export/accounts")
    assert exports and all("/export/accounts" in r[3] + r[4] for r in exports)
    today = utcnow().date()
    assert shown(until=(today - timedelta(days=1)).isoformat()) == [["No entries match."]]
    assert shown(since=today.isoformat(), address="192.0.2.14") == by_address
    assert shown(action="%*") == [["No entries match."]]  # SQL wildcards are taken literally
    assert shown(action="_ogin") == [["No entries match."]]
    assert admin.get("/admin/audit", params={"since": "yesterday"}).status_code == 422
    for role in ("leader", "manager", "csm"):
        assert clients[role].get("/admin/audit").status_code == 403


def test_the_admin_page_pages_through_a_long_log(web_app, clients):
    from csmetrics.web.pages.admin import AUDIT_PAGE
    from csmetrics.web.state.users import audit

    with web_app.state.web.store.session() as db:
        for i in range(AUDIT_PAGE + 5):
            audit(db, "bulk", "bulk.entry", f"n{i}", address="192.0.2.15")
    first = clients["admin"].get("/admin/audit", params={"action": "bulk.entry"}).text
    second = clients["admin"].get("/admin/audit", params={"action": "bulk.entry", "page": 2}).text
    assert "page 1 of 2" in first and "page 2 of 2" in second
    assert first.count("<td>bulk.entry</td>") == AUDIT_PAGE
    assert second.count("<td>bulk.entry</td>") == 5
    assert "<td>n0</td>" in second and f"<td>n{AUDIT_PAGE + 4}</td>" in first
