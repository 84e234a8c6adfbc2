"""Hand-made rows for the activity KPI tests: CSMs, accounts, contracts, events."""

from __future__ import annotations

from typing import Any

from csmetrics.workspace import Workspace

CSMS = [
    {"csm_id": "C1", "name": "Ana", "team": "East", "role": "csm", "start_date": "2024-01-01"},
    {"csm_id": "C2", "name": "Ben", "team": "West", "role": "csm", "start_date": "2024-01-01"},
]


def account(account_id: str, csm_id: str = "C1", tier: str = "corp") -> dict:
    return {
        "account_id": account_id,
        "name": f"Account {account_id}",
        "tier": tier,
        "segment": "smb",
        "csm_id": csm_id,
        "created_at": "2024-01-01",
    }


def contract(
    contract_id: str,
    account_id: str,
    start: str,
    end: str | None,
    arr: float = 12000.0,
    licenses: int | None = 10,
) -> dict:
    return {
        "contract_id": contract_id,
        "account_id": account_id,
        "product": "router",
        "start_date": start,
        "end_date": end,
        "arr": arr,
        "currency": "USD",
        "licenses": licenses,
        "billing_term": "annual",
    }


def event(account_id: str, user_id: str, at: str, kind: str = "sign_in") -> dict:
    return {"account_id": account_id, "user_id": user_id, "event_time": at, "event_type": kind}


def load(ws: Workspace, table: str, rows: list[dict[str, Any]]) -> None:
    report = ws.load(table, rows)
    assert report.rows_rejected == 0, report.rejections


def one(frame, **where) -> dict:
    rows = frame
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, f"expected one row for {where}, got {len(rows)}:\n{frame}"
    return rows.iloc[0].to_dict()
