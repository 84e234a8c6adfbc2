"""Load on the web app: many signed-in users of every role at once, while an import and a
recompute run through the app beside them; latency, errors and access violations.

Builds (or reuses) the demo company, creates logins for every role (an admin, a
leader, managers of every team, CSMs; past the number of people, a login opens a
second session), serves it with ``csmetrics serve`` on 127.0.0.1 only, and drives a
mix of page loads, JSON API calls, CSV exports, account 360s and renewal forecasts
(written through the app: in-app imports that make it recompute) for a bounded time
and number of requests. Meanwhile the admin uploads a fresh batch of usage events
(``POST /api/admin/import``: the app imports it beside the pages, on a second
connection to the store; a separate ``csmetrics import`` could not, as the server
holds DuckDB's write lock) and then asks for a recompute of the snapshot, health
scores, risks and calls to action (``POST /api/admin/recompute``; the previous answers
are served until it is complete); whether they finished, and how long they took, is
recorded.

Every response is checked against the store (``load_access``): a CSM's or manager's
lists hold only accounts, CSMs and teams of their scope, their account list is
exactly their book, and probes at other books, other roles' pages and other CSMs'
forecasts are refused. Passing means zero errors (any unexpected status, timeout or
server traceback), zero violations, no write lost (the store holds every accepted
forecast, and every row of the batch exactly when the import finished, none when it
did not), and each background job finished (``--require-background``) or was refused
cleanly. The exit status is 1 otherwise. What the users do is in
``load_traffic``, the figures and the markdown section in ``load_report``.

    python bench/load_web.py                          # 30 users, 60 s, 2,000 accounts
    python bench/load_web.py --users 40 --duration 120
    python bench/load_web.py --quick                  # 8 users, 10 s, a small demo
    python bench/load_web.py --write docs/reliability.md   # replace its "## Load" section
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import duckdb
import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from load_access import Checker, Ownership  # noqa: E402
from load_report import HOST, section, write_section  # noqa: E402
from load_traffic import BIN, Job, Load, Person  # noqa: E402

from csmetrics.config import load_config  # noqa: E402
from csmetrics.periods import parse_period  # noqa: E402
from csmetrics.web.state import StateStore, User  # noqa: E402
from csmetrics.web.state import users as user_ops  # noqa: E402

QUICK = {
    "users": 8,
    "duration": 10.0,
    "think": 0.5,
    "accounts": 200,
    "months": 18,
    "batch_rows": 5_000,
    "forecasts_per_minute": 12,
}


# -- logins -------------------------------------------------------------------------------


def plan_people(users: int, ownership: Ownership) -> list[Person]:
    """``users`` sessions: an admin, a leader, a fifth managers (over every team), the rest
    CSMs (over every CSM); past the number of people, logins repeat as more sessions."""
    csms = ownership.csms.sort_values("csm_id")
    leader = csms[csms["role"] == "leader"]
    managers = csms[csms["role"] == "manager"]
    members = csms[(csms["role"] == "csm") & csms["csm_id"].isin(ownership.accounts["csm_id"])]
    out = [Person("load-admin", "admin", None, None)]
    if users >= 2:
        lead = str(leader["csm_id"].iloc[0]) if len(leader) else None
        out.append(Person("load-leader", "leader", lead, None))
    n_managers = max(1, users // 5) if users >= 4 else 0
    for i in range(n_managers):
        row = managers.iloc[i % len(managers)]
        out.append(
            Person(
                f"load-mgr-{row['csm_id']}",
                "manager",
                str(row["csm_id"]),
                str(row["team"]),
                i // len(managers),
            )
        )
    i = 0
    while len(out) < users:
        row = members.iloc[i % len(members)]
        out.append(
            Person(f"load-csm-{row['csm_id']}", "csm", str(row["csm_id"]), None, i // len(members))
        )
        i += 1
    return out[:users]


def create_logins(workspace: Path, people: list[Person], password: str) -> None:
    """Create each login (or reset it to this run's password, ending old sessions)."""
    from sqlalchemy import select

    config = load_config(workspace / "csmetrics.yaml")
    store = StateStore.for_workspace(workspace, config)
    try:
        with store.session() as db:
            for p in {p.login: p for p in people}.values():
                found = db.scalar(select(User).where(User.login == p.login))
                if found is None:
                    user_ops.add(
                        db, p.login, password, p.role, csm_id=p.csm_id, team=p.team, by="load"
                    )
                else:
                    user_ops.set_role(
                        db, p.login, p.role, csm_id=p.csm_id or "", team=p.team or "", by="load"
                    )
                    user_ops.reset_password(db, p.login, password, by="load")
                    found.active = True
    finally:
        store.dispose()


# -- the store before and after -----------------------------------------------------------


def store_counts(store: Path) -> dict[str, int]:
    con = duckdb.connect(str(store), read_only=True)
    try:
        return {
            t: int(con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0])
            for t in ("events", "renewal_forecasts")
        }  # type: ignore[index]
    finally:
        con.close()


def batch_rows_in_store(store: Path, batch: Path) -> int:
    """Rows of the batch file found in the store, matched on the events' key."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        found = con.execute(
            """
            SELECT count(*) FROM read_csv(?, header = true,
                columns = {'account_id': 'VARCHAR', 'user_id': 'VARCHAR',
                           'event_time': 'TIMESTAMP', 'event_type': 'VARCHAR'}) AS b
            WHERE EXISTS (SELECT 1 FROM events AS e
                          WHERE e.account_id = b.account_id AND e.user_id = b.user_id
                            AND e.event_time = b.event_time AND e.event_type = b.event_type)
            """,
            [str(batch)],
        ).fetchone()
        return int(found[0])  # type: ignore[index]
    finally:
        con.close()


def write_batch(store: Path, target: Path, rows: int, seed: int) -> int:
    """A fresh batch of usage events: existing users' events of the last month of history,
    each moved a few seconds later (same days, valid keys), keeping only keys that are
    neither in the store nor twice in the batch: every row is new. The shift depends on
    the batches already imported, so a rerun on the same workspace sends new rows too."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        salt = int(con.execute("SELECT count(*) FROM _imports").fetchone()[0])  # type: ignore[index]
        frame = con.execute(
            f"""
            WITH moved AS (
                SELECT DISTINCT account_id, user_id,
                       event_time
                           + to_seconds(1 + (hash(user_id, event_time, {salt}) % 50)::BIGINT)
                           AS event_time,
                       event_type
                FROM events
                WHERE event_time >= (SELECT max(event_time) FROM events) - INTERVAL 30 DAY
                  AND event_time <= (SELECT max(event_time) FROM events) - INTERVAL 1 MINUTE
            ), fresh AS (
                SELECT * FROM moved ANTI JOIN events
                USING (account_id, user_id, event_time, event_type)
            )
            SELECT * FROM fresh USING SAMPLE {int(rows)} ROWS (reservoir, {int(seed)})
            """
        ).df()
    finally:
        con.close()
    target.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(target, index=False, date_format="%Y-%m-%d %H:%M:%S.%f")
    return len(frame)


# -- server -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def serve(workspace: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as sink:
        return subprocess.Popen(
            [
                str(BIN / "csmetrics"),
                "serve",
                "-w",
                str(workspace),
                "--host",
                HOST,
                "--port",
                str(port),
            ],
            stdout=sink,
            stderr=subprocess.STDOUT,
        )


def wait_until_up(base: str, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(f"{base}/login", timeout=5)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline or server.poll() is not None:
                tail = log.read_text("utf-8", "replace").splitlines()[-15:]
                raise SystemExit("the server did not start:\n" + "\n".join(tail)) from None
            time.sleep(0.3)


def warm(
    base: str, password: str, fiscal: int, timeout: float
) -> tuple[date, list[str], date, float]:
    """Sign in as the leader and wait for the first page (the snapshot, risks and health
    are computed in the background at start): as-of day, periods offered, the first
    day of the earliest, and how long the warm-up took."""
    began = time.monotonic()
    with httpx.Client(base_url=base, timeout=timeout) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert token, "no login form"
        done = client.post(
            "/login",
            data={"login": "load-leader", "password": password, "csrf_token": token.group(1)},
            follow_redirects=False,
        )
        assert done.status_code == 303, f"cannot sign in as load-leader ({done.status_code})"
        home = client.get("/")
        assert home.status_code == 200, f"/: {home.status_code}"
        as_of = date.fromisoformat(client.get("/api/overview").json()["as_of"])
    periods = re.findall(r'<option value="(\d{4}-(?:Q\d|\d\d))"', home.text)
    first = min(
        (parse_period(p, fiscal).start for p in periods), default=as_of.replace(year=as_of.year - 3)
    )
    return as_of, periods, first, time.monotonic() - began


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# -- main -----------------------------------------------------------------------------------


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, default=30, help="Concurrent signed-in users.")
    parser.add_argument("--duration", type=float, default=60, help="Seconds of load.")
    parser.add_argument(
        "--max-requests", type=int, default=200_000, help="Stop after this many requests."
    )
    parser.add_argument(
        "--think", type=float, default=2.0, help="Mean pause between a user's requests (s)."
    )
    parser.add_argument(
        "--forecasts-per-minute", type=float, default=6, help="Forecasts written through the app."
    )
    parser.add_argument("--workspace", type=Path, help="Demo workspace (built when missing).")
    parser.add_argument("--accounts", type=int, default=2000, help="Demo accounts when building.")
    parser.add_argument("--months", type=int, default=36, help="Demo months when building.")
    parser.add_argument("--rebuild", action="store_true", help="Rebuild the demo workspace.")
    parser.add_argument(
        "--batch-rows", type=int, default=100_000, help="Events in the background import."
    )
    parser.add_argument(
        "--background-timeout", type=float, default=600, help="Seconds a background job may take."
    )
    parser.add_argument(
        "--require-background",
        action="store_true",
        help="Fail unless the import and recompute finish.",
    )
    parser.add_argument("--timeout", type=float, default=120, help="Seconds a request may take.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--out", type=Path, default=HERE / "out", help="Folder for the section and the server log."
    )
    parser.add_argument(
        "--write",
        type=Path,
        help="Also replace the section in this file (e.g. docs/reliability.md).",
    )
    parser.add_argument("--quick", action="store_true", help="8 users, 10 s, a 200-account demo.")
    if parser.parse_args(argv).quick:  # --quick changes the defaults; explicit options win
        parser.set_defaults(**QUICK)
    args = parser.parse_args(argv)
    return args


def build_demo(workspace: Path, args: argparse.Namespace) -> None:
    extra = ["--events-scale", "0.05"] if args.quick else []
    subprocess.run(
        [
            str(BIN / "csmetrics"),
            "demo",
            str(workspace),
            "--force",
            "--accounts",
            str(args.accounts),
            "--months",
            str(args.months),
            *extra,
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    workspace = args.workspace or HERE / "data" / f"load-demo-{args.accounts}-{args.months}"
    if args.rebuild or not (workspace / "csmetrics.yaml").exists():
        build_demo(workspace, args)
    store = workspace / "csmetrics.duckdb"
    config = load_config(workspace / "csmetrics.yaml")
    ownership = Ownership.read(store)
    checker = Checker(ownership)
    people = plan_people(args.users, ownership)
    password = secrets.token_urlsafe(18)
    create_logins(workspace, people, password)
    batch = args.out / "load-batch" / f"events-{int(time.time())}.csv"
    batch_rows = write_batch(store, batch, args.batch_rows, args.seed)
    before = store_counts(store)
    present_before = batch_rows_in_store(store, batch)
    load_before = os.getloadavg()[0]

    port = free_port()
    base = f"http://{HOST}:{port}"
    log = args.out / "load_web-server.log"
    server = serve(workspace, port, log)
    jobs = [
        Job("import", f"POST /api/admin/import events <{batch_rows:,} rows>"),
        Job("recompute", "POST /api/admin/recompute"),
    ]
    try:
        wait_until_up(base, server, log)
        as_of, periods, first_day, warmed = warm(
            base, password, config.company.fiscal_year_start_month, args.timeout
        )
        sights = [
            (p, ownership.sight(p.login, p.role, p.csm_id, p.team, as_of, first_day))
            for p in people
        ]
        load = Load(base, args, checker, ownership, periods)
        asyncio.run(load.run(sights, password, jobs, batch))
    finally:
        stop(server)
    after = store_counts(store)
    tally = load.tally
    tracebacks = log.read_text("utf-8", "replace").count("Traceback")
    if tracebacks:
        tally.errors.append(f"the server log holds {tracebacks} traceback(s): {log}")
    event_rows = after["events"] - before["events"]
    forecast_rows = after["renewal_forecasts"] - before["renewal_forecasts"]
    importing = next(j for j in jobs if j.name == "import")
    imported = importing.status == "finished"
    inserted = int(importing.report.get("rows_inserted") or 0)  # a failed batch: none
    if event_rows != inserted:
        tally.errors.append(
            f"events: {event_rows:+} rows in the store, the import added {inserted:+}"
        )
    if imported and importing.report.get("rows_loaded") != batch_rows:
        tally.errors.append(
            f"the import loaded {importing.report.get('rows_loaded')} of the {batch_rows:,} rows sent"
        )
    present = batch_rows_in_store(store, batch)
    if present != (batch_rows if imported else present_before):
        tally.errors.append(
            f"{present:,} of the batch's {batch_rows:,} rows are in the store afterwards"
        )
    if forecast_rows != tally.forecasts:
        tally.errors.append(
            f"renewal_forecasts: {forecast_rows:+} rows in the store, {tally.forecasts} forecasts accepted"
        )
    allowed = ("finished",) if args.require_background else ("finished", "refused")
    bad_jobs = [j for j in jobs if j.status not in allowed]

    accounts = len(ownership.accounts)
    months = _months(workspace)
    text = section(
        {
            "tally": tally,
            "elapsed": load.elapsed,
            "people": people,
            "jobs": jobs,
            "accounts": accounts,
            "months": months,
            "think": args.think,
            "warm": warmed,
            "sessions": len(load.sessions),
            "sign_in": load.sign_in_seconds,
            "load_before": load_before,
            "forecast_rows": forecast_rows,
            "event_rows": event_rows,
        }
    )
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "load_web.md").write_text(text, "utf-8")
    if args.write:
        write_section(args.write, text)
    print(text)
    for title, found in (("errors", tally.errors), ("violations", tally.violations)):
        if found:
            print(f"{len(found)} {title}, the first ones:", *found[:20], sep="\n  ")
    for job in bad_jobs:
        print(f"background job {job.name}: {job.status} {job.message}")
    passed = not tally.errors and not tally.violations and not bad_jobs
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


def _months(workspace: Path) -> int | None:
    """Months of history of a demo workspace (its source manifest), None when unknown."""
    manifest = workspace / "source" / "manifest.json"
    if not manifest.exists():
        return None
    return int(json.loads(manifest.read_text("utf-8")).get("months", 0)) or None


if __name__ == "__main__":
    raise SystemExit(main())
