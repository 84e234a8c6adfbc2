"""``kill -9`` of the real ``csmetrics import`` at random moments: the store is always exactly
before or exactly after the batch, and a re-run completes with the after-state.

Each run copies a pristine workspace, starts the CLI on a contracts batch (new rows,
changed rows and rejected rows, so every table the batch writes changes), waits until
the process has opened the store (or, for one run in five, not even that long), then
sleeps a random part of the measured import time and sends SIGKILL. The store is then
compared with the two reference states, and the batch is imported again.

One run in ten executes the ``csmetrics`` console script; the others are children
forked by ``cli_forker`` (the same entry point, already imported), so a run costs
the import's own time rather than Python's start-up and the budget buys more kills.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

import csmetrics

from .budgets import SOAK, Tally, budget
from .store import Fingerprint, fingerprint_at

DATA = Path(__file__).parent.parent / "data" / "ingest"
HEADER = "contract_id,account_id,product,start_date,end_date,arr,currency,licenses,billing_term\n"
BASE_ROWS = 10_000
BATCH_ROWS = 40_000 if SOAK else 12_000
pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")


def cli() -> list[str]:
    """The installed console script when there is one, else the same entry point."""
    script = Path(sys.executable).with_name("csmetrics")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from csmetrics.cli.app import run; run()"]


def write_contracts(path: Path, first: int, count: int, arr: int, bad_every: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(first, first + count):
            account = "A9" if bad_every and i % bad_every == 0 else ("A1", "A2")[i % 2]
            out.write(f"K{i},{account},router {i % 7},2025-01-01,,{arr + i % 100},USD,10,annual\n")


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A closed workspace with csms, accounts and a first contracts batch; the next batch."""
    folder = tmp_path_factory.mktemp("kill")
    root = folder / "ws"
    base, batch = folder / "base.csv", folder / "batch.csv"
    write_contracts(base, 0, BASE_ROWS, 1000, 0)
    # half the batch changes rows already stored, half is new; one row in 50 is an orphan
    write_contracts(batch, BASE_ROWS // 2, BATCH_ROWS, 2000, 50)
    with csmetrics.init(root) as ws:
        for table in ("csms", "accounts"):
            assert ws.import_files(table, [DATA / f"{table}.csv"]).ok
        assert ws.import_files("contracts", [base]).ok
    return root, batch


def import_args(root: Path, batch: Path) -> list[str]:
    return ["import", "--workspace", str(root), "contracts", str(batch)]


class Forker:
    """``cli_forker`` running: one forked CLI child at a time."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "reliability.cli_forker"],
            cwd=Path(__file__).parent.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.pid = 0

    def start(self, args: list[str]) -> int:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(args) + "\n")
        self.process.stdin.flush()
        self.pid = int(json.loads(self.process.stdout.readline())["pid"])
        return self.pid

    def alive(self) -> bool:
        state = Path(f"/proc/{self.pid}/stat")
        try:
            return state.read_text().split(") ")[1][0] != "Z"
        except (OSError, IndexError):
            return False

    def wait(self) -> int:
        assert self.process.stdout is not None
        return int(json.loads(self.process.stdout.readline())["code"])

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(timeout=60)


class Script:
    """The console script, exec'd like a user would run it."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, args: list[str]) -> int:
        self.process = subprocess.Popen(
            [*cli(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        return self.process.pid

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self) -> int:
        assert self.process is not None
        return self.process.wait(timeout=300)


def wait_until_open(runner: Forker | Script, path: Path, limit: float = 60) -> float:
    """Seconds until the running CLI holds ``path`` open: the store, once the CLI has
    started and opened the workspace, which it keeps open until the import is done."""
    started = time.monotonic()
    target = str(path.resolve())
    folder = Path(f"/proc/{runner.pid if isinstance(runner, Forker) else runner.process.pid}/fd")  # type: ignore[union-attr]
    while time.monotonic() - started < limit and runner.alive():
        try:
            for fd in folder.iterdir():
                try:
                    if os.readlink(fd) == target:
                        return time.monotonic() - started
                except OSError:
                    continue
        except OSError:
            pass
        time.sleep(0.002)
    return time.monotonic() - started


@pytest.fixture(scope="module")
def forker() -> Iterator[Forker]:
    runner = Forker()
    yield runner
    runner.close()


@pytest.fixture(scope="module")
def reference(
    pristine: tuple[Path, Path], forker: Forker, tmp_path_factory: pytest.TempPathFactory
) -> dict:
    """The before and after states, and how long the import works once it has begun."""
    root, batch = pristine
    done = tmp_path_factory.mktemp("reference") / "ws"
    shutil.copytree(root, done)
    forker.start(import_args(done, batch))
    opened = wait_until_open(forker, done / "csmetrics.duckdb")
    started = time.monotonic()
    assert forker.wait() == 1  # the orphan rows are rejected, the rest loaded
    return {
        "before": fingerprint_at(root),
        "after": fingerprint_at(done),
        "startup": opened,
        "work": time.monotonic() - started,
    }


def landed(state: Fingerprint, reference: dict) -> str:
    if state == reference["before"]:
        return "before"
    if state == reference["after"]:
        return "after"
    changed = sorted(k for k in state if state[k] != reference["before"].get(k))
    pytest.fail(f"the store is between before and after the batch: {changed} changed")


def test_kill_9_leaves_the_store_before_or_after_and_a_rerun_completes(
    pristine: tuple[Path, Path], forker: Forker, reference: dict, tally: Tally, tmp_path: Path
) -> None:
    root, batch = pristine
    before, after = reference["before"], reference["after"]
    assert before != after and before["contracts"][0] == BASE_ROWS
    chance = random.Random(os.environ.get("CSMETRICS_KILL_SEED"))
    window = reference["work"]  # shrinks to the quickest import seen, so kills land inside
    for run in range(budget(20)):
        target = tmp_path / f"run{run}"
        shutil.copytree(root, target)
        runner: Forker | Script = Script() if run % 10 == 7 else forker
        pid = runner.start(import_args(target, batch))
        if run % 5 == 4:  # now and then during start-up, before the store is even opened
            time.sleep(chance.uniform(0, 0.3))
        else:
            wait_until_open(runner, target / "csmetrics.duckdb")
        opened = time.monotonic()
        if run % 5 != 4:
            time.sleep(chance.uniform(0, window))
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        killed = runner.wait() == -signal.SIGKILL
        if not killed and runner is forker:
            window = min(window, time.monotonic() - opened)
        state = landed(fingerprint_at(target), reference)
        tally.add("kill: runs" if runner is forker else "kill: runs of the console script")
        tally.add(f"kill: killed, store {state}" if killed else f"kill: finished first ({state})")

        with csmetrics.open(target) as ws:  # the re-run
            ws.import_files("contracts", [batch])
        rerun = fingerprint_at(target)
        assert {k: v for k, v in rerun.items() if k != "_imports"} == {
            k: v for k, v in after.items() if k != "_imports"
        }
        extra = 1 if state == "after" else 0
        assert rerun["_imports"][0] == after["_imports"][0] + extra
        shutil.rmtree(target)
