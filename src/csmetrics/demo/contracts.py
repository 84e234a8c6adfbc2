"""The contract book (terms, renewals, co-terming upgrades, cancellations) and invoices."""

from __future__ import annotations

import numpy as np

from csmetrics.demo.history import History
from csmetrics.demo.output import money
from csmetrics.demo.timeline import NA
from csmetrics.demo.vocab import CURRENCIES, CUSTOMER_TEAMS, PRODUCTS
from csmetrics.schema.tables import BILLING_TERMS


def contract_ids(count: int) -> np.ndarray:
    return np.array([f"K{i + 1:07d}" for i in range(count)], dtype=object)


def _notice_days(c: dict[str, np.ndarray], notice: dict[str, np.ndarray]) -> np.ndarray:
    """Notice given before the end of a last term applies to every row ending then."""
    out = np.full(len(c["acc"]), NA)
    if len(notice["acc"]) == 0:
        return out
    keys = notice["acc"] * 1_000_000 + notice["end"]
    order = np.argsort(keys)
    keys = keys[order]
    row_keys = c["acc"] * 1_000_000 + c["end"]
    pos = np.minimum(np.searchsorted(keys, row_keys), len(keys) - 1)
    hit = keys[pos] == row_keys
    out[hit] = np.maximum(notice["day"][order][pos[hit]], c["start"][hit])
    return out


def contracts_columns(hist: History) -> dict[str, object]:
    c = hist.books.contracts.columns()
    n = len(c["acc"])
    cancelled = _notice_days(c, hist.books.cancellations.columns())
    return {
        "contract_id": contract_ids(n),
        "account_id": np.array(hist.accts.ids, dtype=object)[c["acc"]],
        "product": np.array(PRODUCTS, dtype=object)[c["product"]],
        "start_date": c["start"],
        "end_date": c["end"],
        "arr": money(c["arr"]),
        "currency": np.array(CURRENCIES, dtype=object)[hist.accts.currency[c["acc"]]],
        "licenses": c["lic"],
        "billing_term": np.array(BILLING_TERMS, dtype=object)[c["term"]],
        "customer_team": np.array(CUSTOMER_TEAMS, dtype=object)[c["team"]],
        "cancelled_at": cancelled,
    }


def invoices_columns(hist: History) -> dict[str, object]:
    inv = hist.books.invoices.columns()
    n = len(inv["acc"])
    return {
        "invoice_id": np.array([f"INV{i + 1:07d}" for i in range(n)], dtype=object),
        "account_id": np.array(hist.accts.ids, dtype=object)[inv["acc"]],
        "issued_at": inv["issued"],
        "due_at": inv["due"],
        "paid_at": inv["paid"],
        "amount": money(inv["amount"]),
        "currency": np.array(CURRENCIES, dtype=object)[hist.accts.currency[inv["acc"]]],
    }
