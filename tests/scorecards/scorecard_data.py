"""Hand-made rows for the scorecard, fair-comparison and forecast tests."""

from __future__ import annotations

import canonical_rows as rows
from canonical_rows import load, one

CSMS = [
    {"csm_id": "C1", "name": "Ana", "team": "East", "role": "csm", "start_date": "2020-01-01"},
    {"csm_id": "C2", "name": "Ben", "team": "West", "role": "csm", "start_date": "2020-01-01"},
    {"csm_id": "C3", "name": "Cleo", "team": "East", "role": "csm", "start_date": "2020-01-01"},
]


def account(account_id: str, csm_id: str = "C1", tier: str = "corp") -> dict:
    return rows.account(account_id, csm_id, tier, created_at="2020-01-01")


def contract(
    contract_id: str,
    account_id: str,
    start: str,
    end: str | None,
    arr: float = 12_000.0,
    term: str = "annual",
) -> dict:
    return rows.contract(contract_id, account_id, start, end, arr, term=term)


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


__all__ = ["CSMS", "account", "contract", "load", "monthly", "one"]
