"""Every KPI family at scale: csmetrics on DuckDB and on Spark against hand-written queries.

On the demo company (2,000 accounts, 36 months) at ~10M (``--quick``) or ~100M events,
each question below is answered several ways, each run in a fresh process (time
excludes interpreter start-up and imports, includes opening the workspace or the
files), and every way must give the same answer:

* MAU and license utilisation for each month of the last year;
* the ARR bridge (movements) for each month of the last year;
* NRR, GRR and logo retention for each quarter of the last year;
* health scores of every account on the data's as-of day (the standard model);
* the team scorecard of the largest team for the last quarter.

Ways: csmetrics on DuckDB (answering from the store: rollups and kept scores), the
full rebuild where there is one (both event rollups, every month of health
history), one hand-written DuckDB SQL query over the store, a polars lazy query and
idiomatic pandas over the demo's Parquet files, and csmetrics on Spark (PySpark
``local[2]``, events read from the same Parquet files). The results go to the "KPIs
against hand-written queries" section of bench/RESULTS.md, one per events scale.

    python bench/bench_kpis.py --quick    # ~10M events
    python bench/bench_kpis.py            # ~100M events (long)
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import statistics
import sys
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import bench_adoption  # noqa: E402
import hand_revenue  # noqa: E402
from harness import (  # noqa: E402
    child,
    first_difference,
    generate_demo,
    load_average,
    machine,
    machine_table,
    median,
    months_before,
    next_month,
    same,
    set_engine_option,
    spawn,
    versions,
    write_section,
)

SECTION = "## KPIs against hand-written queries"
QUICK_SCALE = 2.2  # ~10M events
FULL_SCALE = 25.0  # ~100M events
HAND_WRITTEN = ("duckdb_sql", "polars", "pandas")
SLOW_SECONDS = 90.0  # a pandas or Spark run this long is run once (said in RESULTS.md)
RSS_CAP_MB = 16 * 1024  # a run past this is stopped and reported out of memory
SPARK_TIMEOUT = 45 * 60.0  # a Spark run past this is stopped and reported as such


@dataclass(frozen=True)
class Case:
    """One question and the ways that answer it."""

    name: str
    title: str
    ways: tuple[str, ...]
    tables: tuple[str, ...]  # what it reads, for rows/s
    store_label: str = "csmetrics on DuckDB"
    not_hand_written: str = ""
    spark_label: str = "csmetrics on Spark local[2]"
    spark_note: str = ""


ALL_TABLES = ("*",)
CASES = (
    Case(
        "adoption",
        "MAU and license utilisation, each month of 2025",
        ("csmetrics_rebuild", "csmetrics_store", "duckdb_sql", "polars", "pandas", "spark"),
        ("events", "contracts"),
        "csmetrics on DuckDB (rollups)",
    ),
    Case(
        "movements",
        "ARR bridge (movements), each month of 2025",
        ("csmetrics_store", "duckdb_sql", "polars", "pandas", "spark"),
        ("contracts", "fx_rates"),
    ),
    Case(
        "retention",
        "NRR, GRR and logo retention, each quarter of 2025",
        ("csmetrics_store", "duckdb_sql", "polars", "pandas", "spark"),
        ("contracts", "fx_rates"),
    ),
    Case(
        "health",
        "health scores of every account on the as-of day (standard model)",
        ("csmetrics_rebuild", "csmetrics_store", "spark"),
        ALL_TABLES,
        "csmetrics on DuckDB (kept scores)",
        spark_label="csmetrics on Spark local[2] (every month of history)",
        spark_note=(
            "Spark opens the store read-only, so it scores every month end of history and "
            "the as-of day in memory (nothing kept): the work of the DuckDB full rebuild."
        ),
        not_hand_written=(
            "The standard model weighs 9 measures (plus 2 shown at weight 0) read from "
            "8 tables (license utilisation, key-feature adoption, MAU trend, NPS over 12 "
            "months, CSAT, tickets per 100 licenses, invoices paid on time, champion "
            "present, renewals so far), each with its own window, then piecewise-linear "
            "points and skip-missing reweighting: a hand translation is a program, not a "
            "query, and is not measured here."
        ),
    ),
    Case(
        "scorecard",
        "team scorecard of the largest team, last quarter of 2025 (preset growth)",
        ("csmetrics_store", "spark"),
        ALL_TABLES,
        not_hand_written=(
            "A scorecard is NRR, NPS and MAU against resolved targets (table, config, "
            "derived) for 4 trailing quarters with attainment, Wilson intervals and "
            "ranks among peers; it has no single-query equivalent and is not measured "
            "by hand."
        ),
    ),
)
BY_NAME = {c.name: c for c in CASES}
LABELS = {
    "csmetrics_rebuild": "csmetrics on DuckDB (full rebuild)",
    "duckdb_sql": "DuckDB SQL, hand-written",
    "polars": "polars lazy, hand-written",
    "pandas": "pandas, hand-written",
    "spark": "csmetrics on Spark local[2]",
}


def label(case: Case, way: str) -> str:
    if way == "spark":
        return case.spark_label
    return case.store_label if way == "csmetrics_store" else LABELS[way]


# -- the ways (each runs in its own process) ----------------------------------------


def _month_periods(args: dict) -> list:
    from csmetrics.periods import month

    return [month(d.year, d.month) for d in map(date.fromisoformat, args["months"])]


def _quarter_periods(args: dict) -> list:
    from csmetrics.periods import parse_period

    return [parse_period(q) for q in args["quarters"]]


def _float(value: Any) -> float | None:
    if value is None:
        return None
    out = float(value)
    return None if math.isnan(out) else out


def run_csmetrics(case: str, ws_dir: str, args: dict, *, rebuild: bool, read_only: bool) -> Any:
    """The question through csmetrics' own API, on whatever engine the workspace names."""
    import time

    import csmetrics
    from csmetrics import health
    from csmetrics.kpis import bridge, compute_many

    began = time.perf_counter()
    with csmetrics.open(ws_dir, read_only=read_only) as ws:
        opened = time.perf_counter() - began
        if case == "adoption":
            if rebuild:
                ws.refresh_rollups(full=True)
            periods = _month_periods(args)
            out = compute_many(ws.engine, ws.config, ["mau", "license_utilisation"], periods)
            mau, util = out["mau"], out["license_utilisation"]
            answer: Any = [
                [str(p), int(a), int(n), int(d)]
                for p, a, n, d in zip(
                    mau["period_start"],
                    mau["value"],
                    util["numerator"],
                    util["denominator"],
                    strict=True,
                )
            ]
        elif case == "movements":
            frame = bridge(ws.engine, ws.config, _month_periods(args), "company")
            answer = hand_revenue.bridge_answer(
                [str(p) for p in frame["period_start"]],
                frame[list(hand_revenue.LINES)].to_numpy().tolist(),
            )
        elif case == "retention":
            names = ["logo_retention", "grr", "nrr"]
            out = compute_many(ws.engine, ws.config, names, _quarter_periods(args))
            logo, grr, nrr = (out[n] for n in names)
            answer = {
                "text": [str(p) for p in logo["period_start"]],
                "count": [
                    [int(a), int(b)]
                    for a, b in zip(logo["denominator"], logo["numerator"], strict=True)
                ],
                "money": [
                    [float(s), float(k), float(e)]
                    for s, k, e in zip(
                        grr["denominator"], grr["numerator"], nrr["numerator"], strict=True
                    )
                ],
                "ratio": [
                    [_float(a), _float(b), _float(c)]
                    for a, b, c in zip(logo["value"], grr["value"], nrr["value"], strict=True)
                ],
            }
        elif case == "health":
            if rebuild:
                ws.engine.duckdb.execute("DELETE FROM _health_state")
            frame = health.scores(ws.engine, ws.config).sort_values("account_id")
            answer = {
                "text": [
                    [a, str(d), b] for a, d, b in frame[["account_id", "as_of", "band"]].values
                ],
                "score": [_float(s) for s in frame["score"]],
            }
        else:
            card = ws.scorecard(team=args["team"], period=args["quarters"][-1])
            lines = card.lines
            answer = {
                "text": [str(k) for k in lines["kpi"]],
                "ratio": [
                    [_float(v), _float(t), _float(a)]
                    for v, t, a in zip(
                        lines["value"], lines["target"], lines["attainment"], strict=True
                    )
                ]
                + [[_float(card.score), float(card.accounts), None]],
            }
    return {"answer": answer, "_timings": {"open": opened}}


def run_duckdb(case: str, args: dict) -> Any:
    import duckdb

    if case == "adoption":
        return bench_adoption.way_duckdb(args["store"], _dates(args["months"]))
    con = duckdb.connect(args["store"], read_only=True)
    try:
        if case == "movements":
            spans = _month_spans(args)
            rows = hand_revenue.run_sql(con, hand_revenue.bridge_sql(spans))
            return hand_revenue.bridge_answer([str(a) for a, _ in spans], rows)
        spans = _quarter_spans(args)
        rows = hand_revenue.run_sql(con, hand_revenue.retention_sql(spans))
        return hand_revenue.retention_answer([str(a) for a, _ in spans], rows)
    finally:
        con.close()


def run_frames(case: str, way: str, args: dict) -> Any:
    """polars or pandas over the demo's Parquet files."""
    if case == "adoption":
        months = _dates(args["months"])
        if way == "polars":
            return bench_adoption.way_polars(args["source"], months)
        return bench_adoption.way_pandas(args["source"], months)
    source = Path(args["source"])
    contracts, fx_rates = source / "contracts.parquet", source / "fx_rates.parquet"
    if case == "movements":
        spans = _month_spans(args)
        fn = hand_revenue.bridge_polars if way == "polars" else hand_revenue.bridge_pandas
        return hand_revenue.bridge_answer(
            [str(a) for a, _ in spans], fn(contracts, fx_rates, spans)
        )
    spans = _quarter_spans(args)
    fn = hand_revenue.retention_polars if way == "polars" else hand_revenue.retention_pandas
    return hand_revenue.retention_answer([str(a) for a, _ in spans], fn(contracts, fx_rates, spans))


def _dates(values: list[str]) -> list[date]:
    return [date.fromisoformat(v) for v in values]


def _month_spans(args: dict) -> list[tuple[date, date]]:
    return [(m, next_month(m)) for m in _dates(args["months"])]


def _quarter_spans(args: dict) -> list[tuple[date, date]]:
    return [(date.fromisoformat(a), date.fromisoformat(b)) for a, b in args["quarter_spans"]]


def _load(way: str) -> None:
    """Each way's libraries load before the clock starts."""
    if way.startswith("csmetrics") or way == "spark":
        import csmetrics.health
        import csmetrics.kpis
        import csmetrics.scorecards  # noqa: F401
    if way == "spark":
        import pyspark.sql  # noqa: F401
    elif way == "duckdb_sql":
        import duckdb  # noqa: F401
    elif way == "polars":
        import polars  # noqa: F401
    elif way == "pandas":
        import pandas  # noqa: F401


def _run(way: str, args: dict) -> Any:
    out = _answer(way, args)
    _keep(args, way, out["answer"])
    return out


def _keep(args: dict, way: str, answer: Any) -> None:
    """Every run's answer on disk (``answers/runs``), so all of them can be checked again."""
    import os

    folder = Path(args["ws"]).parent / "answers" / "runs"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{args['case']}-{way}-{os.getpid()}.json"
    part = target.with_suffix(".part")
    part.write_text(json.dumps(answer, default=str))
    part.replace(target)


def _answer(way: str, args: dict) -> Any:
    case = args["case"]
    if way in ("csmetrics_store", "csmetrics_rebuild"):
        return run_csmetrics(
            case, args["ws"], args, rebuild=way.endswith("rebuild"), read_only=False
        )
    if way == "spark":
        return run_csmetrics(case, args["spark_ws"], args, rebuild=False, read_only=True)
    if way == "duckdb_sql":
        return {"answer": run_duckdb(case, args)}
    return {"answer": run_frames(case, way, args)}


# -- set-up: one workspace with every table, and its Spark twin ------------------------


def prepare(source: Path, manifest: dict, work: Path, memory_limit: str) -> dict:
    """The demo imported into a workspace (its own config, kept health scores), once."""
    import csmetrics
    from csmetrics import health, schema
    from csmetrics.demo.workspace_config import demo_config_text

    marker = work / "ready.json"
    ws_dir = work / "ws"
    if not marker.exists():
        shutil.rmtree(work, ignore_errors=True)
        csmetrics.init(ws_dir, force=True).close()
        (ws_dir / "csmetrics.yaml").write_text(demo_config_text(), "utf-8")
        set_engine_option(ws_dir, "memory_limit", "4GB")  # set-up is not measured
        with csmetrics.open(ws_dir) as ws:
            for spec in schema.load_order():
                files = [source / f for f in manifest["files"][spec.name]]
                report = ws.import_files(spec.name, files)
                if not report.ok:
                    raise SystemExit(f"{spec.name}: rows rejected on import: {report}")
            health.scores(ws.engine, ws.config)  # keep the scores once
        marker.write_text(json.dumps({"ws": str(ws_dir)}))
    set_engine_option(ws_dir, "memory_limit", memory_limit)
    spark_dir = work / "spark"
    spark_dir.mkdir(parents=True, exist_ok=True)
    text = (ws_dir / "csmetrics.yaml").read_text("utf-8")
    (spark_dir / "csmetrics.yaml").write_text(text, "utf-8")
    set_engine_option(spark_dir, "backend", "pyspark")
    set_engine_option(spark_dir, "master", '"local[2]"')
    set_engine_option(spark_dir, "path", json.dumps(str(ws_dir / "csmetrics.duckdb")))
    events = json.dumps(str(source / "events" / "*.parquet"))
    set_engine_option(spark_dir, "tables", "{events: " + events + "}")
    return {"ws": str(ws_dir), "spark_ws": str(spark_dir)}


def questions(ws_dir: str, manifest: dict) -> dict:
    """What every way is asked: the months and quarters of the last year, the team."""
    import csmetrics
    from csmetrics import schema
    from csmetrics.periods import quarter

    end = date.fromisoformat(manifest["end_date"])
    months = months_before(end)
    year = months[0].year
    quarters = [quarter(year, q) for q in range(1, 5)]
    with csmetrics.open(ws_dir, read_only=True) as ws:
        config = ws.config
        if config.revenue.churn_recognition != "end_of_term":
            raise SystemExit("the hand-written queries assume churn_recognition: end_of_term")
        if config.company.reporting_currency != hand_revenue.REPORTING:
            raise SystemExit("the hand-written queries assume the reporting currency USD")
        if config.adoption.active_event_types != bench_adoption.ACTIVE:
            raise SystemExit("the hand-written queries assume the default active event types")
        counts = {t.name: ws.row_count(t.name) for t in schema.TABLES}
        staff = ws.table("accounts").group_by("csm_id").aggregate(n=lambda t: t.count())
        csms = ws.table("csms")
        team = (
            staff.join(csms, "csm_id")
            .group_by("team")
            .aggregate(n=lambda t: t.n.sum())
            .order_by([lambda t: t.n.desc(), "team"])
            .limit(1)
            .to_pyarrow()
            .column("team")[0]
            .as_py()
        )
    return {
        "months": [m.isoformat() for m in months],
        "quarters": [q.label for q in quarters],
        "quarter_spans": [[q.start.isoformat(), q.end.isoformat()] for q in quarters],
        "team": team,
        "rows": counts,
    }


# -- the run --------------------------------------------------------------------------


def _rows(case: Case, counts: dict[str, int]) -> int:
    if case.tables == ALL_TABLES:
        return sum(counts.values())
    return sum(counts[t] for t in case.tables)


def measure(cases: list[Case], common: dict, runs: int, answers: Path) -> tuple[dict, dict]:
    """Every way of every case ``runs`` times (slow pandas/Spark runs once), in turns.

    Returns the runs per case and way, and per case the load average before its first
    run and after its last. Each case's first answer is kept in ``answers`` so that a
    later invocation measuring other ways is checked against the same answer.
    """
    out: dict[str, dict[str, list[dict]]] = {c.name: {w: [] for w in c.ways} for c in cases}
    loads: dict[str, list[float]] = {}
    answers.mkdir(parents=True, exist_ok=True)
    for i in range(runs):
        for case in cases:
            kept = answers / f"{case.name}.json"
            for way in case.ways:
                done = out[case.name][way]
                if done and "failed" in done[0]:
                    continue
                if i > 0 and way in ("pandas", "spark") and done[0]["seconds"] > SLOW_SECONDS:
                    continue
                loads.setdefault(case.name, [load_average(), 0.0])
                r = spawn(
                    __file__,
                    way,
                    {**common, "case": case.name},
                    rss_cap_mb=RSS_CAP_MB,
                    timeout=SPARK_TIMEOUT if way == "spark" else None,
                )
                loads[case.name][1] = load_average()
                if "failed" in r:
                    print(f"  {case.name} / {way}: FAILED {r['failed']}", flush=True)
                    done.append(r)
                    continue
                answer = r["result"]["answer"]
                if not kept.exists():
                    kept.write_text(json.dumps({"way": way, "answer": answer}))
                reference = json.loads(kept.read_text())
                if not same(answer, reference["answer"]):
                    where = first_difference(answer, reference["answer"])
                    raise SystemExit(
                        f"{case.name}: {way} disagrees with {reference['way']}: {where}"
                    )
                r["result"] = None  # keep the summary small
                done.append(r)
                print(
                    f"run {i + 1}: {case.name} / {label(case, way)}: {r['seconds']:.2f}s, "
                    f"{r['peak_rss_mb']:,.0f} MB",
                    flush=True,
                )
    return out, loads


def verify(answers: Path) -> dict[str, int]:
    """Check every kept run's answer against its question's reference; runs per question."""
    checked: dict[str, int] = {}
    for reference_file in sorted(answers.glob("*.json")):
        case = reference_file.stem
        reference = json.loads(reference_file.read_text())
        for run in sorted((answers / "runs").glob(f"{case}-*.json")):
            answer = json.loads(run.read_text())
            if not same(answer, reference["answer"]):
                where = first_difference(answer, reference["answer"])
                raise SystemExit(f"{run.name} disagrees with {reference['way']}: {where}")
            checked[case] = checked.get(case, 0) + 1
    return checked


def _section(summary: dict) -> str:
    scale = summary["scale"]
    counts = summary["rows"]
    lines = [
        f"{SECTION} (events scale {scale:g})",
        "",
        f"Measured {summary['when']} by `bench/bench_kpis.py{' --quick' if summary['quick'] else ''}` "
        f"on the demo company ({counts['events']:,} events, {counts['contracts']:,} contracts, "
        "2,000 accounts, 36 months). Each way runs in a fresh process; time excludes "
        "interpreter start-up and imports and includes opening the workspace or the files "
        "(for Spark, starting the local session: its share is given below). The median of "
        f"{summary['runs']} runs is shown, except that a pandas or Spark run longer than "
        f"{SLOW_SECONDS:.0f}s is run once (runs column). Peak RSS: the process and its children "
        "(Spark's JVM). rows/s: rows of the canonical tables behind the question (events and "
        "contracts for adoption, contracts and rates for revenue, all tables for health and "
        "the scorecard) / median seconds; for an answer from rollups or kept scores that is "
        "the data covered, not the rows read. Ratio: median / the fastest hand-written way's "
        "median. csmetrics on DuckDB runs with "
        f"`engine.memory_limit: {summary['memory_limit']}`; hand-written DuckDB SQL reads the "
        "same store without a limit; polars and pandas read the demo's Parquet files; Spark "
        "reads the events from those Parquet files (`engine.tables`) and the other tables "
        "from the store. load: the machine's 1-minute load average before the question's "
        "first run and after its last (2 cores, other work beside the runs: a load above 2 "
        "slows every way and spreads the runs).",
        "",
        *machine_table(summary["machine"]),
        "",
        "| question | way | runs | median s | rows/s | ratio to best hand-written "
        "| peak RSS (median) | load |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    notes: list[str] = []
    for case in CASES:
        ways = summary["ways"].get(case.name)
        if not ways:
            continue
        ok = {w: r for w, r in ways.items() if r and "failed" not in r[0]}
        hand = [median(ok[w]) for w in HAND_WRITTEN if w in ok]
        best = min(hand) if hand else None
        rows = _rows(case, counts)
        load = summary["loads"].get(case.name)
        load_text = f"{load[0]:.1f} to {load[1]:.1f}" if load else ""
        for way in case.ways:
            runs = ways.get(way)
            if not runs:
                continue
            if "failed" in runs[0]:
                lines.append(
                    f"| {case.title} | {label(case, way)} | 1 | failed | | "
                    f"| {runs[0]['failed']} | {load_text} |"
                )
                continue
            med = median(runs)
            rss = median(runs, "peak_rss_mb")
            ratio = f"{med / best:.2f}x" if best else "n/a"
            lines.append(
                f"| {case.title} | {label(case, way)} | {len(runs)} | {med:.2f} "
                f"| {rows / med:,.0f} | {ratio} | {rss:,.0f} MB | {load_text} |"
            )
        if case.not_hand_written:
            notes.append(f"*{case.title}*: {case.not_hand_written}")
        spark = ok.get("spark")
        if spark and case.spark_note:
            notes.append(f"*{case.title}*: {case.spark_note}")
        if spark and all("timings" in r for r in spark):
            opened = median([r["timings"] for r in spark], "open")
            notes.append(
                f"*{case.title}* on Spark: {opened:.1f}s of the median is opening the "
                "workspace (starting the local Spark session)."
            )
    verified = summary.get("verified", {})
    lines += [
        "",
        "Every way that ran gave the same answer for its question: counts and text exactly, "
        "money to the cent, ratios and scores to a relative 1e-9"
        + (
            f" ({sum(verified.values())} runs' answers kept and checked again)."
            if verified
            else "."
        ),
    ]
    if notes:
        lines += ["", *[f"- {n}" for n in notes]]
    lines += ["", *_goals(summary)]
    return "\n".join(lines) + "\n"


def _goals(summary: dict) -> list[str]:
    """The issue's goals, each stated as met or not with the figure."""
    ways = summary["ways"].get("adoption", {})
    ok = {w: r for w, r in ways.items() if r and "failed" not in r[0]}
    if not all(w in ok for w in ("csmetrics_rebuild", "csmetrics_store", "duckdb_sql")):
        return []
    hand = {w: median(ok[w]) for w in HAND_WRITTEN if w in ok}
    best_way = min(hand, key=hand.__getitem__)
    best = hand[best_way]
    rebuild, store = median(ok["csmetrics_rebuild"]), median(ok["csmetrics_store"])
    raw = hand["duckdb_sql"]
    out = ["Goals (MAU and license utilisation):", ""]

    def goal(met: bool, text: str) -> None:
        out.append(f"- {'met' if met else 'NOT met'}: {text}")

    goal(
        rebuild <= 1.2 * best,
        f"full rebuild within 1.2x of the best hand-written query: {rebuild / best:.1f}x "
        f"({LABELS[best_way]}). The rebuild recomputes both rollups for every month of "
        "history and every event type, which the hand query, reading only the 12 months "
        "and 3 event types asked, does not; the rebuild runs once after an import, and "
        "every later question is answered from the rollups.",
    )
    opened = [r["timings"]["open"] for r in ok["csmetrics_store"] if "timings" in r]
    open_note = ""
    if opened:
        first = statistics.median(opened)
        open_note = (
            f" ({first:.2f}s of the {store:.2f}s is opening the workspace: reading and "
            "validating csmetrics.yaml and opening the store; with the workspace already "
            f"open, as in the web app or a notebook, {raw / (store - first):.1f}x)"
        )
    goal(
        raw / store >= 5,
        f"answering from the rollups at least 5x faster than the hand query over raw "
        f"events: {raw / store:.1f}x{open_note}",
    )
    if "pandas" in hand:
        goal(
            hand["pandas"] / store >= 20,
            f"at least 20x faster than pandas: {hand['pandas'] / store:.1f}x",
        )
    peak = max(
        median(runs, "peak_rss_mb")
        for case_ways in summary["ways"].values()
        for w, runs in case_ways.items()
        if w.startswith("csmetrics") and runs and "failed" not in runs[0]
    )
    goal(peak < 1024, f"peak memory of csmetrics on DuckDB under 1 GiB: at most {peak:,.0f} MB")
    if summary["scale"] < 10:
        out.append(
            "- (at ~10M events the fixed cost of opening the workspace and compiling the "
            "query weighs more; the goals are set for ~100M events)"
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~10M events.")
    parser.add_argument("--events-scale", type=float, help="Events scale (25 gives ~100M).")
    parser.add_argument("--accounts", type=int, default=2000, help="Demo accounts.")
    parser.add_argument("--runs", type=int, default=3, help="Runs per way (median reported).")
    parser.add_argument("--cases", default=",".join(c.name for c in CASES), help="Which cases.")
    parser.add_argument("--ways", help="Only these ways (comma-separated), e.g. spark.")
    parser.add_argument("--no-spark", action="store_true", help="Leave csmetrics on Spark out.")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="Data folder.")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="Results file.")
    parser.add_argument("--memory-limit", default="640MB", help="csmetrics' engine.memory_limit.")
    parser.add_argument(
        "--render", action="store_true", help="Only check the kept answers and rewrite the section."
    )
    args = parser.parse_args(argv)
    scale = args.events_scale or (QUICK_SCALE if args.quick else FULL_SCALE)
    cases = [BY_NAME[n] for n in args.cases.split(",")]
    wanted = set(args.ways.split(",")) if args.ways else set(LABELS) | {"csmetrics_store"}
    if args.no_spark:
        wanted.discard("spark")
    cases = [replace(c, ways=tuple(w for w in c.ways if w in wanted)) for c in cases]

    work = args.data / f"kpis-a{args.accounts}-x{scale:g}"
    kept = work / "summary.json"
    if args.render:
        summary = json.loads(kept.read_text())
        summary["verified"] = verify(work / "answers")
        kept.write_text(json.dumps(summary, indent=1, default=str))
        write_section(args.results, _section(summary))
        print(f"-> {args.results}")
        return
    manifest, source = generate_demo(args.data, scale, args.accounts)
    print(f"preparing {work} ...", flush=True)
    paths = prepare(source, manifest, work, args.memory_limit)
    asked = questions(paths["ws"], manifest)
    common = {
        **{k: v for k, v in asked.items() if k != "rows"},
        **paths,
        "store": str(Path(paths["ws"]) / "csmetrics.duckdb"),
        "source": str(source),
    }
    ways, loads = measure(cases, common, max(1, args.runs), work / "answers")
    summary = json.loads(kept.read_text()) if kept.exists() else {"ways": {}, "loads": {}}
    for name, runs in ways.items():  # a partial run updates its cases and ways only
        summary["ways"].setdefault(name, {}).update(runs)
        summary["loads"][name] = loads.get(name)
    summary.update(
        {
            "when": datetime.now().strftime("%Y-%m-%d"),
            "quick": args.quick,
            "scale": scale,
            "rows": asked["rows"],
            "runs": max(1, args.runs),
            "machine": {**machine(), **versions(("polars", "pandas", "pyspark", "ibis-framework"))},
            "memory_limit": args.memory_limit,
            "verified": verify(work / "answers"),
        }
    )
    kept.write_text(json.dumps(summary, indent=1, default=str))
    write_section(args.results, _section(summary))
    print(f"-> {args.results}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:], _load, _run)
    else:
        main()
