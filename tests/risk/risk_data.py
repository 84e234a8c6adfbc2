"""Hand-made rows for the risk tests: CSMs, accounts, contracts and the signals' tables."""

from __future__ import annotations

from datetime import date
from typing import Any

import canonical_rows as rows
from canonical_rows import account, event, load
from csmetrics.config import Config, parse_config
from csmetrics.config.risk import RULE_NAMES
from csmetrics.risk import Evaluation, evaluate
from csmetrics.workspace import Workspace

# The day most rules are judged on: a month's last day, so "the last month" is June.
D = date(2026, 6, 30)

CSMS = [
    {"csm_id": "C1", "name": "Ana", "team": "East", "role": "csm", "start_date": "2024-01-01"},
    {"csm_id": "C2", "name": "Ben", "team": "West", "role": "csm", "start_date": "2024-01-01"},
]


def contract(
    contract_id: str,
    account_id: str,
    start: str = "2025-01-01",
    end: str | None = None,
    arr: float = 12000.0,
    product: str = "router",
    currency: str = "USD",
) -> dict:
    """A 50-seat annual contract (open-ended by default)."""
    return rows.contract(
        contract_id, account_id, start, end, arr, licenses=50, product=product, currency=currency
    )


def ticket(ticket_id: str, account_id: str, opened: str, **extra: Any) -> dict:
    return {
        "ticket_id": ticket_id,
        "account_id": account_id,
        "priority": "normal",
        "opened_at": opened,
        **extra,
    }


def user(
    user_id: str,
    account_id: str,
    role: str = "user",
    created: str = "2025-01-01",
    left: str | None = None,
) -> dict:
    return {
        "user_id": user_id,
        "account_id": account_id,
        "role": role,
        "created_at": created,
        "deactivated_at": left,
    }


def config(text: str = "") -> Config:
    """The default config with ``text`` (YAML) on top, as a workspace file would give."""
    return parse_config(text)


def only(rule: str, **params: Any) -> Config:
    """The default config with every rule but ``rule`` disabled, and ``params`` set on it."""
    rules: dict[str, dict[str, Any]] = {name: {"enabled": name == rule} for name in RULE_NAMES}
    rules[rule].update(params)
    return Config.model_validate({"risk": {"rules": rules}})


def judge(ws: Workspace, cfg: Config | None = None, day: date = D) -> Evaluation:
    return evaluate(ws.engine, cfg or ws.config, [day])


def fired(evaluation: Evaluation, rule: str) -> dict[str, str]:
    """account_id -> reason for one rule's firings."""
    s = evaluation.signals
    s = s[s["rule"] == rule]
    return dict(zip(s["account_id"], s["reason"], strict=True))


def status(evaluation: Evaluation, rule: str):
    return next(r for r in evaluation.rules if r.rule == rule)


__all__ = [
    "CSMS",
    "D",
    "account",
    "config",
    "contract",
    "event",
    "fired",
    "judge",
    "load",
    "only",
    "status",
    "ticket",
    "user",
]
