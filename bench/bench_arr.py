"""ARR movements for 1M accounts: csmetrics against hand-written DuckDB SQL, polars, pandas.

A subscription book of 1M accounts and about 7M contract rows (``arr_data``) is
imported into a workspace; the ARR bridge (start, new, expansion, contraction,
churn, reactivation, fx, end) for each month of 2025 is then computed by csmetrics
and by hand, each way in a fresh process, and every way must give the same bridge
to the cent. Both DuckDB ways run with the same ``memory_limit``. Results go to the
"ARR movements for 1M accounts" section of bench/RESULTS.md.

    python bench/bench_arr.py                 # 1M accounts
    python bench/bench_arr.py --accounts 100000
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import arr_data  # noqa: E402
import hand_revenue  # noqa: E402
from harness import (  # noqa: E402
    child,
    first_difference,
    load_average,
    load_note,
    machine,
    machine_table,
    median,
    next_month,
    same,
    set_engine_option,
    spawn,
    versions,
    write_section,
)

SECTION = "## ARR movements for {accounts} accounts"
WAYS = ("csmetrics", "duckdb_sql", "polars", "pandas")
LABELS = {
    "csmetrics": "csmetrics on DuckDB",
    "duckdb_sql": "DuckDB SQL, hand-written",
    "polars": "polars lazy, hand-written",
    "pandas": "pandas, hand-written",
}
MONTHS = [date(2025, m, 1) for m in range(1, 13)]
SLOW_SECONDS = 90.0
RSS_CAP_MB = 16 * 1024


def _spans() -> list[tuple[date, date]]:
    return [(m, next_month(m)) for m in MONTHS]


def _paired(args: dict) -> dict:
    """csmetrics' bridge and the hand query taking turns on one connection, so both
    meet the same machine load: the cost of the queries alone, without process noise."""
    import time

    import csmetrics
    from csmetrics.kpis import bridge
    from csmetrics.periods import month

    spans = _spans()
    times: dict[str, list[float]] = {"csmetrics": [], "duckdb_sql": []}
    with csmetrics.open(args["ws"]) as ws:
        for _ in range(args["pairs"]):
            began = time.perf_counter()
            bridge(ws.engine, ws.config, [month(m.year, m.month) for m in MONTHS])
            times["csmetrics"].append(time.perf_counter() - began)
            began = time.perf_counter()
            ws.engine.duckdb.execute(hand_revenue.bridge_sql(spans)).fetchall()
            times["duckdb_sql"].append(time.perf_counter() - began)
    return {"answer": times}


def _run(way: str, args: dict) -> Any:
    if way == "paired":
        return _paired(args)
    spans = _spans()
    labels = [str(a) for a, _ in spans]
    if way == "csmetrics":
        import csmetrics
        from csmetrics.kpis import bridge
        from csmetrics.periods import month

        with csmetrics.open(args["ws"]) as ws:
            frame = bridge(ws.engine, ws.config, [month(m.year, m.month) for m in MONTHS])
        rows = frame[list(hand_revenue.LINES)].to_numpy().tolist()
        return {"answer": hand_revenue.bridge_answer(labels, rows)}
    if way == "duckdb_sql":
        import duckdb

        con = duckdb.connect(args["store"], read_only=True, config=args["duckdb_config"])
        try:
            rows = hand_revenue.run_sql(con, hand_revenue.bridge_sql(spans))
        finally:
            con.close()
        return {"answer": hand_revenue.bridge_answer(labels, rows)}
    contracts = Path(args["source"]) / "contracts"
    fx_rates = Path(args["source"]) / "fx_rates.parquet"
    fn = hand_revenue.bridge_polars if way == "polars" else hand_revenue.bridge_pandas
    return {"answer": hand_revenue.bridge_answer(labels, fn(contracts, fx_rates, spans))}


def _load(way: str) -> None:
    if way in ("csmetrics", "paired"):
        import csmetrics.kpis  # noqa: F401
    elif way == "duckdb_sql":
        import duckdb  # noqa: F401
    elif way == "polars":
        import polars  # noqa: F401
    else:
        import pandas  # noqa: F401


def prepare(source: Path, manifest: dict, work: Path, memory_limit: str) -> Path:
    """The book imported into a workspace with the default config (once)."""
    import csmetrics

    ws_dir = work / "ws"
    marker = work / "ready.json"
    if not marker.exists():
        shutil.rmtree(work, ignore_errors=True)
        csmetrics.init(ws_dir, force=True).close()
        set_engine_option(ws_dir, "memory_limit", "4GB")  # set-up is not measured
        with csmetrics.open(ws_dir) as ws:
            for table in ("csms", "accounts", "fx_rates", "contracts"):
                report = ws.import_files(table, [source / f for f in manifest["files"][table]])
                if not report.ok:
                    raise SystemExit(f"{table}: rows rejected on import")
        marker.write_text(json.dumps({"contracts": manifest["contracts"]}))
    set_engine_option(ws_dir, "memory_limit", memory_limit)
    return ws_dir


def _section(summary: dict) -> str:
    ways = summary["ways"]
    ok = {w: r for w, r in ways.items() if r and "failed" not in r[0]}
    best = median(ok["duckdb_sql"])
    contracts = summary["contracts"]
    accounts = summary["accounts"]
    size = "1M" if accounts == 1_000_000 else f"{accounts:,}"
    lines = [
        SECTION.format(accounts=size),
        "",
        f"Measured {summary['when']} by `bench/bench_arr.py`: the ARR bridge (start, new, "
        "expansion, contraction, churn, reactivation, fx, end) for each month of 2025, "
        f"company-wide, over {summary['accounts']:,} accounts and {contracts:,} contract "
        "rows (monthly, annual and multi-year terms, renewals with price changes, churn, "
        "second products, returns; 15% in EUR or GBP), generated by `bench/arr_data.py`. "
        "Each way runs in a fresh process (time excludes interpreter start-up and imports); "
        f"median of {summary['runs']} runs, except that a pandas run longer than "
        f"{SLOW_SECONDS:.0f}s runs once. csmetrics and the hand-written DuckDB SQL read the "
        f"same store with the same `memory_limit: {summary['memory_limit']}`; polars and "
        f"pandas read the generated Parquet files{load_note(summary['load'])}.",
        "",
        *machine_table(summary["machine"]),
        "",
        "| way | runs | median s | contract rows/s | ratio to DuckDB SQL | peak RSS (median) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for way in WAYS:
        runs = ways.get(way)
        if not runs:
            continue
        if "failed" in runs[0]:
            lines.append(f"| {LABELS[way]} | 1 | failed | | | {runs[0]['failed']} |")
            continue
        med, rss = median(runs), median(runs, "peak_rss_mb")
        lines.append(
            f"| {LABELS[way]} | {len(runs)} | {med:.2f} | {contracts / med:,.0f} "
            f"| {med / best:.2f}x | {rss:,.0f} MB |"
        )
    ratio = median(ok["csmetrics"]) / best
    paired = summary["paired"]
    cs, hand = (statistics.median(paired[w]) for w in ("csmetrics", "duckdb_sql"))
    met = "met" if ratio <= 1.2 else "NOT met"
    lines += [
        "",
        "Every way that ran gave the same bridge, line by line, to the cent.",
        "",
        f"Goal, csmetrics within 1.2x of hand-written DuckDB SQL: {met} ({ratio:.2f}x over "
        "fresh processes).",
        "",
        f"The same two queries taking turns in one process on one connection "
        f"({len(paired['csmetrics'])} turns each, so both meet the same load): csmetrics "
        f"{cs:.2f}s ({', '.join(f'{v:.1f}' for v in paired['csmetrics'])}), hand-written "
        f"{hand:.2f}s ({', '.join(f'{v:.1f}' for v in paired['duckdb_sql'])}): "
        f"{cs / hand:.2f}x. csmetrics' time includes its checks (every table present, an "
        "exchange rate for every currency) and compiling the expression.",
    ]
    pandas = ways.get("pandas")
    if pandas and "failed" in pandas[0]:
        lines += ["", f"pandas did not finish: {pandas[0]['failed']}."]
    elif pandas:
        lines.append("")
        lines.append(
            f"pandas finished (one month at a time over the contracts in memory, "
            f"{median(pandas, 'peak_rss_mb'):,.0f} MB at peak): it did not run out of memory "
            "at this size."
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1_000_000, help="Accounts in the book.")
    parser.add_argument("--runs", type=int, default=3, help="Runs per way (median reported).")
    parser.add_argument("--data", type=Path, default=HERE / "data", help="Data folder.")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="Results file.")
    parser.add_argument("--memory-limit", default="640MB", help="DuckDB memory_limit (both ways).")
    parser.add_argument("--pairs", type=int, default=3, help="Turns of the paired comparison.")
    parser.add_argument("--render", action="store_true", help="Only rewrite the section.")
    args = parser.parse_args(argv)

    work = args.data / f"arr-a{args.accounts}"
    if args.render:
        summary = json.loads((work / "summary.json").read_text())
        write_section(args.results, _section(summary))
        print(f"-> {args.results}")
        return
    source = args.data / f"arr-source-a{args.accounts}"
    print(f"generating {source} (reused when present) ...", flush=True)
    manifest = arr_data.generate(source, args.accounts)
    print(f"{manifest['contracts']:,} contract rows; importing ...", flush=True)
    ws_dir = prepare(source, manifest, work, args.memory_limit)
    common = {
        "ws": str(ws_dir),
        "store": str(ws_dir / "csmetrics.duckdb"),
        "source": str(source),
        "duckdb_config": {"memory_limit": args.memory_limit},
    }
    load_before = load_average()
    ways: dict[str, list[dict]] = {w: [] for w in WAYS}
    reference: tuple[str, Any] | None = None
    for i in range(max(1, args.runs)):
        for way in WAYS:
            done = ways[way]
            if done and ("failed" in done[0] or (i and done[0]["seconds"] > SLOW_SECONDS)):
                continue
            r = spawn(__file__, way, common, rss_cap_mb=RSS_CAP_MB)
            if "failed" in r:
                print(f"  {way}: FAILED {r['failed']}", flush=True)
                done.append(r)
                continue
            answer = r.pop("result")["answer"]
            if reference is None:
                reference = (way, answer)
            elif not same(answer, reference[1]):
                where = first_difference(answer, reference[1])
                raise SystemExit(f"{way} disagrees with {reference[0]}: {where}")
            done.append(r)
            print(f"run {i + 1}: {LABELS[way]}: {r['seconds']:.2f}s, {r['peak_rss_mb']:,.0f} MB")
    paired = spawn(__file__, "paired", {**common, "pairs": args.pairs})
    if "failed" in paired:
        raise SystemExit(f"paired run failed: {paired['failed']}")
    print(f"paired: {paired['result']['answer']}")
    summary = {
        "when": datetime.now().strftime("%Y-%m-%d"),
        "paired": paired["result"]["answer"],
        "accounts": manifest["accounts"],
        "contracts": manifest["contracts"],
        "runs": max(1, args.runs),
        "machine": {**machine(), **versions(("polars", "pandas"))},
        "ways": ways,
        "memory_limit": args.memory_limit,
        "load": (load_before, load_average()),
    }
    (work / "summary.json").write_text(json.dumps(summary, indent=1, default=str))
    write_section(args.results, _section(summary))
    print(f"-> {args.results}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:], _load, _run)
    else:
        main()
