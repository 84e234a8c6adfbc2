"""How long `csmetrics scorecard` takes to print, as a user runs it, on the demo company.

Each run is a fresh process running the real command (interpreter start-up, imports,
opening the store, every query, rendering the table) with its output discarded; the
figure is the median wall time of several runs, the cases taking turns. The cases:
the team card with the default preset (the headline: the largest team), the same card
with the other maturity presets, a CSM's card, the company's card, all for the last
complete quarter, and `kpi nrr --by team` as the floor any command pays.

The demo workspace (default parameters: 2,000 accounts, 36 months) is built once with
`csmetrics demo` into bench/data/scorecard-demo unless --workspace names one. Results
replace the "## Scorecard" section of bench/RESULTS.md; other sections are kept.

    python bench/bench_scorecard.py            # 7 runs per case
    python bench/bench_scorecard.py --runs 11 --workspace /tmp/demo
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_import import _load_note, _machine  # noqa: E402

SECTION = "## Scorecard"
CLI = [sys.executable, "-c", "from csmetrics.cli.app import main; main()"]
BUDGET_SECONDS = 2.0


def _ensure_demo(workspace: Path) -> None:
    if (workspace / "csmetrics.yaml").exists():
        return
    print(f"building the demo workspace in {workspace} ...", flush=True)
    subprocess.run([*CLI, "demo", str(workspace), "--force"], check=True, capture_output=True)


def _largest_team_and_csm(workspace: Path) -> tuple[str, str, int]:
    import duckdb

    con = duckdb.connect(str(workspace / "csmetrics.duckdb"), read_only=True)
    try:
        team, accounts = con.execute(
            "SELECT s.team, count(*) FROM accounts a JOIN csms s ON a.csm_id = s.csm_id "
            "GROUP BY s.team ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
        (csm,) = con.execute(
            "SELECT a.csm_id FROM accounts a JOIN csms s ON a.csm_id = s.csm_id "
            "WHERE s.team = ? GROUP BY a.csm_id ORDER BY count(*) DESC, 1 LIMIT 1",
            [team],
        ).fetchone()
    finally:
        con.close()
    return team, csm, accounts


def _time_all(cases: list[tuple[str, list[str]]], runs: int) -> dict[str, list[float]]:
    """Wall seconds of fresh CLI processes, the cases taking turns run by run (so a burst
    of other work on the machine hits every case alike); one warm-up run each first."""
    env = {**os.environ, "COLUMNS": "200"}
    for _, args in cases:
        subprocess.run([*CLI, *args], check=True, capture_output=True, env=env)
    out: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(runs):
        for name, args in cases:
            start = time.perf_counter()
            done = subprocess.run([*CLI, *args], capture_output=True, env=env)
            out[name].append(time.perf_counter() - start)
            if done.returncode != 0:
                raise SystemExit(
                    f"`csmetrics {' '.join(args)}` failed: {done.stderr.decode()[-500:]}"
                )
    return out


def _cases(workspace: Path, team: str, csm: str, preset: str) -> list[tuple[str, list[str]]]:
    w = ["-w", str(workspace)]
    others = [p for p in ("early", "growth", "late") if p != preset]
    return [
        (
            f"`scorecard --team {team}` (default preset, {preset})",
            ["scorecard", "--team", team, *w],
        ),
        *[
            (
                f"`scorecard --team {team} --preset {p}`",
                ["scorecard", "--team", team, "--preset", p, *w],
            )
            for p in others
        ],
        (f"`scorecard --csm {csm}`", ["scorecard", "--csm", csm, *w]),
        ("`scorecard --company`", ["scorecard", "--company", *w]),
        ("reference: `kpi nrr --by team` (one KPI, one query)", ["kpi", "nrr", "--by", "team", *w]),
    ]


PHASES = """
import json, sys, time
t0 = time.perf_counter()
from csmetrics.cli.app import app  # what the command line imports
t1 = time.perf_counter()
import io
from rich.console import Console
import csmetrics
from csmetrics.cli.scorecard_cmds import _render_card
ws = csmetrics.open(sys.argv[1], read_only=True)
t2 = time.perf_counter()
(period,) = ws.periods(None)
t3 = time.perf_counter()
card = ws.scorecard(team=sys.argv[2], period=period)
t4 = time.perf_counter()
_render_card(Console(file=io.StringIO(), width=200), card)
t5 = time.perf_counter()
ws.close()
print(json.dumps({"import": t1 - t0, "open": t2 - t1, "as-of day (default period)": t3 - t2,
                  "scorecard (queries and arithmetic)": t4 - t3, "rendering": t5 - t4}))
"""


def _phases(workspace: Path, team: str, runs: int) -> dict[str, float]:
    """Median seconds of each phase of the team card, timed inside fresh processes."""
    import json

    samples: list[dict[str, float]] = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-c", PHASES, str(workspace), team],
            check=True,
            capture_output=True,
            text=True,
        )
        samples.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {k: statistics.median(s[k] for s in samples) for k in samples[0]}


def _section(results: dict) -> str:
    machine = ", ".join(f"{k} {v}" for k, v in results["machine"].items())
    lines = [
        SECTION,
        "",
        f"Measured {results['when']} by `bench/bench_scorecard.py`: the scorecard commands on "
        f"the demo company (default parameters: 2,000 accounts, 36 months; the largest team, "
        f"{results['team']}, holds {results['team_accounts']:,} accounts), last complete "
        f"quarter, default config (preset `{results['preset']}`). Each run is a fresh process "
        "running the real command with its output discarded: interpreter start-up, imports, "
        "opening the store, every query and the rendering. One warm-up run per case, then "
        f"{results['runs']} timed runs, the cases taking turns. Budget: under "
        f"{BUDGET_SECONDS:g} s for the team card.",
        "",
        f"Machine: {machine}{_load_note(results.get('load'))}.",
        "",
        "| command | runs | median s | min s | max s |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, seconds in results["cases"]:
        lines.append(
            f"| {name} | {len(seconds)} | {statistics.median(seconds):.2f} "
            f"| {min(seconds):.2f} | {max(seconds):.2f} |"
        )
    lines += [
        "",
        f"Where the team card's time goes (median of {results['runs']} fresh processes, timed "
        "inside the process; the rest of the wall time is interpreter start-up and exit):",
        "",
        "| phase | median s |",
        "|---|---:|",
        *[f"| {phase} | {seconds:.2f} |" for phase, seconds in results["phases"].items()],
    ]
    return "\n".join(lines) + "\n"


def _write_results(path: Path, section: str) -> None:
    """Replace (or append) the "## Scorecard" section, leaving the others alone."""
    text = path.read_text("utf-8") if path.exists() else "# Benchmarks\n"
    start = text.find("\n" + SECTION + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(SECTION) + 1)
        tail = "" if nxt < 0 else "\n" + text[nxt + 1 :]
        text = text[: start + 1] + section + tail
    path.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=HERE / "data" / "scorecard-demo")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)
    _ensure_demo(args.workspace)
    team, csm, team_accounts = _largest_team_and_csm(args.workspace)
    from csmetrics.config import load_config

    preset = load_config(args.workspace / "csmetrics.yaml").scorecards.preset
    load_before = os.getloadavg()[0]
    timed = _time_all(_cases(args.workspace, team, csm, preset), args.runs)
    for name, seconds in timed.items():
        print(f"{name}: median {statistics.median(seconds):.2f}s {seconds}", flush=True)
    phases = _phases(args.workspace, team, args.runs)
    results = {
        "when": date.today().isoformat(),
        "machine": _machine(),
        "load": (load_before, os.getloadavg()[0]),
        "team": team,
        "team_accounts": team_accounts,
        "preset": preset,
        "runs": args.runs,
        "cases": list(timed.items()),
        "phases": phases,
    }
    _write_results(args.results, _section(results))
    print(f"wrote the {SECTION[3:]} section of {args.results}")


if __name__ == "__main__":
    main()
