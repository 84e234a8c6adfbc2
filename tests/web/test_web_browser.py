"""The pages in a real browser: Playwright driving Debian's Chromium against the app on
loopback. Each role logs in, opens every page it is offered, sees the KPI engine's
numbers, and signs out; a CSM submits a forecast; a table exports to CSV.

Screenshots of the main pages go to a temporary folder, or to the folder named by
``CSMETRICS_SCREENSHOTS`` (``docs/screenshots`` refreshes the README's).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from csmetrics.web import format as fmt
from csmetrics.web.state import SubmittedForecast

from .conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (make system-deps)"),
]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        launched = p.chromium.launch(
            executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wanted = os.environ.get("CSMETRICS_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def open_as(browser, base: str, login: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{base}/login")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return context, page, errors


@pytest.mark.parametrize("login", ["admin", "leader", "manager", "csm"])
def test_each_role_opens_every_page_it_is_offered(browser, live_server, login, shots):
    context, page, errors = open_as(browser, live_server, login)
    links = page.eval_on_selector_all("aside nav a", "els => els.map(e => e.getAttribute('href'))")
    assert "/" in links and "/accounts" in links and "/renewals" in links
    assert ("/admin/users" in links) == (login == "admin")
    assert ("/health/backtest" in links) == (login in ("admin", "leader"))
    for href in links:
        response = page.goto(f"{live_server}{href}")
        assert response is not None and response.status == 200, href
        page.wait_for_load_state("networkidle")
        if page.locator(".chart").count():
            page.wait_for_selector(".chart .main-svg", timeout=10_000)
    first_account = None
    page.goto(f"{live_server}/accounts")
    first_account = page.locator("#table-accounts tbody a").first
    first_account.click()
    page.wait_for_load_state("networkidle")
    assert page.locator("h1").inner_text()
    assert page.locator("#table-contracts").count() == 1
    assert not errors, errors
    page.click("#logout")
    page.wait_for_url(f"{live_server}/login*")
    assert page.goto(f"{live_server}/").url.startswith(f"{live_server}/login")
    context.close()


@pytest.mark.parametrize(
    ("login", "grain"), [("leader", "company"), ("manager", "team"), ("csm", "csm")]
)
def test_overview_shows_the_engines_numbers(browser, live_server, web_app, people, login, grain):
    context, page, _ = open_as(browser, live_server, login)
    period = page.locator(".page-head .sub").inner_text().split(" ")[0]
    data = web_app.state.web.data
    key, wanted = {
        "company": (None, None),
        "team": ("team", people.team),
        "csm": ("csm_id", people.csm),
    }[grain]
    currency = data.config.company.reporting_currency
    for name, unit in (
        ("arr", "money"),
        ("nrr", "ratio"),
        ("grr", "ratio"),
        ("logo_retention", "ratio"),
        ("nps", "nps"),
    ):
        with data.lock:
            frame = data.ws.kpi(name, by=grain, period=period)
        row = frame if key is None else frame[frame[key] == wanted]
        expected = float(row["value"].iloc[0])
        tile = page.locator(f'.tile[data-kpi="{name}"]')
        shown = float(tile.get_attribute("data-value"))
        assert shown == pytest.approx(expected, rel=1e-9, abs=0.006), name
        assert tile.locator(".value").inner_text() == fmt.number(
            expected, unit, currency, compact=True
        )
        assert "as of" in tile.locator(".asof").inner_text()
    context.close()


def test_a_csm_submits_a_forecast(browser, live_server, web_app, people):
    context, page, errors = open_as(browser, live_server, "csm")
    page.goto(f"{live_server}/renewals")
    row = page.locator("#table-renewals tbody tr").first
    account = row.get_attribute("data-account")
    quarter = page.locator("form.inline input[name=quarter]").first.input_value()
    row.locator("select[name=outcome]").select_option("downsell")
    row.locator("input[name=probability]").fill("65")
    row.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "Forecast saved" in page.locator(".flash").inner_text()
    shown = page.locator(f'#table-renewals tr[data-account="{account}"] td.latest').inner_text()
    assert shown.startswith("downsell 65%")
    data = web_app.state.web.data
    with data.lock:
        table = data.ws.table("renewal_forecasts")
        stored = data.ws.engine.execute(
            table.filter((table.account_id == account) & (table.quarter == quarter))
        )
    latest = stored.sort_values("submitted_at").iloc[-1]
    assert (latest["csm_id"], latest["outcome"], latest["probability"]) == (
        people.csm,
        "downsell",
        0.65,
    )
    with web_app.state.web.store.session() as db:
        kept = db.scalars(
            select(SubmittedForecast).where(SubmittedForecast.account_id == account)
        ).all()
    assert [(k.outcome, k.probability, k.quarter) for k in kept][-1] == ("downsell", 0.65, quarter)
    assert not errors, errors
    context.close()


def test_a_table_exports_to_csv(browser, live_server, web_app, people):
    context, page, _ = open_as(browser, live_server, "csm")
    page.goto(f"{live_server}/accounts")
    with page.expect_download() as download:
        page.click('a[data-export="accounts"]')
    text = Path(download.value.path()).read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    book = web_app.state.web.data.accounts()
    assert {r["account_id"] for r in rows} == set(
        book.loc[book["csm_id"] == people.csm, "account_id"]
    )
    assert {"account_name", "arr", "renewal_date"} <= set(rows[0])
    context.close()


MAIN_PAGES = {
    "overview": "/",
    "scorecard": "/scorecard",
    "risks": "/risks",
    "renewals": "/renewals",
    "ctas": "/ctas",
    "adoption": "/adoption",
    "health": "/health",
}


def test_screenshots_of_the_main_pages(browser, live_server, web_app, shots):
    context, page, _ = open_as(browser, live_server, "leader")
    for name, path in MAIN_PAGES.items():
        page.goto(f"{live_server}{path}")
        page.wait_for_load_state("networkidle")
        if page.locator(".chart").count():
            page.wait_for_selector(".chart .main-svg")
        page.screenshot(path=str(shots / f"{name}.png"), full_page=False)
    page.goto(f"{live_server}/accounts")
    page.locator("#table-accounts tbody a").first.click()
    page.wait_for_selector("#health-detail table", timeout=30_000)
    page.screenshot(path=str(shots / "account.png"), full_page=False)
    assert all((shots / f"{n}.png").stat().st_size > 10_000 for n in [*MAIN_PAGES, "account"])
    context.close()
