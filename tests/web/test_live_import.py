"""Importing and recomputing while the app serves: an admin's upload lands through the
app's own importer beside the pages, is audited, and the pages answer (from the data
as it was) while it runs; a file that cannot be read is refused whole; only admins may
do either; a recompute serves the previous snapshot until the new one is complete.

The app here is its own (a small demo of its own): these tests change its data.
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from csmetrics.cli.app import app as cli
from csmetrics.web import create_app
from csmetrics.web.state import AuditEntry, users

from .conftest import PASSWORD, csrf, sign_in

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

DEMO = ["--accounts", "60", "--months", "12", "--events-scale", "0.05", "--end-date", "2026-05-01"]
WAIT = 120.0  # seconds a background job may take on a busy machine
# one worker builds the demo and runs them all (the tests change its data)
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("live_import")]


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    root = tmp_path_factory.mktemp("live") / "demo"
    result = CliRunner().invoke(cli, ["demo", str(root), *DEMO])
    assert result.exit_code == 0, result.output
    app = create_app(root, warm=False)
    web = app.state.web
    web.data.warm()
    assert web.data.warm_error is None, web.data.warm_error
    csms = web.data.csms()
    member = csms[csms["role"] == "csm"].iloc[0]
    links = {
        "admin": (None, None),
        "leader": (None, None),
        "manager": (None, str(member["team"])),
        "csm": (str(member["csm_id"]), None),
    }
    with web.store.session() as db:
        for role, (csm_id, team) in links.items():
            users.add(db, role, PASSWORD, role, csm_id=csm_id, team=team, by="test")
    yield app
    web.data.close()
    web.store.dispose()


@pytest.fixture(scope="module")
def clients(app: Any) -> dict[str, TestClient]:
    out = {r: sign_in(TestClient(app), r) for r in ("admin", "leader", "manager", "csm")}
    out["anonymous"] = TestClient(app)
    return out


def count(app: Any, sql: str) -> int:
    data = app.state.web.data
    with data.lock:
        return int(data.ws.engine.duckdb.execute(sql).fetchall()[0][0])


def events_batch(app: Any, target: Path, rows: int) -> Path:
    """New usage events: existing ones moved a few seconds later (valid keys, new rows)."""
    data = app.state.web.data
    with data.lock:
        frame = data.ws.engine.duckdb.execute(
            f"""SELECT account_id, user_id,
                       event_time + to_seconds(1 + (hash(user_id, event_time) % 50)::BIGINT)
                           AS event_time,
                       event_type
                FROM events ORDER BY event_time DESC LIMIT {rows}"""
        ).df()
    frame.to_csv(target, index=False, date_format="%Y-%m-%d %H:%M:%S.%f")
    return target


def upload(client: TestClient, table: str, path: Path, name: str | None = None) -> Any:
    with path.open("rb") as handle:
        return client.post(
            "/api/admin/import",
            data={"table": table},
            files={"file": (name or path.name, handle, "text/csv")},
            headers={"x-csrf-token": csrf(client, "/admin/import")},
        )


def finished(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while True:
        job = client.get("/api/admin/imports", params={"id": job_id}).json()
        if job["state"] in ("done", "failed"):
            return job
        assert time.monotonic() < deadline, f"import {job_id} still {job['state']}"
        time.sleep(0.05)


def recomputed(app: Any) -> None:
    deadline = time.monotonic() + WAIT
    while app.state.web.data.refreshing:
        assert time.monotonic() < deadline, "the recompute did not finish"
        time.sleep(0.05)


def test_an_admin_import_lands_is_audited_and_the_pages_answer_meanwhile(
    app: Any, clients: dict[str, TestClient], tmp_path: Path
) -> None:
    web = app.state.web
    admin, leader = clients["admin"], clients["leader"]
    before = count(app, "SELECT count(*) FROM events")
    batch = events_batch(app, tmp_path / "fresh-events.csv", 3000)
    version = web.data.versions()
    staged, release = threading.Event(), threading.Event()
    seen: dict[str, Any] = {}

    def hold(job: Any, done: int, total: int | None) -> None:
        """Inside the import's transaction (the file staged, nothing committed): let the
        test look at the app, then go on."""
        if done and not staged.is_set():
            staged.set()
            assert release.wait(WAIT), "the test never released the import"

    web.imports.progress = hold
    try:
        answer = upload(admin, "events", batch)
        assert answer.status_code == 202, answer.text
        job_id = answer.json()["id"]
        assert staged.wait(WAIT), "the import never staged its file"
        # mid-import: pages answer, from the data as it was; a second import must wait
        for path in ("/", "/accounts", "/api/overview", "/api/accounts"):
            response = leader.get(path)
            assert response.status_code == 200, (path, response.status_code)
        seen["count"] = count(app, "SELECT count(*) FROM events")
        seen["busy"] = upload(admin, "events", batch).status_code
        seen["state"] = admin.get("/api/admin/imports", params={"id": job_id}).json()
    finally:
        release.set()
        web.imports.progress = None
    assert seen["count"] == before, "readers saw the batch before it committed"
    assert seen["busy"] == 409
    assert seen["state"]["state"] == "running" and seen["state"]["rows_staged"] == 3000

    job = finished(admin, job_id)
    assert job["state"] == "done", job
    assert (job["rows_read"], job["rows_loaded"], job["rows_rejected"]) == (3000, 3000, 0)
    assert count(app, "SELECT count(*) FROM events") == before + 3000
    assert web.data.versions() != version, "the data version did not move on"
    with web.store.session() as db:
        entry = db.scalars(
            select(AuditEntry).where(AuditEntry.action == "data.import").order_by(AuditEntry.id)
        ).all()[-1]
        assert (entry.login, entry.target) == ("admin", "events")
        assert "fresh-events.csv: 3,000 read, 3,000 loaded, 0 rejected" in entry.detail
    page = admin.get("/admin/import")
    assert page.status_code == 200 and "fresh-events.csv" in page.text
    assert not (web.imports.folder / "fresh-events.csv").exists(), "the upload was kept"


def test_a_file_that_cannot_be_read_is_refused_whole(
    app: Any, clients: dict[str, TestClient], tmp_path: Path
) -> None:
    web = app.state.web
    admin = clients["admin"]
    good = events_batch(app, tmp_path / "good.csv", 50).read_text("utf-8").splitlines()
    # a ragged line in the middle of good ones: nothing of the file may land
    bad = tmp_path / "ragged-events.csv"
    bad.write_text("\n".join([*good[:20], good[20] + ",extra,fields", *good[21:]]) + "\n")
    events = count(app, "SELECT count(*) FROM events")
    batches = count(app, "SELECT count(*) FROM _imports")
    version = web.data.versions()

    answer = upload(admin, "events", bad)
    assert answer.status_code == 202, answer.text
    job = finished(admin, answer.json()["id"])
    assert job["state"] == "failed", job
    # the upload's own name and the line (the 21st: the header is the first)
    assert job["error"].startswith("ragged-events.csv:21: "), job["error"]
    assert str(web.imports.folder) not in job["error"]
    assert count(app, "SELECT count(*) FROM events") == events
    assert count(app, "SELECT count(*) FROM _imports") == batches
    assert web.data.versions() == version
    with web.store.session() as db:
        assert db.scalars(select(AuditEntry).where(AuditEntry.action == "data.import.failed")).all()

    # refused before anything runs: an unknown table, a file of no importable kind
    assert upload(admin, "nonsense", bad).status_code == 400
    assert upload(admin, "events", bad, name="events.exe").status_code == 400


def test_rows_with_bad_values_are_quarantined_with_file_row_and_column(
    app: Any, clients: dict[str, TestClient], tmp_path: Path
) -> None:
    admin = clients["admin"]
    lines = events_batch(app, tmp_path / "x.csv", 10).read_text("utf-8").splitlines()
    header = lines[0].split(",")
    cells = lines[3].split(",")
    cells[header.index("event_time")] = "not a time"
    path = tmp_path / "some-bad-events.csv"
    path.write_text("\n".join([*lines[:3], ",".join(cells), *lines[4:]]) + "\n")
    job = finished(admin, upload(admin, "events", path).json()["id"])
    assert job["state"] == "done" and job["rows_rejected"] == 1, job
    assert job["rejections"][0].startswith("some-bad-events.csv:4:event_time:"), job["rejections"]


@pytest.mark.parametrize("role", ["leader", "manager", "csm", "anonymous"])
def test_only_admins_import_or_recompute(
    clients: dict[str, TestClient], role: str, tmp_path: Path
) -> None:
    client = clients[role]
    refused = 401 if role == "anonymous" else 403
    token = {} if role == "anonymous" else {"x-csrf-token": csrf(client)}
    path = tmp_path / "e.csv"
    path.write_text("account_id,user_id,event_time,event_type\n")
    with path.open("rb") as handle:
        got = client.post(
            "/api/admin/import",
            data={"table": "events"},
            files={"file": ("e.csv", handle, "text/csv")},
            headers=token,
        )
    assert got.status_code == refused
    assert client.post("/api/admin/recompute", headers=token).status_code == refused
    assert client.get("/api/admin/imports").status_code == refused
    assert client.get("/api/admin/recompute").status_code == refused
    page = client.get("/admin/import", follow_redirects=False).status_code
    assert page == (303 if role == "anonymous" else 403)


def test_an_admin_post_without_its_token_is_refused(clients: dict[str, TestClient]) -> None:
    assert clients["admin"].post("/api/admin/recompute").status_code == 403


def test_a_recompute_serves_the_previous_snapshot_until_the_new_one_is_complete(
    app: Any, clients: dict[str, TestClient]
) -> None:
    data = app.state.web.data
    recomputed(app)
    old = data.snapshot()
    old_arr = old.facts["arr"]["value"].sum()
    overview = clients["leader"].get("/api/overview").json()

    # a big new contract on a paying account, through a second connection as an import
    with data.lock:
        side = data.ws.sibling()
        row = side.engine.duckdb.execute(
            "SELECT * FROM contracts WHERE end_date > DATE '2026-06-01' LIMIT 1"
        ).df()
    with side:
        row["contract_id"] = "K-LIVE-1"
        row["start_date"] = old.periods[0].start
        row["arr"] = 5_000_000.0
        assert side.load("contracts", row).ok
    data.changed()

    holding, done = threading.Event(), threading.Event()

    def hold_the_lock() -> None:  # whatever needs the workspace lock waits meanwhile
        with data.lock:
            holding.set()
            done.wait(WAIT)

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert holding.wait(WAIT)
        assert data.snapshot() is old, "the previous snapshot was not served"
        assert data.refreshing, "no recompute was started"
        answered: dict[str, Any] = {}

        def ask() -> None:
            answered["overview"] = clients["leader"].get("/api/overview")

        asker = threading.Thread(target=ask)
        asker.start()
        asker.join(WAIT)
        assert not asker.is_alive(), "a page waited for the recompute"
        assert answered["overview"].status_code == 200
        assert answered["overview"].json()["numbers"] == overview["numbers"]
        assert data.snapshot() is old
    finally:
        done.set()
        holder.join()
    recomputed(app)
    new = data.snapshot()
    assert new is not old and data.recompute.state == "done", data.recompute
    assert new.facts["arr"]["value"].sum() > old_arr + 4_000_000
    assert clients["leader"].get("/api/overview").json()["numbers"] != overview["numbers"]

    # the admin's recompute: answers again, the previous ones served until it is done
    answer = clients["admin"].post(
        "/api/admin/recompute", headers={"x-csrf-token": csrf(clients["admin"])}
    )
    assert answer.status_code == 202 and answer.json()["state"] == "running"
    recomputed(app)
    status = clients["admin"].get("/api/admin/recompute").json()
    assert status["state"] == "done" and status["rounds"] >= 1, status
    assert data.snapshot() is not new
    fresh = data.snapshot().facts["arr"]["value"].sum()
    assert fresh == pytest.approx(new.facts["arr"]["value"].sum())
