"""The daily user rollup: an incremental refresh equals a full rebuild, and survives a crash."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from activity_data import event, load

from csmetrics.engine import rollups as engine_rollups
from csmetrics.kpis.rollups import USER_DAY, USER_DAY_ROLLUP, USER_MONTH

TYPES = ("sign_in", "meeting_booked", "page_view", "report_viewed")


def day_of_events(day: datetime, rng: random.Random, n: int = 60) -> list[dict]:
    rows = {}
    for _ in range(n):
        at = day + timedelta(milliseconds=rng.randrange(86_400_000))
        row = event(rng.choice(["A1", "A2"]), f"u{rng.randrange(8)}", at.isoformat(" "))
        row["event_type"] = rng.choice(TYPES)
        rows[tuple(row.values())] = row
    return list(rows.values())


def rollup_rows(ws, name: str = USER_DAY) -> list[tuple]:
    return ws.engine.duckdb.execute(f"SELECT * FROM {name} ORDER BY ALL").fetchall()


def state(ws) -> tuple:
    return ws.engine.duckdb.execute(
        "SELECT watermark, source_rows, mode FROM _rollups WHERE name = ?", [USER_DAY]
    ).fetchall()[0]


def test_incremental_refresh_equals_full_rebuild(make_ws):
    rng = random.Random(7)
    start = datetime(2026, 7, 1)
    ws = make_ws()
    for d in range(5):
        load(ws, "events", day_of_events(start + timedelta(days=d), rng))
    assert state(ws)[2] == "incremental"  # the first load built it, the next four added days
    # one more day, plus a late event for an earlier day (an (account, day) slice that exists)
    more = day_of_events(start + timedelta(days=5), rng)
    more.append(event("A1", "u1", "2026-07-02 23:59:59.999", "sign_in"))
    load(ws, "events", more)
    incremental = rollup_rows(ws), rollup_rows(ws, USER_MONTH)
    assert [r.mode for r in ws.refresh_rollups(full=True)] == ["full", "full"]
    assert (rollup_rows(ws), rollup_rows(ws, USER_MONTH)) == incremental
    # and it agrees with the events: total events rolled up = events stored
    total = ws.engine.duckdb.execute(f"SELECT sum(events) FROM {USER_DAY}").fetchall()[0][0]
    assert total == ws.row_count("events")


def test_refresh_touches_only_the_new_slices(make_ws):
    ws = make_ws(
        events=[event("A1", "u1", "2026-07-01 10:00"), event("A2", "v1", "2026-07-01 10:00")]
    )
    load(ws, "events", [event("A1", "u2", "2026-07-02 10:00")])
    # nothing new: a re-import of the same rows inserts nothing and the rollup stays fresh
    load(ws, "events", [event("A1", "u2", "2026-07-02 10:00")])
    assert {(r.mode, r.new_source_rows) for r in ws.refresh_rollups()} == {("fresh", 0)}
    load(
        ws, "events", [event("A1", "u3", "2026-07-02 11:00"), event("A1", "u3", "2026-07-02 12:00")]
    )
    assert state(ws)[1] == 5
    july = [(a, u, d.isoformat(), t, n) for a, u, d, t, n in rollup_rows(ws)]
    sign_in = 1 << engine_rollups.codes(ws.engine, "events", "event_type")["sign_in"]
    assert july == [
        ("A1", "u1", "2026-07-01", sign_in, 1),
        ("A1", "u2", "2026-07-02", sign_in, 1),
        ("A1", "u3", "2026-07-02", sign_in, 2),
        ("A2", "v1", "2026-07-01", sign_in, 1),
    ]


def test_a_failed_refresh_leaves_the_last_state_and_catches_up(make_ws, monkeypatch):
    from csmetrics.ingest import load_data

    ws = make_ws(events=[event("A1", "u1", "2026-07-01 10:00")])
    before_rows, before_state = rollup_rows(ws), state(ws)
    # events stored, then the refresh dies half-way (as if the process were killed)
    load_data(ws.engine, ws.config, "events", [event("A1", "u2", "2026-07-01 11:00")])
    ws.engine.invalidate()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(engine_rollups, "_record", boom)
    with pytest.raises(Exception, match="disk full"):
        engine_rollups.refresh(ws.engine, USER_DAY_ROLLUP)
    assert rollup_rows(ws) == before_rows and state(ws) == before_state  # rolled back
    assert not engine_rollups.is_fresh(ws.engine, USER_DAY_ROLLUP)
    monkeypatch.undo()
    assert [r.mode for r in ws.refresh_rollups()] == ["incremental", "incremental"]
    assert [r[:2] for r in rollup_rows(ws)] == [("A1", "u1"), ("A1", "u2")]
    assert ws.kpi("mau", period="2026-07")["value"].tolist() == [2]


def test_an_import_whose_refresh_fails_falls_back_to_raw_events(make_ws, monkeypatch):
    ws = make_ws(events=[event("A1", "u1", "2026-07-01 10:00")])
    monkeypatch.setattr(engine_rollups, "_record", lambda *a, **k: 1 / 0)
    with pytest.raises(Exception, match="division"):
        load(ws, "events", [event("A1", "u2", "2026-07-01 11:00")])
    monkeypatch.undo()
    assert not engine_rollups.is_fresh(ws.engine, USER_DAY_ROLLUP)  # dropped, not stale
    assert ws.kpi("mau", period="2026-07")["value"].tolist() == [2]  # from raw events
    assert [r.mode for r in ws.refresh_rollups()] == ["full", "full"]
    assert ws.kpi("mau", period="2026-07")["value"].tolist() == [2]


def test_changing_significant_actions_needs_no_rebuild(make_ws):
    import csmetrics

    ws = make_ws(
        events=[
            event("A1", "u1", "2026-07-01 10:00"),
            event("A1", "u2", "2026-07-01 10:00", "page_view"),
        ]
    )
    assert ws.kpi("mau", period="2026-07")["value"].tolist() == [1]
    before = state(ws)
    path = ws.root / "csmetrics.yaml"
    path.write_text(
        path.read_text("utf-8").replace(
            "active_event_types: [sign_in, meeting_booked, settings_changed]",
            "active_event_types: [sign_in, page_view]",
        ),
        "utf-8",
    )
    root = ws.root
    ws.close()
    with csmetrics.open(root) as again:
        assert again.kpi("mau", period="2026-07")["value"].tolist() == [2]
        assert state(again) == before


def bits(ws) -> dict[str, int]:
    return engine_rollups.codes(ws.engine, "events", "event_type")


def test_one_row_per_user_and_day_with_every_type_in_the_mask(make_ws):
    ws = make_ws(
        events=[
            event("A1", "u1", "2026-07-01 09:00", "page_view"),
            event("A1", "u1", "2026-07-01 10:00", "sign_in"),
            event("A1", "u1", "2026-07-01 11:00", "sign_in"),
            event("A1", "u1", "2026-07-03 11:00", "report_viewed"),
        ]
    )
    b = bits(ws)
    # types seen get bits, configured ones first (active_event_types, then key_features)
    assert b == {"sign_in": 0, "report_viewed": 1, "page_view": 2}
    rows = [(d.isoformat(), t, n) for _, _, d, t, n in rollup_rows(ws)]
    assert rows == [("2026-07-01", 0b101, 3), ("2026-07-03", 0b010, 1)]
    month = [r[3:] for r in rollup_rows(ws, USER_MONTH)]
    assert month == [(0b111, 2, 4)]  # types, active days, events


def test_a_new_event_type_gets_the_next_free_bit_incrementally(make_ws):
    ws = make_ws(events=[event("A1", "u1", "2026-07-01 10:00", "page_view")])
    before = bits(ws)
    load(ws, "events", [event("A1", "u2", "2026-07-02 10:00", "exported_csv")])
    after = bits(ws)
    assert {k: after[k] for k in before} == before  # existing bits never move
    assert after["exported_csv"] not in before.values()
    assert state(ws)[2] == "incremental"


def test_types_past_the_last_bit_share_one_and_are_answered_from_raw_events(make_ws):
    import csmetrics

    many = [event("A1", f"u{i}", "2026-07-01 10:00", f"type_{i:02d}") for i in range(70)]
    ws = make_ws(events=many)
    b = bits(ws)
    assert len(b) == engine_rollups.MAX_CODES
    uncoded = sorted({f"type_{i:02d}" for i in range(70)} - set(b))
    assert len(uncoded) == 70 - engine_rollups.MAX_CODES  # these share the other bit
    # a significant action without a bit of its own: still counted, from the raw events
    path = ws.root / "csmetrics.yaml"
    path.write_text(
        path.read_text("utf-8").replace(
            "active_event_types: [sign_in, meeting_booked, settings_changed]",
            f"active_event_types: [{uncoded[0]}, {uncoded[1]}, type_00]",
        ),
        "utf-8",
    )
    root = ws.root
    ws.close()
    with csmetrics.open(root) as again:
        assert again.kpi("mau", period="2026-07")["value"].tolist() == [3]
        # a full rebuild gives the configured types bits first: the same answer
        again.refresh_rollups(full=True)
        assert {uncoded[0], uncoded[1]} <= set(bits(again))
        assert again.kpi("mau", period="2026-07")["value"].tolist() == [3]


def test_a_rollup_of_an_older_shape_is_rebuilt(make_ws):
    ws = make_ws(events=[event("A1", "u1", "2026-07-01 10:00")])
    ws.engine.duckdb.execute(
        f"CREATE OR REPLACE TABLE {USER_DAY} AS SELECT account_id, user_id, "
        "event_time::DATE AS day, event_type, count(*) AS events FROM events GROUP BY ALL"
    ).fetchall()
    ws.engine.invalidate()
    assert ws.refresh_rollups()[0].mode == "full"
    assert ws.kpi("mau", period="2026-07")["value"].tolist() == [1]


def test_stale_rollups_are_not_read(make_ws):
    from csmetrics.ingest import load_data

    ws = make_ws(events=[event("A1", "u1", "2026-07-01 10:00")])
    # events committed, the process dies before the refresh: the rollups are behind
    load_data(ws.engine, ws.config, "events", [event("A1", "u2", "2026-07-01 11:00")])
    ws.engine.invalidate()
    assert not engine_rollups.is_fresh(ws.engine, USER_DAY_ROLLUP)
    assert ws.kpi("mau", period="2026-07")["value"].tolist() == [2]  # from raw events
    assert ws.kpi("mau", period="2026-07-01..2026-07-15")["value"].tolist() == [2]


def test_raw_event_answers_count_each_user_once(make_ws):
    import csmetrics

    many = [
        event("A1", f"u{i}", f"2026-07-0{k + 1} 10:00", f"type_{i:02d}")
        for i in range(70)
        for k in range(5)
    ]
    # one user active on four days with a rare type: it gets no bit of its own
    many += [event("A1", "rare", f"2026-07-{d:02d} 10:00", "zz_rare") for d in range(2, 6)]
    ws = make_ws(events=many)
    assert "zz_rare" not in bits(ws)
    path = ws.root / "csmetrics.yaml"
    path.write_text(
        path.read_text("utf-8").replace(
            "active_event_types: [sign_in, meeting_booked, settings_changed]",
            "active_event_types: [zz_rare]",
        ),
        "utf-8",
    )
    root = ws.root
    ws.close()
    with csmetrics.open(root) as again:
        assert again.kpi("mau", period="2026-07")["value"].tolist() == [1]
        assert again.kpi("mau", period="2026-07-02..2026-07-20")["value"].tolist() == [1]


def test_refresh_command_catches_up_after_an_interrupted_import(make_ws):
    import subprocess
    import sys

    from csmetrics.ingest import load_data

    ws = make_ws(events=[event("A1", "u1", "2026-07-01 10:00")])
    load_data(ws.engine, ws.config, "events", [event("A1", "u2", "2026-07-02 11:00")])
    root = ws.root
    ws.close()
    cmd = [sys.executable, "-c", "from csmetrics.cli.app import main; main()", "refresh"]
    done = subprocess.run([*cmd, "-w", str(root)], capture_output=True, text=True, check=True)
    assert "incremental" in done.stdout and "_rollup_user_day" in done.stdout
    import csmetrics

    with csmetrics.open(root) as again:
        assert engine_rollups.is_fresh(again.engine, USER_DAY_ROLLUP)
    done = subprocess.run([*cmd, "-w", str(root), "--full"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.count(" full ") == 2
