"""Import throughput and memory: load the demo company's events (about 100M rows).

Generates the demo (2,000 accounts, 36 months) at an events scale giving ~100M events
into bench/data/ (reused when the parameters match), then imports the events into a
fresh workspace in a fresh process several times and reports the median wall time,
rows per second and peak resident memory of the importing process. Results go to the
"Import throughput" section of bench/RESULTS.md.

    python bench/bench_import.py            # ~100M events (long)
    python bench/bench_import.py --quick    # ~5M events, a smoke test
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from harness import load_note as _load_note  # noqa: E402
from harness import machine as _machine  # noqa: E402

SECTION = "## Import throughput"
FULL_SCALE = 25.0  # ~100M events at 2,000 accounts and 36 months
QUICK_SCALE = 1.2  # ~5M events
END_DATE = date(2026, 1, 1)  # fixed, so the same data is reused across days

_CHILD = """
import json, resource, sys, time
from pathlib import Path
import csmetrics
root, files = Path(sys.argv[1]), json.loads(sys.argv[2])
ws = csmetrics.init(root, force=True)
for table in ("csms", "accounts"):  # events reference accounts
    report = ws.import_files(table, [files[table]])
    assert report.ok, report.rejections[:3]
began = time.perf_counter()
report = ws.import_files("events", files["events"])
seconds = time.perf_counter() - began
ws.close()
print(json.dumps({
    "seconds": seconds,
    "rows": report.rows_loaded,
    "rejected": report.rows_rejected,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def _generate(data: Path, scale: float, accounts: int, regenerate: bool) -> dict:
    """Generate the demo unless bench/data already holds it for these parameters."""
    from csmetrics.demo import generate

    source = data / f"source-a{accounts}-x{scale:g}"
    manifest_path = source / "manifest.json"
    if manifest_path.exists() and not regenerate:
        manifest = json.loads(manifest_path.read_text())
        print(f"reusing {source} ({manifest['rows']['events']:,} events)")
        return {"manifest": manifest, "source": source, "seconds": None}
    print(f"generating the demo at events scale {scale:g} into {source} ...", flush=True)
    began = time.perf_counter()
    last = [0.0]

    def progress(stage: str, fraction: float) -> None:
        if fraction - last[0] >= 0.1 or fraction >= 1.0:
            last[0] = fraction
            print(f"  {fraction:5.0%} {stage}", flush=True)

    m = generate(
        source, accounts=accounts, events_scale=scale, end_date=END_DATE, progress=progress
    )
    seconds = time.perf_counter() - began
    print(f"generated {m.rows['events']:,} events in {seconds:.0f}s")
    return {"manifest": json.loads(manifest_path.read_text()), "source": source, "seconds": seconds}


def _run_once(source: Path, manifest: dict, work: Path) -> dict:
    files = {
        "csms": str(source / manifest["files"]["csms"][0]),
        "accounts": str(source / manifest["files"]["accounts"][0]),
        "events": [str(source / f) for f in manifest["files"]["events"]],
    }
    shutil.rmtree(work, ignore_errors=True)
    try:
        done = subprocess.run(
            [sys.executable, "-c", _CHILD, str(work), json.dumps(files)],
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if done.returncode != 0:
        why = (
            f"killed by signal {-done.returncode} (out of memory?)"
            if done.returncode < 0
            else f"exit status {done.returncode}: {done.stderr.strip()[-2000:]}"
        )
        return {"failed": why}
    return json.loads(done.stdout.strip().splitlines()[-1])


_INTRO = (
    "The demo company's `events` imported into a fresh workspace, in a fresh process each "
    "run (csms and accounts loaded first, not timed), by `bench/bench_import.py` "
    "(`make bench`). Peak RSS is the importing process's maximum resident memory. One "
    "subsection per events scale; a new run replaces the subsection of its scale."
)


def _subsection(results: dict) -> str:
    machine = ", ".join(f"{k} {v}" for k, v in results["machine"].items())
    lines = [
        f"### events scale {results['scale']:g}",
        "",
        f"Measured {results['when']} on: {machine}{_load_note(results.get('load'))}.",
        "",
        "| events | files | parquet size | runs | median seconds | rows/s | peak RSS (median) |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {results['rows']:,} | {results['files']} | {results['size_mb']:,.0f} MB "
        f"| {len(results['runs'])} | {results['median_seconds']:.1f} "
        f"| {results['rows_per_second']:,.0f} | {results['median_rss_mb']:,.0f} MB |",
        "",
        "Runs (seconds): " + ", ".join(f"{r['seconds']:.1f}" for r in results["runs"]) + ".",
    ]
    if results["failures"]:
        lines += ["", "Failed runs: " + "; ".join(results["failures"]) + "."]
    if results["generation_seconds"] is not None:
        lines += [
            "",
            f"Generating the data (demo, 2,000 accounts, 36 months) took "
            f"{results['generation_seconds']:.0f}s.",
        ]
    return "\n".join(lines) + "\n"


def _replace_block(text: str, header: str, block: str, stops: tuple[str, ...]) -> str | None:
    """``text`` with the block starting at line ``header`` replaced (None if absent)."""
    start = text.find("\n" + header + "\n")
    if start < 0:
        return None
    start += 1
    ends = [i for i in (text.find("\n" + s, start + len(header)) for s in stops) if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    return text[:start] + block + ("\n" if end < len(text) else "") + text[end:]


def _write_results(path: Path, subsection: str) -> None:
    """Replace (or add) this scale's subsection of "Import throughput", leaving other
    sections and other scales alone."""
    text = path.read_text("utf-8") if path.exists() else "# Benchmarks\n"
    if "\n" + SECTION + "\n" not in "\n" + text:
        text = text.rstrip("\n") + f"\n\n{SECTION}\n\n{_INTRO}\n"
    header = subsection.split("\n", 1)[0]
    replaced = _replace_block("\n" + text, header, subsection, ("### ", "## "))
    if replaced is not None:
        text = replaced[1:]
    else:  # append at the end of the section
        start = text.find(SECTION)
        nxt = text.find("\n## ", start + len(SECTION))
        cut = len(text) if nxt < 0 else nxt + 1
        head = text[:cut].rstrip("\n") + "\n\n" + subsection
        text = head + ("\n" + text[cut:] if nxt >= 0 else "")
    path.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="~5M events, more runs.")
    parser.add_argument("--events-scale", type=float, help="Events scale (25 gives ~100M).")
    parser.add_argument("--accounts", type=int, default=2000, help="Demo accounts.")
    parser.add_argument("--runs", type=int, help="Import runs (median reported; at least 3).")
    parser.add_argument(
        "--regenerate", action="store_true", help="Generate again even if the data exists."
    )
    parser.add_argument("--data", type=Path, default=HERE / "data", help="Data folder.")
    parser.add_argument("--results", type=Path, default=HERE / "RESULTS.md", help="Results file.")
    args = parser.parse_args(argv)
    scale = args.events_scale or (QUICK_SCALE if args.quick else FULL_SCALE)
    runs = max(3, args.runs or (5 if scale <= 2 else 3))

    gen = _generate(args.data, scale, args.accounts, args.regenerate)
    manifest, source = gen["manifest"], gen["source"]
    event_files = [source / f for f in manifest["files"]["events"]]
    load_before = os.getloadavg()[0]
    results: list[dict] = []
    failures: list[str] = []
    for i in range(runs):
        r = _run_once(source, manifest, args.data / "workspace")
        if "failed" in r:
            print(f"run {i + 1}/{runs}: failed, {r['failed']}", flush=True)
            failures.append(r["failed"])
            continue
        if r["rejected"]:
            raise SystemExit(f"run {i + 1}: {r['rejected']} events rejected")
        results.append(r)
        print(
            f"run {i + 1}/{runs}: {r['rows']:,} rows in {r['seconds']:.1f}s "
            f"({r['rows'] / r['seconds']:,.0f} rows/s), peak RSS {r['peak_rss_mb']:,.0f} MB",
            flush=True,
        )
    if not results:
        raise SystemExit("every import run failed: " + "; ".join(failures))
    median = statistics.median(r["seconds"] for r in results)
    summary = {
        "when": datetime.now().strftime("%Y-%m-%d"),
        "quick": args.quick,
        "scale": scale,
        "machine": _machine(),
        "rows": results[0]["rows"],
        "files": len(event_files),
        "size_mb": sum(p.stat().st_size for p in event_files) / 2**20,
        "runs": results,
        "median_seconds": median,
        "rows_per_second": results[0]["rows"] / median,
        "median_rss_mb": statistics.median(r["peak_rss_mb"] for r in results),
        "generation_seconds": gen["seconds"],
        "failures": failures,
        "load": (load_before, os.getloadavg()[0]),
    }
    _write_results(args.results, _subsection(summary))
    print(
        f"median {median:.1f}s, {summary['rows_per_second']:,.0f} rows/s, "
        f"peak RSS {summary['median_rss_mb']:,.0f} MB -> {args.results}"
    )


if __name__ == "__main__":
    main()
