"""Rows for the health tests: CSMs, accounts, contracts, events, surveys, users."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import csmetrics
from canonical_rows import account, contract, load
from csmetrics.config import CONFIG_FILENAME
from csmetrics.workspace import Workspace

CSMS = [
    {"csm_id": "C1", "name": "Ana", "team": "East", "role": "csm", "start_date": "2024-01-01"},
    {"csm_id": "C2", "name": "Ben", "team": "West", "role": "csm", "start_date": "2024-01-01"},
]


def sign_ins(account_id: str, month: str, users: int, prefix: str = "u") -> list[dict]:
    """``users`` distinct users of the account signing in once in ``month`` (YYYY-MM)."""
    return [
        {
            "account_id": account_id,
            "user_id": f"{account_id}-{prefix}{i}",
            "event_time": f"{month}-{10 + i % 15:02d} 09:00",
            "event_type": "sign_in",
        }
        for i in range(users)
    ]


def nps(account_id: str, user: str, at: str, score: int) -> dict:
    return {
        "survey": "nps",
        "account_id": account_id,
        "user_id": user,
        "responded_at": at,
        "score": score,
    }


def user(account_id: str, user_id: str, role: str = "user", left: str | None = None) -> dict:
    return {
        "user_id": user_id,
        "account_id": account_id,
        "role": role,
        "created_at": "2025-01-01 00:00",
        "deactivated_at": left,
    }


def build(root: Path, config: str = "", **tables) -> Workspace:
    """A workspace at ``root`` with ``config`` as csmetrics.yaml and the rows given loaded."""
    csmetrics.init(root).close()
    if config:
        (root / CONFIG_FILENAME).write_text(config, "utf-8")
    ws = csmetrics.open(root)
    load(ws, "csms", tables.pop("csms", CSMS))
    for name in ("accounts", "contracts"):
        load(ws, name, tables.pop(name))
    for name, rows in tables.items():
        load(ws, name, rows)
    return ws


def synthetic_company(n: int = 200, seed: int = 11) -> dict[str, list[dict]]:
    """``n`` accounts on one annual term each, renewing between 2025-07 and 2026-06.

    Each account has a hidden health h; its monthly NPS answers and tickets follow h with
    noise, and whether it churns at its renewal depends on h alone. Accounts that renew
    go on with an open-ended contract; answers and tickets stop when an account leaves.
    The data runs to 2026-09-30.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    accounts, contracts, responses, tickets = [], [], [], []
    last = date(2026, 9, 30)
    for i in range(n):
        aid = f"S{i:03d}"
        h = float(rng.normal())
        start = date(2024 + (6 + i % 12) // 12, (6 + i % 12) % 12 + 1, 1 + i % 27)
        end = date(start.year + 1, start.month, start.day)
        churned = bool(rng.random() < 1 / (1 + np.exp(1.8 + 2.0 * h)))
        accounts.append(account(aid, "C1" if i % 2 else "C2"))
        contracts.append(contract(f"{aid}-1", aid, start.isoformat(), end.isoformat()))
        if not churned:
            contracts.append(contract(f"{aid}-2", aid, end.isoformat(), None))
        stop = end if churned else last
        month = date(2024, 7, 1)
        while month < stop:
            day = month.replace(day=1 + (i * 7) % 27)
            if day < stop:
                score = int(np.clip(round(7.2 + 2.0 * h + rng.normal(0, 1.2)), 0, 10))
                responses.append(nps(aid, f"{aid}-p", f"{day.isoformat()} 10:00", score))
                for k in range(int(rng.poisson(0.6 * np.exp(-0.6 * h)))):
                    opened = f"{day.isoformat()} {9 + k:02d}:00"
                    tickets.append(
                        {
                            "ticket_id": f"{aid}-{day.isoformat()}-{k}",
                            "account_id": aid,
                            "priority": "normal",
                            "opened_at": opened,
                            "first_response_at": opened,
                            "resolved_at": opened,
                        }
                    )
            month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    responses.append(nps("S000", "S000-late", f"{last.isoformat()} 18:00", 8))
    return {
        "accounts": accounts,
        "contracts": contracts,
        "survey_responses": responses,
        "tickets": tickets,
    }


__all__ = [
    "CSMS",
    "account",
    "build",
    "contract",
    "load",
    "nps",
    "sign_ins",
    "synthetic_company",
    "user",
]
