"""What the simulated users of ``load_web`` do, and what is tallied: sign in, pages with
filters, account 360s, the JSON API, CSV exports, forecasts written through the app, and
probes at what the login may not see, each response checked against the store
(``load_access``); and the background import and recompute, through the app as its
admin."""

from __future__ import annotations

import argparse
import asyncio
import html
import os
import random
import re
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from load_access import Checker, Ownership, Sight

from csmetrics.web.views import PAGES, Page

BIN = Path(sys.executable).parent
DENIED = (403, 404)
EXPORT_LINK = re.compile(r'href="(/export/[^"]+)"')
EXPORTS = 20
ERROR_TEXT = re.compile(r'<p class="error">(.*?)</p>', re.S)


@dataclass(frozen=True)
class Person:
    """A login the load signs in with (``session``: its nth concurrent session)."""

    login: str
    role: str
    csm_id: str | None
    team: str | None
    session: int = 0


@dataclass
class Session:
    """A signed-in user: their client, what they may see and what they can forecast."""

    person: Person
    sight: Sight
    client: httpx.AsyncClient
    csrf: str = ""
    book: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    renewals: list[str] = field(default_factory=list)
    exports: list[str] = field(default_factory=list)
    quarter: str = ""


@dataclass
class Job:
    name: str
    command: str
    started: float = 0.0
    seconds: float = 0.0
    status: str = "not started"
    message: str = ""
    report: dict[str, Any] = field(default_factory=dict)  # the app's last status of it


@dataclass
class Tally:
    samples: list[tuple[float, str, float]] = field(default_factory=list)  # end, group, ms
    sign_in: list[tuple[float, str, float]] = field(default_factory=list)  # before the load
    errors: list[str] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    checked: int = 0  # responses whose content was checked against the store
    probes: int = 0  # requests for something outside the login's sight
    forecasts: int = 0  # accepted forecasts
    load: list[float] = field(default_factory=list)  # 1-minute load averages sampled


class Load:
    """Drives the sessions (each a loop of actions with think time) until the deadline
    or the request budget."""

    def __init__(
        self,
        base: str,
        args: argparse.Namespace,
        checker: Checker,
        ownership: Ownership,
        periods: list[str],
    ) -> None:
        self.base = base
        self.args = args
        self.checker = checker
        self.rng = random.Random(args.seed)
        self.tally = Tally()
        self.t0 = 0.0
        self.deadline = 0.0
        self.budget = args.max_requests
        self.periods = periods
        accounts = ownership.accounts
        self.tiers = sorted(accounts["tier"].dropna().astype(str).unique())
        self.segments = sorted(accounts["segment"].dropna().astype(str).unique())
        self.all_accounts = sorted(checker.all_accounts)
        csms = ownership.csms
        self.teams = sorted(
            csms.loc[csms["role"] != "leader", "team"].dropna().astype(str).unique()
        )
        self.csm_ids = sorted(csms["csm_id"].astype(str))
        self.sessions: list[Session] = []
        self.signing_in = False
        self.sign_in_seconds = 0.0
        self.elapsed = 0.0

    @property
    def running(self) -> bool:
        return time.monotonic() < self.deadline and self.budget > 0

    # -- one request ----------------------------------------------------------------------

    async def call(
        self,
        s: Session,
        group: str,
        path: str,
        *,
        params: dict[str, str] | None = None,
        data: dict[str, str] | None = None,
        expect: tuple[int, ...] = (200,),
    ) -> httpx.Response | None:
        self.budget -= 1
        began = time.monotonic()
        where = path + (f"?{httpx.QueryParams(params)}" if params else "")
        try:
            if data is None:
                response = await s.client.get(path, params=params)
            else:
                response = await s.client.post(path, data=data)
        except httpx.HTTPError as exc:
            self.tally.errors.append(
                f"{s.person.login} {group} {where}: {type(exc).__name__} {exc}"
            )
            return None
        ended = time.monotonic()
        sample = (ended - self.t0, group, (ended - began) * 1000)
        (self.tally.sign_in if self.signing_in else self.tally.samples).append(sample)
        if response.status_code not in expect:
            self.tally.errors.append(
                f"{s.person.login} {group} {where}: {response.status_code} {detail(response)}"
            )
            return None
        return response

    def note(self, found: list[str]) -> None:
        self.tally.checked += 1
        self.tally.violations += found

    # -- sign in ----------------------------------------------------------------------------

    async def sign_in(self, person: Person, sight: Sight, password: str) -> Session | None:
        """Sign in, then learn the login's book, its renewals to forecast and its CSRF token
        (the unfiltered account list is checked against the store here)."""
        client = httpx.AsyncClient(
            base_url=self.base, timeout=self.args.timeout, follow_redirects=False
        )
        s = Session(person, sight, client)
        if not await self._sign_in(s, password):
            await client.aclose()
            return None
        return s

    async def _sign_in(self, s: Session, password: str) -> bool:
        login, sight = s.person.login, s.sight
        form = await self.call(s, "login", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text) if form else None
        if token is None:
            return False
        data = {"login": login, "password": password, "csrf_token": token.group(1)}
        if await self.call(s, "login", "/login", data=data, expect=(303,)) is None:
            return False
        me = await self.call(s, "api", "/api/me")
        if me is None:
            return False
        self.check_me(s, me.json())
        home = await self.call(s, "page", "/renewals")
        if home is None:
            return False
        self.note(self.checker.html(sight, home.text, f"{login} /renewals"))
        found = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
        s.csrf = found.group(1) if found else ""
        listing = await self.call(s, "api", "/api/accounts")
        if listing is None:
            return False
        payload = listing.json()
        self.note(self.checker.book(sight, payload, f"{login} /api/accounts"))
        s.book = [str(r["account_id"]) for r in payload["tables"][0]["rows"]]
        own = set(s.book)
        s.foreign = [a for a in self.all_accounts if a not in own]
        renewals = await self.call(s, "api", "/api/renewals")
        if renewals is None:
            return False
        payload = renewals.json()
        self.note(self.checker.view(sight, payload, f"{login} /api/renewals"))
        s.quarter = (payload.get("period") or {}).get("label", "")
        rows = payload["tables"][0]["rows"] if payload.get("tables") else []
        s.renewals = [str(r["account_id"]) for r in rows if r.get("account_id")]
        return True

    def check_me(self, s: Session, me: dict[str, Any]) -> None:
        """The session answers as its own login (no mix-up between concurrent users)."""
        found = []
        if me.get("login") != s.person.login or me.get("role") != s.person.role:
            found.append(
                f"{s.person.login} /api/me answered as {me.get('login')} ({me.get('role')})"
            )
        self.note(found)

    # -- what a user does ---------------------------------------------------------------------

    def pages_of(self, s: Session) -> list[Page]:
        return [p for p in PAGES if s.person.role in p.roles and "{" not in p.path]

    def periods_of(self, page: Page) -> list[str]:
        """The periods offered, but only quarters on the compensation page: the demo's
        plans pay per quarter, and a month there is refused (400, the app's own filter
        bar offers it all the same)."""
        if page.name == "compensation":
            return [p for p in self.periods if "Q" in p] or self.periods
        return self.periods

    def filters(self, s: Session, page: Page) -> dict[str, str]:
        """Half the time none; else one or two of period, tier, segment, team, CSM."""
        out: dict[str, str] = {}
        if self.rng.random() < 0.5:
            return out
        choices = ["tier", "segment"] + (["period"] * 2 if page.periodic and self.periods else [])
        if s.person.role in ("admin", "leader"):
            choices += ["team", "csm"]
        elif s.person.role == "manager":
            choices += ["csm"]
        for key in self.rng.sample(choices, k=min(len(choices), self.rng.choice((1, 2)))):
            if key == "period":
                out[key] = self.rng.choice(self.periods_of(page))
            elif key == "tier":
                out[key] = self.rng.choice(self.tiers)
            elif key == "segment":
                out[key] = self.rng.choice(self.segments)
            elif key == "team":
                out[key] = self.rng.choice(self.teams)
            elif key == "csm":
                ids = sorted(s.sight.csm_ids) if s.sight.csm_ids is not None else self.csm_ids
                out[key] = self.rng.choice(ids)
        return out

    def page_params(self, s: Session, page: Page) -> dict[str, str]:
        out: dict[str, str] = {}
        if "sort" in page.params and self.rng.random() < 0.5:
            out["sort"] = self.rng.choice(("arr", "renewal"))
        if "status" in page.params and self.rng.random() < 0.5:
            out["status"] = self.rng.choice(("open", "closed", "all"))
        if "q" in page.params and self.rng.random() < 0.3:
            out["q"] = self.rng.choice(("a", "tech", "co", "zz"))
        return out

    async def act(self, s: Session) -> None:
        roll = self.rng.random()
        if roll < 0.35:
            await self.page(s)
        elif roll < 0.50:
            await self.account(s)
        elif roll < 0.75:
            await self.api(s)
        elif roll < 0.87:
            await self.export(s)
        else:
            await self.probe(s)

    async def page(self, s: Session) -> None:
        page = self.rng.choice(self.pages_of(s))
        params = {**self.filters(s, page), **self.page_params(s, page)}
        response = await self.call(s, "page", page.path, params=params)
        if response is not None:
            self.note(self.checker.html(s.sight, response.text, f"{s.person.login} {page.path}"))
            self.offered(s, [html.unescape(x) for x in EXPORT_LINK.findall(response.text)])

    async def api(self, s: Session) -> None:
        roll = self.rng.random()
        if roll < 0.08:
            response = await self.call(s, "api", "/api/me")
            if response is not None:
                self.check_me(s, response.json())
            return
        if roll < 0.16 and s.book:
            account = self.rng.choice(s.book)
            response = await self.call(s, "api", f"/api/accounts/{account}/health")
            if response is not None:
                found = (
                    []
                    if response.json().get("account_id") == account
                    else [
                        f"{s.person.login} /api/accounts/{account}/health answered for another account"
                    ]
                )
                self.note(found)
            return
        page = self.rng.choice(self.pages_of(s))
        params = {**self.filters(s, page), **self.page_params(s, page)}
        path = "/api" + (page.path if page.path != "/" else "/overview")
        response = await self.call(s, "api", path, params=params)
        if response is None:
            return
        payload = response.json()
        where = f"{s.person.login} {path}?{httpx.QueryParams(params)}"
        found = self.checker.view(s.sight, payload, where)
        if page.name == "accounts" and not params:
            found += self.checker.book(s.sight, payload, where)
        self.note(found)
        export = "/export" + path.removeprefix("/api")
        self.offered(
            s,
            [
                f"{export}?{httpx.QueryParams({**params, 'table': t['name']})}"
                for t in payload.get("tables", [])
            ],
        )

    async def account(self, s: Session) -> None:
        if not s.book:
            return await self.page(s)
        account = self.rng.choice(s.book)
        if self.rng.random() < 0.6:
            response = await self.call(s, "account", f"/accounts/{account}")
            if response is not None:
                self.note(
                    self.checker.html(
                        s.sight, response.text, f"{s.person.login} /accounts/{account}"
                    )
                )
        else:
            response = await self.call(s, "account", f"/api/accounts/{account}")
            if response is not None:
                self.note(
                    self.checker.view(
                        s.sight,
                        response.json(),
                        f"{s.person.login} /api/accounts/{account}",
                        people=False,
                    )
                )

    async def export(self, s: Session) -> None:
        """A CSV the user was offered: an export link of a page they opened, a table of
        an API answer they read, or a table of one of their accounts."""
        if s.book and self.rng.random() < 0.2:
            link = f"/export/accounts/{self.rng.choice(s.book)}?table=contracts"
        elif s.exports:
            link = self.rng.choice(s.exports)
        else:
            return await self.page(s)
        response = await self.call(s, "export", link)
        if response is not None:
            people = not link.startswith("/export/accounts/")  # an account's own tables
            self.note(
                self.checker.csv(s.sight, response.text, f"{s.person.login} {link}", people=people)
            )

    def offered(self, s: Session, links: list[str]) -> None:
        """Remember export links the user was shown (the most recent ``EXPORTS``)."""
        for link in links:
            if link in s.exports:
                s.exports.remove(link)
            s.exports.append(link)
        del s.exports[:-EXPORTS]

    async def probe(self, s: Session) -> None:
        """Ask for what the login may not see; a 200 is a violation (a filter probe may
        answer 200, but with nothing outside the scope)."""
        role = s.person.role
        options: list[Callable[[], Awaitable[None]]] = []
        if role != "admin":
            options.append(
                lambda: self.denied(s, self.rng.choice(("/admin/users", "/admin/audit")))
            )
        else:
            options.append(lambda: self.admin_page(s))
        if s.sight.scoped:
            options += [
                lambda: self.denied(
                    s, self.rng.choice(("/health/backtest", "/api/health/backtest"))
                ),
                lambda: self.foreign_account(s),
                lambda: self.foreign_account(s),
                lambda: self.foreign_filter(s),
            ]
            if role == "csm" and s.csrf and s.quarter:
                options.append(lambda: self.foreign_forecast(s))
        await self.rng.choice(options)()

    async def denied(self, s: Session, path: str, **kwargs: Any) -> None:
        self.tally.probes += 1
        response = await self.call(s, "probe", path, expect=(200, *DENIED), **kwargs)
        if response is not None:
            self.note(
                [f"{s.person.login} {path}: {response.status_code}, expected 403/404"]
                if response.status_code not in DENIED
                else []
            )

    async def admin_page(self, s: Session) -> None:
        response = await self.call(s, "page", self.rng.choice(("/admin/users", "/admin/audit")))
        if response is not None:
            self.note([])

    async def foreign_account(self, s: Session) -> None:
        if not s.foreign:
            return
        account = self.rng.choice(s.foreign)
        path = self.rng.choice(
            (
                f"/accounts/{account}",
                f"/api/accounts/{account}",
                f"/api/accounts/{account}/health",
                f"/export/accounts/{account}",
            )
        )
        params = {"table": "contracts"} if path.startswith("/export") else None
        await self.denied(s, path, params=params)

    async def foreign_filter(self, s: Session) -> None:
        """Narrow a list to another CSM or team: the scope still applies."""
        others = [c for c in self.csm_ids if c not in (s.sight.csm_ids or ())]
        teams = [t for t in self.teams if t not in (s.sight.teams or ())]
        params = (
            {"csm": self.rng.choice(others)}
            if others and (not teams or self.rng.random() < 0.5)
            else {"team": self.rng.choice(teams)}
        )
        path = self.rng.choice(
            ("/api/accounts", "/api/risks", "/api/health", "/api/scorecard", "/api/overview")
        )
        self.tally.probes += 1
        response = await self.call(s, "probe", path, params=params, expect=(200, *DENIED))
        if response is not None and response.status_code == 200:
            self.note(
                self.checker.view(
                    s.sight, response.json(), f"{s.person.login} {path}?{httpx.QueryParams(params)}"
                )
            )

    async def foreign_forecast(self, s: Session) -> None:
        """A forecast on another book's account must be refused and write nothing."""
        if not s.foreign:
            return
        account = self.rng.choice(s.foreign)
        self.tally.probes += 1
        data = {
            "account_id": account,
            "quarter": s.quarter,
            "outcome": "churn",
            "probability": "10",
            "csrf_token": s.csrf,
        }
        response = await self.call(
            s, "probe", "/renewals/forecast", data=data, expect=(303, *DENIED, 422)
        )
        if response is not None:
            self.note(
                [f"{s.person.login} forecast on {account}: accepted, expected refusal"]
                if response.status_code == 303
                else []
            )

    async def forecast(self, s: Session) -> None:
        account = self.rng.choice(s.renewals)
        outcome = self.rng.choice(("renew", "downsell", "churn"))
        data = {
            "account_id": account,
            "quarter": s.quarter,
            "outcome": outcome,
            "probability": str(self.rng.randint(5, 95)),
            "csrf_token": s.csrf,
        }
        if (
            await self.call(s, "forecast", "/renewals/forecast", data=data, expect=(303,))
            is not None
        ):
            self.tally.forecasts += 1

    # -- loops --------------------------------------------------------------------------------

    async def user(self, s: Session) -> None:
        while self.running:
            await self.act(s)
            await asyncio.sleep(self.rng.uniform(0, 2 * self.args.think))

    async def forecasts(self, sessions: list[Session]) -> None:
        """CSMs' forecasts at ``--forecasts-per-minute``: each is an import through the app
        that makes it recompute what reads renewal_forecasts and rebuild every page."""
        if self.args.forecasts_per_minute <= 0:
            return
        gap = 60.0 / self.args.forecasts_per_minute
        while self.running:
            await asyncio.sleep(gap)
            ready = [
                s
                for s in sessions
                if s.person.role == "csm"
                and s.renewals
                and s.csrf
                and s.quarter
                and not s.client.is_closed
            ]
            if ready and self.running:
                await self.forecast(self.rng.choice(ready))

    async def sample_load(self) -> None:
        while self.running:
            self.tally.load.append(os.getloadavg()[0])
            await asyncio.sleep(5)

    async def run(
        self,
        people: list[tuple[Person, Sight]],
        password: str,
        jobs: list[Job],
        batch: Path,
    ) -> None:
        """Everyone signs in at once (timed apart), then the load holds for ``--duration``
        while the background jobs run."""
        self.t0 = time.monotonic()
        self.deadline = self.t0 + self.args.timeout * 2
        self.signing_in = True
        found = await asyncio.gather(*(self.sign_in(p, sight, password) for p, sight in people))
        self.sessions = [s for s in found if s is not None]
        self.signing_in = False
        self.sign_in_seconds = time.monotonic() - self.t0
        self.t0 = time.monotonic()
        self.deadline = self.t0 + self.args.duration
        background = asyncio.create_task(
            run_jobs(self.base, jobs, batch, password, self.t0, self.args)
        )
        try:
            await asyncio.gather(
                *(self.user(s) for s in self.sessions),
                self.forecasts(self.sessions),
                self.sample_load(),
            )
            self.elapsed = time.monotonic() - self.t0
            await background
        finally:
            for s in self.sessions:
                await s.client.aclose()


async def run_jobs(
    base: str,
    jobs: list[Job],
    batch: Path,
    password: str,
    t0: float,
    args: argparse.Namespace,
) -> None:
    """The import, then the recompute, through the running app as its admin (a session
    of its own, outside the users' figures): upload the batch, follow the import until
    it has landed, then ask for a recompute and follow it until it is complete."""
    await asyncio.sleep(min(3.0, args.duration / 5))
    async with httpx.AsyncClient(base_url=base, timeout=args.background_timeout) as client:
        try:
            csrf = await admin_session(client, password)
        except (httpx.HTTPError, AssertionError) as exc:
            for job in jobs:
                job.status, job.message = "failed", f"cannot sign in as load-admin: {exc}"
            return
        headers = {"x-csrf-token": csrf}
        for job in jobs:
            began = time.monotonic()
            job.started = began - t0
            try:
                if job.name == "import":
                    await import_batch(client, headers, batch, job, args)
                else:
                    await recompute(client, headers, job, args)
            except (httpx.HTTPError, ValueError) as exc:
                job.status, job.message = "failed", f"{type(exc).__name__}: {exc}"[:300]
            job.seconds = time.monotonic() - began


async def admin_session(client: httpx.AsyncClient, password: str) -> str:
    """Sign in as load-admin; the session's CSRF token."""
    form = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "no login form"
    data = {"login": "load-admin", "password": password, "csrf_token": token.group(1)}
    done = await client.post("/login", data=data)
    assert done.status_code == 303, f"sign-in answered {done.status_code}"
    page = await client.get("/admin/import")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, f"/admin/import answered {page.status_code} without a form"
    return found.group(1)


async def import_batch(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    batch: Path,
    job: Job,
    args: argparse.Namespace,
) -> None:
    with batch.open("rb") as handle:
        answer = await client.post(
            "/api/admin/import",
            data={"table": "events"},
            files={"file": (batch.name, handle, "text/csv")},
            headers=headers,
        )
    if answer.status_code == 409:
        job.status, job.message = "refused", detail(answer)
        return
    if answer.status_code != 202:
        job.status, job.message = f"failed ({answer.status_code})", detail(answer)
        return
    job_id = answer.json()["id"]
    state = await follow(client, f"/api/admin/imports?id={job_id}", job, args)
    if state is None:
        return
    job.report = state
    if state["state"] == "done" and not state.get("rows_rejected"):
        job.status = "finished"
        job.message = (
            f"{state['rows_loaded']:,} rows loaded ({state['rows_inserted']:,} new), "
            f"{state['rows_rejected']} rejected, {state.get('seconds') or 0:.1f} s in the app"
        )
    else:
        job.status = "failed"
        job.message = str(state.get("error") or state.get("rejections"))[:300]


async def recompute(
    client: httpx.AsyncClient, headers: dict[str, str], job: Job, args: argparse.Namespace
) -> None:
    answer = await client.post("/api/admin/recompute", headers=headers)
    if answer.status_code != 202:
        job.status, job.message = f"failed ({answer.status_code})", detail(answer)
        return
    state = await follow(client, "/api/admin/recompute", job, args)
    if state is None:
        return
    job.report = state
    if state["state"] == "done":
        job.status = "finished"
        job.message = f"{state['rounds']} round(s), {state.get('seconds') or 0:.1f} s in the app"
    else:
        job.status, job.message = "failed", str(state.get("error"))[:300]


async def follow(
    client: httpx.AsyncClient, path: str, job: Job, args: argparse.Namespace
) -> dict[str, Any] | None:
    """Poll a background job's status until it ends (None: it did not in time)."""
    deadline = time.monotonic() + args.background_timeout
    while time.monotonic() < deadline:
        response = await client.get(path)
        if response.status_code != 200:
            job.status, job.message = f"failed ({response.status_code})", detail(response)
            return None
        state: dict[str, Any] = response.json()
        if state["state"] in ("done", "failed"):
            return state
        await asyncio.sleep(0.5)
    job.status = f"not done after {args.background_timeout:.0f} s"
    return None


def detail(response: httpx.Response) -> str:
    """What an error response says: the JSON detail, or the error page's message."""
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            return str(response.json().get("detail"))[:300]
        except ValueError:
            pass
    found = ERROR_TEXT.search(response.text)
    text = found.group(1) if found else response.text
    return re.sub(r"\s+", " ", html.unescape(text))[:300]
