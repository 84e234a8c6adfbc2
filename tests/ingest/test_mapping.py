"""Column mapping: a CRM export loads as-is once its headers are mapped in config."""

from __future__ import annotations

from pathlib import Path

import pytest

from csmetrics.errors import InputDataError
from csmetrics.ingest.mapping import loose, resolve_columns
from csmetrics.schema import table

from .conftest import DATA, rows, workspace_with

SALESFORCE = """\
imports:
  mappings:
    accounts:
      Account ID: account_id
      account name: name
      Tier__c: tier
      Owner ID: csm_id
      CreatedDate: created_at
"""


def test_salesforce_export_loads_without_editing(tmp_path: Path) -> None:
    with workspace_with(tmp_path / "ws", SALESFORCE) as ws:
        assert ws.import_files("csms", [DATA / "csms.csv"]).ok
        report = ws.import_files("accounts", [DATA / "salesforce_accounts.csv"])
        assert report.ok, report.rejections
        # " Account Name " matches the mapping key "account name" once trimmed and case-folded;
        # "Industry" matches the canonical column; the rest is reported as ignored.
        assert report.ignored_columns == ("Billing Country",)
        assert rows(
            ws,
            "SELECT account_id, name, tier, csm_id, industry, created_at::VARCHAR FROM accounts ORDER BY 1",
        ) == [
            ("001A", "Acme Corp", "Strategic", "C2", "Software", "2023-02-01"),
            ("001B", "Globex", "corp", "C3", "Retail", "2024-02-01"),
        ]


def test_header_matching_prefers_exact_then_loose() -> None:
    accounts = table("accounts")
    cmap = resolve_columns(
        ["Account ID", "account_id", "NAME", "Tier", "created at", "Notes"],
        accounts,
        {"Account ID": "account_id"},
        "x.csv",
    )
    assert cmap.source_for == {
        "account_id": "Account ID",  # an exact mapping key wins over the exact column name
        "name": "NAME",
        "tier": "Tier",
        "created_at": "created at",
    }
    assert cmap.ignored == ("account_id", "Notes")
    assert cmap.missing_required == ()
    assert loose("\ufeff Created-At ") == "created_at"


def test_two_headers_for_one_column_is_an_error() -> None:
    with pytest.raises(InputDataError, match=r"x.csv: columns 'Tier' and 'TIER' both map to tier"):
        resolve_columns(["account_id", "Tier", "TIER"], table("accounts"), {}, "x.csv")


def test_missing_required_column_message_names_file_and_columns(workspace, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("Id;Name;Tier\nA1;Acme;corp\n")
    with pytest.raises(InputDataError) as caught:
        workspace.import_files("accounts", [path])
    message = str(caught.value)
    assert message.startswith(
        f"{path}: missing required column(s) account_id, name, tier, created_at"
    )
    assert "is the delimiter right? set imports.csv_delimiter" in message


def test_configured_delimiter(tmp_path: Path) -> None:
    with workspace_with(tmp_path / "ws", "imports:\n  csv_delimiter: ';'\n") as ws:
        path = tmp_path / "csms.csv"
        path.write_text("csm_id;name;team;role;start_date\nC1;Ana;East;csm;2024-01-01\n")
        assert ws.import_files("csms", [path]).rows_inserted == 1
