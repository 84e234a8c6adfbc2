"""A full disk and a read-only workspace: one clear line, and the store left intact.

The disk fills for real on a tiny tmpfs where the machine lets a test mount one
(root); everywhere, a file-size limit (``ulimit -f``, RLIMIT_FSIZE) on the CLI
process makes every write past it fail the same way (EFBIG instead of ENOSPC). The
read-only workspace is ``chmod -R a-w``; as root, which permissions do not stop,
the CLI runs with the capabilities that bypass them dropped (``setpriv``).
"""

from __future__ import annotations

import os
import resource
import shutil
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import csmetrics

from .budgets import Tally
from .store import fingerprint_at
from .test_kill_import import DATA, cli, write_contracts

ROWS = 30_000


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    """A workspace with csms and accounts (closed), and a contracts batch to import."""
    root = tmp_path / "ws"
    with csmetrics.init(root) as ws:
        for table in ("csms", "accounts"):
            assert ws.import_files(table, [DATA / f"{table}.csv"]).ok
        write_contracts(tmp_path / "base.csv", 0, 2_000, 500, 0)
        assert ws.import_files("contracts", [tmp_path / "base.csv"]).ok
    batch = tmp_path / "batch.csv"
    write_contracts(batch, 1_000, ROWS, 900, 0)
    return root, batch


def run_cli(
    args: list[str], *, fsize: int | None = None, prefix: tuple[str, ...] = ()
) -> tuple[int, str]:
    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    done = subprocess.run(
        [*prefix, *cli(), *args],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit,
        env={**os.environ, "COLUMNS": "400"},
    )
    return done.returncode, done.stderr.strip()


def one_clear_line(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    return lines[0]


@pytest.mark.parametrize("limit_kib", [1_400, 2_000, 3_000, 6_000])
def test_a_file_size_limit_mid_import_is_one_line_and_the_store_intact(
    workspace: tuple[Path, Path], limit_kib: int, tally: Tally
) -> None:
    root, batch = workspace
    store = root / "csmetrics.duckdb"
    before = fingerprint_at(root)
    assert store.stat().st_size < limit_kib * 1024, "the limit must leave room to open the store"
    code, stderr = run_cli(
        ["import", "--workspace", str(root), "contracts", str(batch)], fsize=limit_kib * 1024
    )
    if code == 0:  # the batch fitted under this limit: it must be whole
        assert fingerprint_at(root)["contracts"][0] == 2_000 + ROWS - 1_000
        tally.add("disk full: imports that fitted")
        return
    line = one_clear_line(stderr)
    assert "cannot write the store" in line and str(store) in line, line
    assert "nothing was imported" in line
    assert fingerprint_at(root) == before
    tally.add("disk full: refused writes (file-size limit)")
    code, stderr = run_cli(["import", "--workspace", str(root), "contracts", str(batch)])
    assert code == 0, stderr  # with room again, the same batch loads whole
    assert fingerprint_at(root)["contracts"][0] == 2_000 + ROWS - 1_000


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 3 MiB tmpfs (root only); skipped where mounting is not allowed."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("mounting a tmpfs needs root")
    mount = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
    mount.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mount)], capture_output=True
    )
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_is_one_line_and_the_store_intact(
    workspace: tuple[Path, Path], small_disk: Path, tally: Tally
) -> None:
    root, batch = workspace
    moved = small_disk / "ws"
    shutil.copytree(root, moved)
    before = fingerprint_at(moved)
    code, stderr = run_cli(["import", "--workspace", str(moved), "contracts", str(batch)])
    assert code != 0
    line = one_clear_line(stderr)
    assert "cannot write the store" in line and "No space left on device" in line, line
    assert fingerprint_at(moved) == before
    tally.add("disk full: refused writes (full tmpfs)")


def _read_only(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


def _writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def _unprivileged() -> tuple[str, ...]:
    """Run as root without the capabilities that ignore file permissions."""
    if os.geteuid() != 0:
        return ()
    if not shutil.which("setpriv"):
        pytest.skip("as root, a read-only folder needs setpriv to be read-only")
    return (
        "setpriv",
        "--inh-caps=-all",
        "--bounding-set=-dac_override,-dac_read_search,-fowner",
        "--",
    )


@pytest.mark.parametrize("what", ["folder and store", "folder only"])
def test_a_read_only_workspace_is_one_line_and_the_store_intact(
    workspace: tuple[Path, Path], what: str, tally: Tally
) -> None:
    root, batch = workspace
    before = fingerprint_at(root)
    _read_only(root)
    if what == "folder only":  # the store file is writable, its write-ahead log cannot be made
        (root / "csmetrics.duckdb").chmod(0o644)
    try:
        code, stderr = run_cli(
            ["import", "--workspace", str(root), "contracts", str(batch)], prefix=_unprivileged()
        )
        assert code == 1
        line = one_clear_line(stderr)
        assert str(root) in line and "Permission denied" in line, line
        assert fingerprint_at(root) == before
        code, stderr = run_cli(["summary", "--workspace", str(root)], prefix=_unprivileged())
        assert code == 0, stderr  # reading a read-only workspace still works
    finally:
        _writable(root)
    tally.add(f"read-only workspace ({what}): refused")
