"""The figures of a ``load_web`` run: latency percentiles overall and per route group,
requests per second held, and the markdown section for docs/reliability.md."""

from __future__ import annotations

import os
import platform
from datetime import date
from pathlib import Path
from typing import Any

from load_traffic import Job, Person, Tally

from csmetrics import __version__

SECTION = "## Load"
HOST = "127.0.0.1"  # loopback only
GROUPS = ("login", "page", "account", "api", "export", "forecast", "probe")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def latency_rows(samples: list[tuple[float, str, float]]) -> list[dict[str, Any]]:
    rows = []
    for group in ("all", *GROUPS):
        ms = [m for _, g, m in samples if group in ("all", g)]
        if ms:
            rows.append(
                {
                    "group": group,
                    "requests": len(ms),
                    "p50": percentile(ms, 0.5),
                    "p95": percentile(ms, 0.95),
                    "p99": percentile(ms, 0.99),
                    "max": max(ms),
                }
            )
    return rows


def window_rates(
    samples: list[tuple[float, str, float]], elapsed: float, width: float = 10.0
) -> list[float]:
    """Requests completed per second in each whole ``width``-second window."""
    windows = int(elapsed // width)
    counts = [0] * windows
    for end, _, _ in samples:
        index = int(end // width)
        if index < windows:
            counts[index] += 1
    return [c / width for c in counts]


def section(facts: dict[str, Any]) -> str:
    t: Tally = facts["tally"]
    rows = latency_rows(t.samples)
    overall = rows[0]
    rates = window_rates(t.samples, facts["elapsed"])
    people: list[Person] = facts["people"]
    roles = {
        r: sum(1 for p in people if p.role == r) for r in ("admin", "leader", "manager", "csm")
    }
    logins = len({p.login for p in people})
    logins_ms = [ms for _, g, ms in t.sign_in if g == "login"]
    jobs: list[Job] = facts["jobs"]
    lines = [
        SECTION,
        "",
        f"Measured {date.today()} by `bench/load_web.py`: the demo company ({facts['accounts']:,} accounts"
        f"{', ' + str(facts['months']) + ' months' if facts['months'] else ''}) served by one `csmetrics serve` process on {HOST}, driven over loopback by "
        f"{len(people)} signed-in users at once ({roles['admin']} admin, {roles['leader']} leader, "
        f"{roles['manager']} manager(s), {roles['csm']} CSMs; {logins} logins, the rest second sessions) for {facts['elapsed']:.0f} s, each "
        f"pausing 0-{2 * facts['think']:.1f} s between requests. The mix: pages with random filters, account 360s, "
        f"the JSON API, CSV exports, probes at what the login may not see, and {t.forecasts} renewal forecasts "
        f"written through the app (each an import that makes the app recompute). Start-up to the first page: "
        f"{facts['warm']:.1f} s; then all {len(people)} signed in at once, {facts['sessions']} sessions within "
        f"{facts['sign_in']:.1f} s (login p50 {percentile(logins_ms, 0.5):.0f} ms, p95 "
        f"{percentile(logins_ms, 0.95):.0f} ms; argon2 on every login); neither is in the figures below.",
        "",
        "| users | duration | requests | req/s | req/s, slowest 10 s | p50 ms | p95 ms | p99 ms | errors | violations |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {len(people)} | {facts['elapsed']:.0f} s | {overall['requests']:,} | {overall['requests'] / facts['elapsed']:.1f} | "
        f"{min(rates) if rates else float('nan'):.1f} | {overall['p50']:.0f} | {overall['p95']:.0f} | {overall['p99']:.0f} | "
        f"{len(t.errors)} | {len(t.violations)} |",
        "",
        "| route group | requests | p50 ms | p95 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|---:|",
        *[
            f"| {r['group']} | {r['requests']:,} | {r['p50']:.0f} | {r['p95']:.0f} | {r['p99']:.0f} | {r['max']:.0f} |"
            for r in rows[1:]
        ],
        "",
        f"Access: {t.checked:,} responses checked against ownership read from the store (lists hold only the "
        f"login's accounts, CSMs and teams; each unfiltered account list is exactly the login's book), "
        f"{t.probes:,} probes at other books, other roles' pages and other CSMs' forecasts: "
        f"{len(t.violations)} violations. Writes: {t.forecasts} forecasts accepted, "
        f"{facts['forecast_rows']} rows added to renewal_forecasts ({'nothing lost' if facts['forecast_rows'] == t.forecasts else 'MISMATCH'}).",
        "",
        "| background job | command | started at | result | seconds |",
        "|---|---|---:|---|---:|",
        *[
            f"| {j.name} | `{j.command}` | {j.started:.1f} s | {j.status}{': ' + j.message if j.message else ''} | {j.seconds:.1f} |"
            for j in jobs
        ],
        "",
        f"Machine: {os.cpu_count()} cores, Python {platform.python_version()}, csmetrics {__version__}; load average "
        f"(1 min) {facts['load_before']:.2f} before, {max(t.load, default=float('nan')):.2f} at most during the run; "
        f"the load generator runs on the same cores as the server.",
        "",
    ]
    lines += [
        "The background jobs go through the running app as its admin: DuckDB lets one process "
        "write the store and the server is that process, so the batch is uploaded and imported "
        "by the app on a second connection of its own (the pages read the data as it was until "
        "it commits), and the recompute serves the previous answers until the new ones are "
        f"complete. Events in the store afterwards: {facts['event_rows']:+,} rows.",
        "",
    ]
    return "\n".join(lines)


def write_section(path: Path, text: str) -> None:
    """Replace (or add) the section in ``path``, leaving the rest alone."""
    body = path.read_text("utf-8") if path.exists() else "# Reliability\n"
    start = body.find(SECTION + "\n")
    if start < 0:
        body = body.rstrip("\n") + "\n\n" + text
    else:
        nxt = body.find("\n## ", start + len(SECTION))
        rest = body[nxt + 1 :] if nxt >= 0 else ""
        body = body[:start] + text + ("\n" + rest if rest else "")
    path.write_text(body, "utf-8")
