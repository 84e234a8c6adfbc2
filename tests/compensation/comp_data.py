"""A small company for the payout tests, with its numbers worked out by hand.

Quarter 2025-Q3 runs 2025-07-01..2025-10-01 (92 days). Owners on 2025-07-01:

=====  ======  ============================================  ========================
CSM    team    book (ARR on 07-01 -> on 10-01)               NRR
=====  ======  ============================================  ========================
C1     East    A1 10,000 -> 11,000 (calendar +1,000 08-10)    1.10  (above target)
C2     East    A2 10,000 -> 10,000; A3 10,000 -> 0 (09-01)    0.50  (below threshold)
C4     West    A4 10,000 -> 10,000; A7 10,000 -> 10,000       1.00  (at target)
C5     West    A5 10,000 -> 15,000 (+5,000 08-01)             1.50  (at the cap)
C6     West    A6 10,000 -> 9,500 (renewed smaller 08-01)     0.95  (between)
C3     West    nothing: joined 2025-08-01, took A7 that day   none  (61 of 92 days)
=====  ======  ============================================  ========================

Team NRR: East (A1, A2, A3) 21,000 / 30,000 = 0.70; West (A4, A5, A6, A7)
44,500 / 40,000 = 1.1125. M1 is East's manager; C9 left on 2025-06-01.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import csmetrics
from csmetrics.workspace import Workspace

Q3 = "2025-Q3"


def person(csm_id: str, name: str, team: str, start: str, role: str = "csm", end=None) -> dict:
    return {
        "csm_id": csm_id,
        "name": name,
        "team": team,
        "role": role,
        "start_date": start,
        "end_date": end,
    }


CSMS = [
    person("M1", "Mia", "East", "2020-01-01", role="manager"),
    person("C1", "Ana", "East", "2024-01-01"),
    person("C2", "Ben", "East", "2024-01-01"),
    person("C3", "Cleo", "West", "2025-08-01"),
    person("C4", "Dan", "West", "2024-01-01"),
    person("C5", "Eve", "West", "2024-01-01"),
    person("C6", "Finn", "West", "2024-01-01"),
    person("C9", "Gus", "West", "2024-01-01", end="2025-06-01"),
]


def account(account_id: str, csm_id: str) -> dict:
    return {
        "account_id": account_id,
        "name": f"Account {account_id}",
        "tier": "corp",
        "segment": "smb",
        "csm_id": csm_id,
        "created_at": "2024-01-01",
    }


def contract(
    contract_id: str, account_id: str, start: str, end: str | None, arr: float, product="router"
) -> dict:
    return {
        "contract_id": contract_id,
        "account_id": account_id,
        "product": product,
        "start_date": start,
        "end_date": end,
        "arr": arr,
        "currency": "USD",
        "licenses": 10,
        "billing_term": "annual",
    }


ACCOUNTS = [
    account("A1", "C1"),
    account("A2", "C2"),
    account("A3", "C2"),
    account("A4", "C4"),
    account("A5", "C5"),
    account("A6", "C6"),
    account("A7", "C3"),
]

CONTRACTS = [
    contract("K1", "A1", "2025-01-01", None, 10_000),
    contract("K1b", "A1", "2025-08-10", None, 1_000, product="calendar"),
    contract("K2", "A2", "2025-01-01", None, 10_000),
    contract("K3", "A3", "2024-09-01", "2025-09-01", 10_000),
    contract("K4", "A4", "2025-01-01", None, 10_000),
    contract("K5", "A5", "2025-01-01", None, 10_000),
    contract("K5b", "A5", "2025-08-01", None, 5_000, product="calendar"),
    contract("K6", "A6", "2024-08-01", "2025-08-01", 10_000),
    contract("K6b", "A6", "2025-08-01", None, 9_500),
    contract("K7", "A7", "2025-01-01", None, 10_000),
]

ASSIGNMENTS = [
    {"account_id": "A7", "csm_id": "C4", "valid_from": "2024-01-01", "valid_to": "2025-08-01"},
    {"account_id": "A7", "csm_id": "C3", "valid_from": "2025-08-01", "valid_to": None},
]

# OTP 10,000: individual NRR 60%, team NRR 40%; threshold 90% pays 50%, accelerator 2, cap 150%.
RETENTION_PLAN = """
compensation:
  plans:
    retention:
      title: Retention plan
      period: quarter
      on_target_pay: 10000
      proration: {proration}
      components:
        book_nrr:
          measure: nrr
          weight: 0.6
          target: 1.0
          threshold: 0.9
          threshold_payout: 0.5
          accelerator: 2.0
          cap: 1.5
          missing: target
        team_nrr:
          measure: nrr
          scope: team
          weight: 0.4
          target: 1.0
          threshold: 0.9
          threshold_payout: 0.5
          accelerator: 2.0
          cap: 1.5
          missing: zero
"""


def response(account_id: str, user: str, day: str, score: int, survey: str = "csat") -> dict:
    return {
        "survey": survey,
        "account_id": account_id,
        "user_id": user,
        "responded_at": f"{day} 10:00:00",
        "score": score,
    }


def load(ws: Workspace, table: str, rows: list[dict[str, Any]]) -> None:
    report = ws.load(table, rows)
    assert report.rows_rejected == 0, report.rejections


def build(root: Path, config: str, **extra: list[dict[str, Any]]) -> Workspace:
    """The company above in a workspace at ``root`` with ``config`` as its csmetrics.yaml."""
    csmetrics.init(root).close()
    (root / "csmetrics.yaml").write_text(config, "utf-8")
    ws = csmetrics.open(root)
    load(ws, "csms", CSMS)
    load(ws, "accounts", ACCOUNTS)
    load(ws, "assignments", ASSIGNMENTS)
    load(ws, "contracts", CONTRACTS)
    for table, rows in extra.items():
        load(ws, table, rows)
    return ws


def line(statement, component: str):
    found = [x for x in statement.lines if x.component_id == component]
    assert len(found) == 1, f"no line {component} in {statement.plan_id}"
    return found[0]
