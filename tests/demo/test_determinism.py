"""Same inputs give byte-identical files; any input that matters changes them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from csmetrics import schema
from csmetrics.demo import DemoParameterError, generate

TINY = {"accounts": 60, "months": 12, "events_scale": 0.02, "end_date": date(2026, 5, 1)}


def _bytes(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def test_same_inputs_give_byte_identical_files(tmp_path):
    a = generate(tmp_path / "a", seed=5, **TINY)
    b = generate(tmp_path / "b", seed=5, **TINY)
    assert a.rows == b.rows
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")


def test_a_different_seed_gives_a_different_company(tmp_path):
    a = generate(tmp_path / "a", seed=5, **TINY)
    b = generate(tmp_path / "b", seed=6, **TINY)
    for name in ("accounts", "contracts", "events"):
        ta = pq.read_table(a.paths(name)).to_pandas()
        tb = pq.read_table(b.paths(name)).to_pandas()
        assert not ta.equals(tb), name


def test_the_events_scale_changes_only_the_events(tmp_path):
    a = generate(tmp_path / "a", seed=5, **TINY)
    b = generate(tmp_path / "b", seed=5, **{**TINY, "events_scale": 2.0})
    assert b.rows["events"] > 3 * a.rows["events"]
    for spec in schema.TABLES:
        if spec.name != "events":
            assert a.paths(spec.name)[0].read_bytes() == b.paths(spec.name)[0].read_bytes()


def test_regenerating_into_a_folder_replaces_the_earlier_files(tmp_path):
    first = generate(tmp_path, seed=5, **TINY)
    again = generate(tmp_path, seed=5, **TINY)
    assert first.files == again.files
    parts = sorted(p.name for p in (tmp_path / "events").iterdir())
    assert parts == [Path(f).name for f in again.files["events"]]


def test_the_manifest_lists_every_table_with_its_row_count(tmp_path):
    m = generate(tmp_path, seed=5, **TINY)
    assert set(m.files) == set(schema.table_names())
    for spec in schema.TABLES:
        assert sum(pq.read_metadata(p).num_rows for p in m.paths(spec.name)) == m.rows[spec.name]
    assert (tmp_path / "manifest.json").read_text().count('"events"') == 2
    assert {"csm_skill", "accounts", "account_months", "renewals"} <= set(m.truth)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"accounts": 5}, "accounts"),
        ({"months": 3}, "months"),
        ({"events_scale": 0}, "events scale"),
        ({"end_date": date(2026, 5, 15)}, "first day of a month"),
    ],
)
def test_out_of_range_parameters_are_user_errors(tmp_path, change, message):
    with pytest.raises(DemoParameterError, match=message):
        generate(tmp_path, **{**TINY, **change})
