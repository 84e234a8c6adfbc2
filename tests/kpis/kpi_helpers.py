"""Helpers for the KPI tests: three CSMs, account and contract rows as dicts, loading."""

from __future__ import annotations

from pathlib import Path

import csmetrics
from csmetrics.workspace import Workspace

CSMS = [
    {"csm_id": "C1", "name": "Ana", "team": "East", "role": "csm", "start_date": "2024-01-01"},
    {"csm_id": "C2", "name": "Ben", "team": "East", "role": "csm", "start_date": "2024-01-01"},
    {"csm_id": "C3", "name": "Cleo", "team": "West", "role": "csm", "start_date": "2024-01-01"},
]


def account(account_id: str, csm_id: str = "C1", tier: str = "corp", segment: str = "smb") -> dict:
    return {
        "account_id": account_id,
        "name": f"Account {account_id}",
        "tier": tier,
        "segment": segment,
        "csm_id": csm_id,
        "created_at": "2024-01-01",
    }


def contract(
    contract_id: str,
    account_id: str,
    start: str,
    end: str | None,
    arr: float,
    *,
    product: str = "router",
    currency: str = "USD",
    term: str = "annual",
    team: str | None = None,
    cancelled: str | None = None,
) -> dict:
    return {
        "contract_id": contract_id,
        "account_id": account_id,
        "product": product,
        "start_date": start,
        "end_date": end,
        "arr": arr,
        "currency": currency,
        "billing_term": term,
        "customer_team": team,
        "cancelled_at": cancelled,
    }


def load(ws: Workspace, table: str, rows: list[dict]) -> None:
    report = ws.load(table, rows)
    assert report.rows_rejected == 0, report.rejections


def set_revenue_option(root: Path, key: str, value: str) -> None:
    """Edit one ``revenue:`` key of the workspace's csmetrics.yaml."""
    path = root / "csmetrics.yaml"
    lines = path.read_text("utf-8").splitlines()
    out, in_revenue = [], False
    for line in lines:
        if not line.startswith(" ") and line.strip():
            in_revenue = line.startswith("revenue:")
        if in_revenue and line.strip().startswith(f"{key}:"):
            line = f"  {key}: {value}"
        out.append(line)
    path.write_text("\n".join(out) + "\n", "utf-8")


def reopen(ws: Workspace) -> Workspace:
    """Close and open again, so an edited csmetrics.yaml takes effect."""
    root = ws.root
    ws.close()
    return csmetrics.open(root)


def one(frame, **where) -> dict:
    """The single row of ``frame`` matching ``where`` (column=value), as a dict."""
    rows = frame
    for column, value in where.items():
        rows = rows[rows[column] == value]
    assert len(rows) == 1, f"expected one row for {where}, got {len(rows)}:\n{frame}"
    return rows.iloc[0].to_dict()
