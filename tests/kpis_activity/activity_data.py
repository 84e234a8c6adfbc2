"""Hand-made rows for the activity KPI tests: CSMs, accounts, contracts, events."""

from __future__ import annotations

from canonical_rows import account, contract, event, load, one

CSMS = [
    {"csm_id": "C1", "name": "Ana", "team": "East", "role": "csm", "start_date": "2024-01-01"},
    {"csm_id": "C2", "name": "Ben", "team": "West", "role": "csm", "start_date": "2024-01-01"},
]


__all__ = ["CSMS", "account", "contract", "event", "load", "one"]
