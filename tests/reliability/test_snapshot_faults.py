"""The web app's KPI snapshot under faults: a computation that dies leaves the previous
snapshot whole and in place; a new one replaces it only once it is complete.

The app (``WebData``) keeps one snapshot per data version. After a batch lands through
the app, the next request recomputes; here that computation is killed at random
moments (the engine's query interrupted from another thread, as a shutdown or a
timeout would) many times over. After each failure the cache must still hold the
previous snapshot object, equal to a copy taken before; after the one that
completes, the new snapshot must equal a fresh computation over the new data.
"""

from __future__ import annotations

import contextlib
import copy
import random
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import csmetrics
from canonical_rows import account, contract, load
from csmetrics.web import snapshots
from csmetrics.web.data import WebData

from .budgets import Tally, budget


def _csm(csm_id: str, team: str, manager: str | None, role: str) -> dict:
    return {
        "csm_id": csm_id,
        "name": f"Person {csm_id}",
        "email": f"{csm_id.lower()}@example.com",
        "team": team,
        "manager_id": manager,
        "role": role,
        "start_date": "2023-01-01",
    }


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A small company: one team, 60 accounts, a year of contracts and some renewals."""
    root = tmp_path / "ws"
    with csmetrics.init(root) as ws:
        load(
            ws,
            "csms",
            [
                _csm("M1", "East", None, "manager"),
                _csm("C1", "East", "M1", "csm"),
                _csm("C2", "East", "M1", "csm"),
            ],
        )
        load(ws, "accounts", [account(f"A{i}", ("C1", "C2")[i % 2]) for i in range(60)])
        load(
            ws,
            "contracts",
            [
                contract(
                    f"K{i}", f"A{i}", "2025-01-01", "2026-01-01" if i % 5 else None, 1000.0 + i
                )
                for i in range(60)
            ]
            + [contract(f"R{i}", f"A{i}", "2026-01-01", None, 1500.0) for i in range(0, 60, 5)],
        )
    return root


@pytest.fixture
def data(root: Path) -> Iterator[WebData]:
    web = WebData(root)
    yield web
    web.close()


def new_batch(web: WebData, prefix: str) -> None:
    """A batch through the app's own write path: ten accounts expand."""
    report = web.ws.load(
        "contracts",
        [contract(f"{prefix}{i}", f"A{i}", "2025-03-01", None, 5000.0) for i in range(10, 20)],
    )
    assert report.ok
    web.changed()


class Killer:
    """From a random moment on, interrupt whatever query the store runs, until stopped:
    the computation dies at its next query, as it would on shutdown or a timeout."""

    def __init__(self, con: duckdb.DuckDBPyConnection, delay: float) -> None:
        self.con = con
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(delay,))
        self.thread.start()

    def _run(self, delay: float) -> None:
        if not self.done.wait(delay):
            while not self.done.is_set():
                self.con.interrupt()
                self.done.wait(0.005)

    def stop(self) -> None:
        self.done.set()
        self.thread.join()
        with contextlib.suppress(duckdb.InterruptException):  # a late kill must not
            self.con.execute("SELECT 1").fetchall()  # hit the next query


def _canon(frame: pd.DataFrame) -> pd.DataFrame:
    """A snapshot frame in a fixed row order (the engine returns rows in any order)."""
    out = frame.astype({c: "string" for c in frame.columns if frame[c].dtype == "category"})
    return out.sort_values(list(out.columns)).reset_index(drop=True)


def _facts(snap: snapshots.Snapshot) -> dict[str, pd.DataFrame]:
    return {name: _canon(frame) for name, frame in snap.facts.items()}


def _same(a: snapshots.Snapshot, facts: dict[str, pd.DataFrame]) -> bool:
    if a.facts.keys() != facts.keys():
        return False
    return all(_canon(a.facts[k]).equals(facts[k]) for k in facts)


def test_an_interrupted_snapshot_keeps_the_previous_one_whole(
    data: WebData, tally: Tally, tmp_path: Path
) -> None:
    clock = time.monotonic()
    first = data.snapshot()
    took = time.monotonic() - clock
    kept = _facts(first)
    periods = copy.deepcopy(first.periods)
    assert first.has("arr") and len(first.facts["arr"]) > 0

    new_batch(data, "X")

    chance = random.Random(7)
    con = data.ws.engine.duckdb
    failures = 0
    for _ in range(budget(10)):
        killer = Killer(con, chance.uniform(0.05, 0.8) * took)
        try:
            data.snapshot()
        except Exception:  # a killed computation may surface as any error
            failures += 1
            tally.add("snapshot: computations killed")
            cached = data._cache["snapshot"][1]  # what the next request would find
            assert cached is first, "a failed computation replaced the snapshot"
            assert _same(first, kept) and first.periods == periods, "the old snapshot changed"
            continue
        finally:
            killer.stop()
        break  # this one finished before its kill: it is the new snapshot
    fresh = data.snapshot()
    tally.add("snapshot: computations completed after kills")

    assert fresh is not first and data._cache["snapshot"][1] is fresh
    expected = snapshots.build(data.ws, list(fresh.periods), fresh.as_of)
    assert _same(fresh, _facts(expected)), "the new snapshot is not complete"
    assert not _same(fresh, kept), "the new batch does not show"
    assert _same(first, kept), "the previous snapshot changed after the swap"
    assert failures > 0, "no computation was ever interrupted"


def test_the_app_serves_the_previous_snapshot_until_a_new_one_is_complete(
    root: Path, tally: Tally, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The serving app (``serve_stale``): requests get the previous snapshot at once while
    the refresher recomputes in the background; a refresh whose computation dies (at its
    start, midway, or with the result built but not handed over) leaves the previous one
    served and whole; only a complete one replaces it, and an older one never comes back.

    The refresher may run on its own connection, out of reach of an interrupt from here,
    so the kill is injected into the computation itself."""
    web = WebData(root, serve_stale=True)
    real_build = snapshots.build
    chance = random.Random(11)
    kill_at: list[str] = []
    kills: list[str] = []

    def dying_build(*args: object, **kwargs: object) -> snapshots.Snapshot:
        moment = kill_at.pop() if kill_at else None
        if moment is not None:
            kills.append(moment)
        if moment == "start":
            raise RuntimeError("killed before computing")
        if moment == "midway":
            real_build(*args, **kwargs)  # the work is done twice: the kill lands in between
            raise RuntimeError("killed midway")
        built = real_build(*args, **kwargs)
        if moment == "end":
            raise RuntimeError("killed with the snapshot built")
        return built

    monkeypatch.setattr(snapshots, "build", dying_build)
    try:
        first = web.snapshot()
        kept = _facts(first)
        new_batch(web, "Y")
        web.versions()
        seen = [first]  # the distinct snapshots served, in order
        after_kill = 0  # requests answered with the previous snapshot after a kill

        def serve() -> snapshots.Snapshot:
            nonlocal after_kill
            killed = len(kills)
            served = web.snapshot()
            if served is not seen[-1]:
                assert all(served is not old for old in seen), "an older snapshot came back"
                seen.append(served)
            if served is first and killed:
                after_kill += 1
            tally.add("snapshot: requests answered")
            return served

        rounds = budget(6)
        for _ in range(rounds):
            # the refresh's first computation dies; the refresher may retry what requests
            # asked for meanwhile, and a retry that completes may be swapped in
            kill_at[:] = [chance.choice(["start", "midway", "end"])]
            web.refresh(force=True)
            while web.refreshing:
                serve()
                time.sleep(0.002)
            serve()
            assert _same(first, kept), "the previous snapshot changed"
        tally.add("snapshot: refresh computations killed", len(kills))
        assert len(kills) == rounds and after_kill > 0
        kill_at.clear()
        web._failed.clear()  # a failed key waits for the next data version; this is one
        web.refresh(force=True)
        while web.refreshing:
            serve()
            time.sleep(0.002)
        latest = serve()
        tally.add("snapshot: refreshes completed")
        assert latest is not first, "the new data never showed"
        expected = _facts(real_build(web.ws, list(latest.periods), latest.as_of))
        for swapped in seen[1:]:
            assert _same(swapped, expected), "a snapshot was swapped in incomplete"
        assert _same(first, kept), "the previous snapshot changed while it was served"
    finally:
        web.close()
