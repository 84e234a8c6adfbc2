"""Hand-made rows for the scorecard, fair-comparison and forecast tests."""

from __future__ import annotations

from typing import Any

from csmetrics.workspace import Workspace

CSMS = [
    {"csm_id": "C1", "name": "Ana", "team": "East", "role": "csm", "start_date": "2020-01-01"},
    {"csm_id": "C2", "name": "Ben", "team": "West", "role": "csm", "start_date": "2020-01-01"},
    {"csm_id": "C3", "name": "Cleo", "team": "East", "role": "csm", "start_date": "2020-01-01"},
]


def account(account_id: str, csm_id: str = "C1", tier: str = "corp") -> dict:
    return {
        "account_id": account_id,
        "name": f"Account {account_id}",
        "tier": tier,
        "segment": "smb",
        "csm_id": csm_id,
        "created_at": "2020-01-01",
    }


def contract(
    contract_id: str,
    account_id: str,
    start: str,
    end: str | None,
    arr: float = 12_000.0,
    term: str = "annual",
) -> dict:
    return {
        "contract_id": contract_id,
        "account_id": account_id,
        "product": "router",
        "start_date": start,
        "end_date": end,
        "arr": arr,
        "currency": "USD",
        "licenses": 10,
        "billing_term": term,
    }


def monthly(
    prefix: str, account_id: str, first: str, months: int, arr: float = 1_200.0
) -> list[dict]:
    """Back-to-back monthly terms from ``first`` (a first of month), ``months`` of them."""
    year, month = int(first[:4]), int(first[5:7])
    rows = []
    for i in range(months):
        y0, m0 = divmod(year * 12 + month - 1 + i, 12)
        y1, m1 = divmod(year * 12 + month + i, 12)
        start, end = f"{y0:04d}-{m0 + 1:02d}-01", f"{y1:04d}-{m1 + 1:02d}-01"
        rows.append(contract(f"{prefix}{i:02d}", account_id, start, end, arr, "monthly"))
    return rows


def load(ws: Workspace, table: str, rows: list[dict[str, Any]]) -> None:
    report = ws.load(table, rows)
    assert report.rows_rejected == 0, report.rejections


def one(frame, **where) -> dict:
    rows = frame
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, f"expected one row for {where}, got {len(rows)}:\n{frame}"
    return rows.iloc[0].to_dict()
