"""Row builders for the canonical tables, shared by the hand-worked test suites.

Each suite's data module (``activity_data``, ``health_data``, ``risk_data``,
``scorecard_data``) re-exports these with its own CSMs and defaults, so a test reads
``contract("K1", "A1", "2025-01-01", None)`` whatever suite it is in.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from csmetrics.workspace import Workspace


def account(
    account_id: str, csm_id: str = "C1", tier: str = "corp", created_at: str = "2024-01-01"
) -> dict:
    return {
        "account_id": account_id,
        "name": f"Account {account_id}",
        "tier": tier,
        "segment": "smb",
        "csm_id": csm_id,
        "created_at": created_at,
    }


def contract(
    contract_id: str,
    account_id: str,
    start: str = "2025-01-01",
    end: str | None = None,
    arr: float = 12000.0,
    licenses: int | None = 10,
    term: str = "annual",
    product: str = "router",
    currency: str = "USD",
) -> dict:
    return {
        "contract_id": contract_id,
        "account_id": account_id,
        "product": product,
        "start_date": start,
        "end_date": end,
        "arr": arr,
        "currency": currency,
        "licenses": licenses,
        "billing_term": term,
    }


def event(account_id: str, user_id: str, at: str, kind: str = "sign_in") -> dict:
    return {"account_id": account_id, "user_id": user_id, "event_time": at, "event_type": kind}


def load(ws: Workspace, table: str, rows: list[dict[str, Any]] | pd.DataFrame) -> None:
    """Load rows through the real importer; every row must be accepted."""
    report = ws.load(table, rows)
    assert report.rows_rejected == 0, report.rejections


def one(frame: pd.DataFrame, **where: Any) -> dict:
    """The single row of ``frame`` matching ``where``, as a dict."""
    rows = frame
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, f"expected one row for {where}, got {len(rows)}:\n{frame}"
    return rows.iloc[0].to_dict()
