"""Web pages on the demo company: time per page over loopback, p50/p95 per role.

Builds the demo company (2,000 accounts, 36 months by default), serves it with
``csmetrics serve --demo-users`` on 127.0.0.1 only, signs in as leader, manager and
CSM, and times every page, the JSON API and a CSV export:

* ``first``: the first request for that page and role once the server is warm (the
  page's view is built from the KPI snapshot, the risk evaluation and the other
  cached answers);
* ``p50``/``p95``: over ``--runs`` further requests (a page's view is kept until the
  data changes, so these are what a returning user sees);
* two extra rows per role build views nobody asked for before: the overview under
  ten filter combinations and the account 360 of ten different accounts.

Results replace the "## Web pages" section of bench/RESULTS.md.

    python bench/bench_web.py                 # the 2,000-account demo
    python bench/bench_web.py --accounts 400  # quicker
"""

from __future__ import annotations

import argparse
import re
import socket
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_import import _machine  # noqa: E402

SECTION = "## Web pages"
BIN = Path(sys.executable).parent
PASSWORD = "csmetrics-demo"
PAGES = (
    "/",
    "/scorecard",
    "/accounts",
    "/risks",
    "/ctas",
    "/renewals",
    "/health",
    "/adoption",
    "/onboarding",
    "/surveys",
    "/advocacy",
    "/compensation",
    "/health/backtest",
    "/api/overview",
    "/api/risks",
    "/export/accounts?table=accounts",
)
FILTERS = (
    {"period": "{q2}"},
    {"period": "{q3}"},
    {"tier": "{tier}"},
    {"segment": "{segment}"},
    {"period": "{m1}"},
    {"period": "{m2}"},
    {"tier": "{tier}", "period": "{q2}"},
    {"segment": "{segment}", "period": "{q3}"},
    {"period": "{m3}"},
    {"tier": "{tier}", "segment": "{segment}"},
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _client(base: str, login: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=600, follow_redirects=False)
    form = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert token, "no login form"
    done = client.post(
        "/login", data={"login": login, "password": PASSWORD, "csrf_token": token.group(1)}
    )
    assert done.status_code == 303, f"{login}: cannot sign in ({done.status_code})"
    return client


def _time(client: httpx.Client, path: str, params: dict | None = None) -> float:
    began = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = time.perf_counter() - began
    assert response.status_code == 200, f"{path} {params}: {response.status_code}"
    return elapsed * 1000


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(base: str, runs: int) -> tuple[list[dict], float]:
    rows = []
    began = time.perf_counter()
    leader = _client(base, "leader")
    leader.get("/")  # waits for the warm-up (snapshot, risks, health)
    warm = time.perf_counter() - began
    periods = [p for p in re.findall(r'<option value="(\d{4}-(?:Q\d|\d\d))"', leader.get("/").text)]
    quarters = [p for p in periods if "Q" in p]
    months = [p for p in periods if "Q" not in p]
    tiers = sorted(
        {r["tier"] for r in leader.get("/api/accounts").json()["tables"][0]["rows"] if r["tier"]}
    )
    segments = sorted(
        {
            r["segment"]
            for r in leader.get("/api/accounts").json()["tables"][0]["rows"]
            if r["segment"]
        }
    )
    values = {
        "q2": quarters[1],
        "q3": quarters[2],
        "m1": months[0],
        "m2": months[1],
        "m3": months[2],
        "tier": tiers[0],
        "segment": segments[0],
    }
    for login in ("leader", "manager", "csm"):
        client = _client(base, login)
        for path in PAGES:
            if path == "/health/backtest" and login != "leader":
                continue
            first = _time(client, path)
            times = [_time(client, path) for _ in range(runs)]
            rows.append(
                {
                    "role": login,
                    "page": path,
                    "first": first,
                    "p50": statistics.median(times),
                    "p95": _p95(times),
                }
            )
        filtered = [
            _time(client, "/", {k: v.format(**values) for k, v in f.items()}) for f in FILTERS
        ]
        rows.append(
            {
                "role": login,
                "page": "/ (10 filter combinations, each new)",
                "first": max(filtered),
                "p50": statistics.median(filtered),
                "p95": _p95(filtered),
            }
        )
        book = client.get("/api/accounts").json()["tables"][0]["rows"][:10]
        accounts = [_time(client, f"/accounts/{r['account_id']}") for r in book]
        rows.append(
            {
                "role": login,
                "page": "/accounts/{id} (10 accounts, each new)",
                "first": max(accounts),
                "p50": statistics.median(accounts),
                "p95": _p95(accounts),
            }
        )
    return rows, warm


def _section(rows: list[dict], warm: float, accounts: int, months: int, runs: int) -> str:
    machine = _machine()
    lines = [
        SECTION,
        "",
        f"Measured {date.today()} by `bench/bench_web.py`: the demo company ({accounts:,} accounts, "
        f"{months} months) served by `csmetrics serve` on 127.0.0.1, requests from one client "
        f"over loopback, one at a time. `first` is a page's first request for that role once the "
        f"server is warm; p50/p95 are over {runs} further requests (a page's view is kept until "
        f"the data changes). The rows marked *each new* build a view nobody asked for before. "
        f"Milliseconds, wall time at the client. Start-up to the first page (migrations, KPI "
        f"snapshot, risk evaluation, health scores): {warm:.1f} s.",
        "",
        "| machine | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in machine.items()],
        "",
        "| role | page | first | p50 | p95 |",
        "|---|---|---:|---:|---:|",
        *[
            f"| {r['role']} | `{r['page']}` | {r['first']:.0f} | {r['p50']:.0f} | {r['p95']:.0f} |"
            for r in rows
        ],
        "",
        f"Worst p95 of repeated requests: {max(r['p95'] for r in rows if 'each new' not in r['page']):.0f} ms; "
        f"worst first request: {max(r['first'] for r in rows):.0f} ms.",
        "",
    ]
    return "\n".join(lines)


def _write_results(path: Path, section: str) -> None:
    """Replace (or add) the section, leaving the others alone."""
    text = path.read_text("utf-8") if path.exists() else "# Benchmarks\n"
    start = text.find(SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(SECTION))
        rest = text[nxt + 1 :] if nxt >= 0 else ""
        text = text[:start] + section + ("\n" + rest if rest else "")
    path.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=2000, help="Demo accounts.")
    parser.add_argument("--months", type=int, default=36, help="Months of history.")
    parser.add_argument("--runs", type=int, default=30, help="Repeated requests per page.")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="Data folder.")
    parser.add_argument("--reuse", action="store_true", help="Reuse the demo if it is there.")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="Results file.")
    args = parser.parse_args(argv)
    workspace = args.data / f"web-demo-{args.accounts}-{args.months}"
    if not (args.reuse and (workspace / "csmetrics.yaml").exists()):
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
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    port = _free_port()
    server = subprocess.Popen(
        [
            str(BIN / "csmetrics"),
            "serve",
            "-w",
            str(workspace),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--demo-users",
        ],
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"{base}/login", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.3)
        rows, warm = measure(base, args.runs)
    finally:
        server.terminate()
        server.wait(timeout=30)
    section = _section(rows, warm, args.accounts, args.months, args.runs)
    _write_results(args.results, section)
    print(section)


if __name__ == "__main__":
    main()
