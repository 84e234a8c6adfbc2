"""Every response carries the security headers: a Content Security Policy that runs no
inline script, no framing, no sniffing, a referrer policy, no caching of data, and HSTS
over https. The pages hold no inline script, so the policy costs nothing: in Chromium
they draw their charts with no policy violation.
"""

from __future__ import annotations

import base64
import hashlib
import re
import warnings
from pathlib import Path

import pytest
from fastapi.routing import APIRoute

from csmetrics.web.access import all_routes
from csmetrics.web.headers import CSP, HEADERS, HSTS

from .conftest import PASSWORD
from .security_fixtures import close_app, open_app, small_workspace

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

CHROMIUM = Path("/usr/bin/chromium")
ROLES = ("admin", "leader", "manager", "csm", "anonymous")


def _directives(policy: str) -> dict[str, list[str]]:
    out = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def _check(response, path: str) -> int:  # type: ignore[no-untyped-def]
    """Assert the headers of one response; the number of headers checked."""
    headers = response.headers
    for name, value in HEADERS.items():
        assert headers.get(name) == value, f"{path}: {name} is {headers.get(name)!r}"
    policy = _directives(headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"], path
    assert "'unsafe-inline'" not in policy.get("script-src", policy["default-src"]), path
    assert "'unsafe-eval'" not in policy.get("script-src", policy["default-src"]), path
    assert "Strict-Transport-Security" not in headers, f"{path}: HSTS over plain http"
    if not path.startswith("/static/"):
        assert "no-store" in headers["Cache-Control"] or path == "/static/vendor/plotly.min.js"
    return len(HEADERS) + 4


def _fill(path: str, account: str) -> str:
    return (
        path.replace("{account_id}", account)
        .replace("{login}", "csm")
        .replace("{cta_id}", "X")
        .replace("{view_id}", "1")
    )


def test_every_route_answers_every_role_with_the_headers(web_app, clients, people):
    book = web_app.state.web.data.accounts()
    account = str(book.loc[book["csm_id"] == people.csm, "account_id"].iloc[0])
    paths = sorted(
        {
            _fill(r.path, account)
            for r in all_routes(web_app.routes)
            if isinstance(r, APIRoute) and "GET" in r.methods
        }
        | {"/static/app.js", "/static/app.css", "/openapi.json", "/no/such/page", "/api/nothing"}
    )
    checked = responses = 0
    statuses = set()
    for role in ROLES:
        for path in paths:
            response = clients[role].get(path, follow_redirects=False)
            statuses.add(response.status_code)
            checked += _check(response, path)
            responses += 1
    # every kind of answer was seen: pages, redirects to login, 401, 403, 404, 422
    assert {200, 303, 401, 403, 404, 422} <= statuses, statuses
    assert responses == len(ROLES) * len(paths) and checked > 1000
    print(f"security headers: {checked} checked on {responses} responses")


def test_posts_and_the_login_form_carry_them_too(web_app, clients):
    _check(clients["anonymous"].get("/login"), "/login")
    _check(clients["anonymous"].post("/login", data={}), "/login")  # 403: no token
    _check(clients["csm"].post("/views/save", data={}, follow_redirects=False), "/views/save")


def test_the_docs_page_allows_only_its_own_inline_script(clients):
    response = clients["anonymous"].get("/docs")
    assert response.status_code == 200
    policy = _directives(response.headers["Content-Security-Policy"])
    scripts = re.findall(r"<script>(.*?)</script>", response.text, flags=re.DOTALL)
    assert len(scripts) == 1
    hashes = [s for s in policy["script-src"] if s.startswith("'sha256-")]
    assert len(hashes) == 1 and "'unsafe-inline'" not in policy["script-src"]
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode()).digest()).decode()
    assert hashes == [f"'sha256-{digest}'"]
    assert policy["frame-ancestors"] == ["'none'"]


def test_hsts_only_over_https(web_app):
    secure = TestClient(web_app, base_url="https://testserver")
    assert secure.get("/login").headers["Strict-Transport-Security"] == HSTS
    proxied = TestClient(web_app)
    response = proxied.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"] == HSTS
    assert "Strict-Transport-Security" not in proxied.get("/login").headers


def test_no_page_holds_an_inline_script_or_handler(clients):
    for path in ("/", "/accounts", "/renewals", "/ctas", "/risks", "/admin/users", "/login"):
        html = clients["admin"].get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert "src=" in tag, f"{path}: inline script {tag}"
        assert not re.search(r"\son[a-z]+\s*=", html), f"{path}: an inline event handler"
        assert "javascript:" not in html, path


def test_a_server_error_carries_the_headers_and_says_nothing_of_its_cause(tmp_path):
    app = open_app(small_workspace(tmp_path / "ws"))

    @app.get("/api/boom", include_in_schema=False)
    def boom() -> None:
        raise RuntimeError("secret detail of the failure")

    @app.get("/boom", include_in_schema=False)
    def boom_page() -> None:
        raise RuntimeError("secret detail of the failure")

    try:
        c = TestClient(app, raise_server_exceptions=False)
        for path in ("/api/boom", "/boom"):
            response = c.get(path)
            assert response.status_code == 500
            assert "secret detail" not in response.text
            assert response.headers["Content-Security-Policy"] == CSP
            _check(response, path)
    finally:
        close_app(app)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)")
@pytest.mark.parametrize("login", ["leader", "csm"])
def test_pages_draw_their_charts_under_the_policy(live_server, login):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context()
        # runs before the page's scripts and outside its policy: records every violation
        context.add_init_script(
            "window.__violations = [];"
            "document.addEventListener('securitypolicyviolation', e =>"
            " window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));"
        )
        page = context.new_page()
        console: list[str] = []
        page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
        page.goto(f"{live_server}/login")
        page.fill("input[name=login]", login)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server}/")
        charts = 0
        for path in ("/", "/scorecard", "/adoption", "/risks", "/health", "/surveys"):
            response = page.goto(f"{live_server}{path}")
            assert response is not None and response.status == 200, path
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
            if page.locator(".chart").count():
                page.wait_for_selector(".chart .main-svg", timeout=15_000)
                charts += page.locator(".chart .main-svg").count()
            assert page.evaluate("window.__violations") == [], path
        assert charts > 0
        assert not [m for m in console if "Content Security Policy" in m], console
        context.close()
        browser.close()
