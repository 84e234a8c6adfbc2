"""The workspace facade: init writes a commented config and a store; open validates."""

from __future__ import annotations

import pytest

import csmetrics
from csmetrics import schema
from csmetrics.errors import ConfigError, WorkspaceError


def test_init_creates_config_and_store_with_every_canonical_table(tmp_path):
    with csmetrics.init(tmp_path / "ws") as ws:
        assert (tmp_path / "ws" / "csmetrics.yaml").read_text().startswith("# csmetrics")
        assert (tmp_path / "ws" / "csmetrics.duckdb").exists()
        for name in schema.table_names():
            table = ws.table(name)
            assert tuple(table.columns) == schema.table(name).column_names
            assert ws.row_count(name) == 0


def test_table_returns_an_ibis_expression(tmp_path):
    import ibis.expr.types as ir

    with csmetrics.init(tmp_path / "ws") as ws:
        accounts = ws.table("accounts")
        assert isinstance(accounts, ir.Table)
        assert ws.engine.execute(accounts.count()).iloc[0, 0] == 0


def test_init_refuses_to_overwrite_without_force(tmp_path):
    csmetrics.init(tmp_path / "ws").close()
    with pytest.raises(WorkspaceError, match="already a workspace"):
        csmetrics.init(tmp_path / "ws")
    csmetrics.init(tmp_path / "ws", force=True).close()


def test_open_a_folder_that_is_not_a_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="not a csmetrics workspace"):
        csmetrics.open(tmp_path)


def test_open_with_a_bad_config_names_file_and_key(tmp_path):
    csmetrics.init(tmp_path / "ws").close()
    (tmp_path / "ws" / "csmetrics.yaml").write_text("revenue:\n  churn_recognition: soon\n")
    with pytest.raises(ConfigError, match=r"csmetrics.yaml:2: revenue.churn_recognition"):
        csmetrics.open(tmp_path / "ws")


def test_unknown_table_is_a_clear_error(tmp_path):
    with (
        csmetrics.init(tmp_path / "ws") as ws,
        pytest.raises(csmetrics.CsMetricsError, match="unknown table"),
    ):
        ws.table("deals")
