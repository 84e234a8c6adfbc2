"""What every benchmark shares: fresh-process runs, peak memory, the machine, RESULTS.md.

A benchmark script re-runs itself as ``script --child WAY JSON`` for every timed run,
so each way starts in a fresh process with nothing cached; the child loads its
libraries, starts the clock, answers, and prints one JSON line (seconds, peak RSS,
result). Peak RSS counts the child and anything it started (the Spark JVM), so an
engine that works outside the Python process is not flattered.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

END_DATE = date(2026, 1, 1)  # fixed, so generated data is reused across days


# -- the machine ----------------------------------------------------------------------


def machine() -> dict[str, str]:
    """CPU, cores, RAM, OS and the versions that decide the figures."""
    import duckdb
    import pyarrow

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import psutil

        ram = f"{psutil.virtual_memory().total / 2**30:.1f} GiB"
    except ImportError:
        ram = "unknown"
    return {
        "CPU": cpu,
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "DuckDB": duckdb.__version__,
        "PyArrow": pyarrow.__version__,
    }


def versions(modules: tuple[str, ...]) -> dict[str, str]:
    """Versions of the libraries a benchmark compares (those installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as _version

    out = {}
    for name in modules:
        try:
            out[name] = _version(name)
        except PackageNotFoundError:
            continue
    return out


def load_average() -> float:
    return os.getloadavg()[0]


def load_note(load: tuple[float, float] | None) -> str:
    if not load:
        return ""
    return (
        f"; load average {load[0]:.1f} before and {load[1]:.1f} after the runs "
        "(other work on the machine slows the runs and spreads them)"
    )


# -- memory ---------------------------------------------------------------------------


def _hwm_mb(pid: int | str) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def peak_rss_mb() -> float:
    """Peak resident memory of this process plus that of every live descendant.

    VmHWM, unlike ru_maxrss, starts afresh at exec. Descendants (a Spark JVM) are
    added at their own peaks: an upper bound of the joint peak, never an undercount.
    """
    own = _hwm_mb("self") or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        import psutil

        children = psutil.Process().children(recursive=True)
    except ImportError:
        children = []
    return own + sum(_hwm_mb(c.pid) or 0.0 for c in children)


def _tree_rss_mb(pid: int) -> float:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for p in procs:
        try:
            total += p.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total / 2**20


# -- fresh-process runs -----------------------------------------------------------------


def spawn(
    script: Path | str,
    way: str,
    args: dict[str, Any],
    *,
    rss_cap_mb: float | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Run one way in a fresh process; its JSON line, or ``{"failed": why}``.

    ``rss_cap_mb`` stops the run (and its children) once their resident memory adds
    up to more: a way that would exhaust the machine is reported as out of memory
    instead of pushing other work into the kernel's OOM killer.
    """
    proc = subprocess.Popen(
        [sys.executable, str(script), "--child", way, json.dumps(args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    seen = {"peak_mb": 0.0, "capped": False}

    def watch() -> None:
        while proc.poll() is None:
            rss = _tree_rss_mb(proc.pid)
            seen["peak_mb"] = max(seen["peak_mb"], rss)
            if rss_cap_mb is not None and rss > rss_cap_mb:
                seen["capped"] = True
                os.killpg(proc.pid, 9)
                return
            time.sleep(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    began = time.perf_counter()
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, 9)
        proc.communicate()
        return {"failed": f"stopped after {timeout:.0f}s (time limit)"}
    watcher.join(timeout=1)
    wall = time.perf_counter() - began
    if seen["capped"]:
        return {
            "failed": f"out of memory: stopped at {seen['peak_mb'] / 1024:.1f} GiB resident "
            f"(cap {rss_cap_mb / 1024:.0f} GiB) after {wall:.0f}s",
            "out_of_memory": True,
        }
    if proc.returncode != 0:
        if proc.returncode < 0:
            why = f"killed by signal {-proc.returncode} (out of memory?)"
        else:
            tail = (err or "").strip().splitlines()[-3:]
            why = f"exit status {proc.returncode}: {' | '.join(tail)[-600:]}"
        return {"failed": why, "out_of_memory": "MemoryError" in (err or "")}
    return json.loads(out.strip().splitlines()[-1])


def child(
    argv: list[str],
    load: Callable[[str], None],
    run: Callable[[str, dict[str, Any]], Any],
) -> None:
    """The child side of ``spawn``: ``load`` imports the way's libraries (not timed),
    ``run`` answers; prints seconds, peak RSS and the result as one JSON line."""
    way, args = argv[0], json.loads(argv[1])
    load(way)
    began = time.perf_counter()
    result = run(way, args)
    seconds = time.perf_counter() - began
    extra = result.pop("_timings", None) if isinstance(result, dict) else None
    line = {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "result": result}
    if extra:
        line["timings"] = extra
    print(json.dumps(line, default=str), flush=True)


def median(runs: list[dict[str, Any]], key: str = "seconds") -> float:
    return statistics.median(r[key] for r in runs)


# -- answers ----------------------------------------------------------------------------


TOLERANCE = {"money": 0.011}  # absolute, after rounding to cents; anything else: relative


def same(a: Any, b: Any, kind: str | None = None) -> bool:
    """Equal answers: integers and text exactly; floats under a ``money`` key within a
    cent, every other float to a relative 1e-9 (ratios, scores). A dict key names the
    kind of the values below it; lists and dicts compare item by item."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], k if k in KINDS else kind) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(same(x, y, kind) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, int) and isinstance(b, int):
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        diff = abs(float(a) - float(b))
        if kind in TOLERANCE:
            return diff <= TOLERANCE[kind]
        return diff <= 1e-9 * max(abs(float(a)), abs(float(b))) or diff <= 1e-12
    return a == b


KINDS = ("money", "ratio", "score", "count", "text")


def first_difference(a: Any, b: Any, path: str = "") -> str:
    """Where two answers part (for the error message when a way disagrees)."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return f"{path}.{k}: only in one"
            if not same(a[k], b[k], k if k in KINDS else None):
                return first_difference(a[k], b[k], f"{path}.{k}")
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if not same(x, y):
                return first_difference(x, y, f"{path}[{i}]")
    return f"{path}: {a!r} vs {b!r}"


# -- data and workspaces ----------------------------------------------------------------


def generate_demo(data: Path, scale: float, accounts: int = 2000) -> tuple[dict, Path]:
    """The demo company's Parquet files at this events scale (reused when present)."""
    source = data / f"source-a{accounts}-x{scale:g}"
    manifest_path = source / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest["events_scale"] == scale and manifest["accounts"] == accounts:
            return manifest, source
    from csmetrics.demo import generate

    print(f"generating the demo at events scale {scale:g} into {source} ...", flush=True)
    generate(source, accounts=accounts, events_scale=scale, end_date=END_DATE)
    return json.loads(manifest_path.read_text()), source


def set_engine_option(ws_dir: Path, key: str, value: str) -> None:
    """Set ``engine.<key>`` in a workspace's csmetrics.yaml (a top-level engine key)."""
    config = ws_dir / "csmetrics.yaml"
    lines = config.read_text("utf-8").splitlines()
    start = lines.index("engine:")
    end = next(
        (i for i in range(start + 1, len(lines)) if lines[i] and not lines[i][0].isspace()),
        len(lines),
    )
    for i in range(start + 1, end):
        if lines[i].startswith(f"  {key}:"):
            lines[i] = f"  {key}: {value}"
            break
    else:
        lines.insert(start + 1, f"  {key}: {value}")
    config.write_text("\n".join(lines) + "\n", "utf-8")


def months_before(end: date, n: int = 12) -> list[date]:
    """The first days of the ``n`` months before ``end``, oldest first."""
    out, y, m = [], end.year, end.month
    for _ in range(n):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append(date(y, m, 1))
    return sorted(out)


def next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


# -- RESULTS.md -------------------------------------------------------------------------


def write_section(path: Path, section: str) -> None:
    """Replace (or append) the ``## `` section whose heading is ``section``'s first line,
    leaving every other section alone."""
    heading = section.splitlines()[0]
    text = path.read_text("utf-8") if path.exists() else "# Benchmarks\n"
    start = text.find(heading + "\n")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        nxt = text.find("\n## ", start + len(heading))
        rest = text[nxt + 1 :] if nxt >= 0 else ""
        text = text[:start] + section + ("\n" + rest if rest else "")
    path.write_text(text, "utf-8")


def machine_table(info: dict[str, str]) -> list[str]:
    return ["| machine | |", "|---|---|", *[f"| {k} | {v} |" for k, v in info.items()]]
