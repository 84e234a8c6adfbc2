"""A small demo company generated once per test session (about a second)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from csmetrics import schema
from csmetrics.demo import DemoManifest, generate

END = date(2026, 5, 1)
SMALL = {"accounts": 400, "months": 24, "events_scale": 0.05, "seed": 3, "end_date": END}


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    return generate(tmp_path_factory.mktemp("demo"), **SMALL)


@pytest.fixture(scope="session")
def db(demo: DemoManifest) -> duckdb.DuckDBPyConnection:
    """DuckDB with one view per canonical table over the generated Parquet files."""
    con = duckdb.connect()
    for spec in schema.TABLES:
        files = ", ".join(f"'{p}'" for p in demo.paths(spec.name))
        con.execute(f'create view "{spec.name}" as select * from read_parquet([{files}])')
    return con


def scalar(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


def folder(demo: DemoManifest) -> Path:
    return demo.out_dir
