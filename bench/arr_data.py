"""A subscription book of 1M accounts (about 7M contract rows), generated vectorised.

Only what the ARR bridge reads is modelled, at a realistic mix: each account starts
in a month of 2021-2025 on a monthly, annual or multi-year term, renews term after
term with a price change (expansion or contraction) until it churns at a renewal;
some add a second product later, a few start again later (a return when the first
chain had churned, else one more product), and 15% pay in EUR
or GBP (monthly rates). Accounts are drawn in chunks of 100,000 with numpy and
written as they come (``ChunkedWriter``), so memory stays bounded whatever the size;
the same seed gives the same files.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from csmetrics.demo.output import ChunkedWriter, arrow_table, write
from csmetrics.demo.timeline import NA

HORIZON = 2026 * 12  # months since year 0: contracts start before 2026-01
FIRST = 2021 * 12  # the first start month
CHUNK = 100_000
TERMS = np.array([1, 12, 36])  # monthly, annual, multi_year (months)
TERM_NAMES = np.array(["monthly", "annual", "multi_year"], dtype=object)
TERM_SHARE = np.array([0.14, 0.76, 0.10])
CHURN_AT_RENEWAL = np.array([0.015, 0.10, 0.08])
CURRENCIES = np.array(["USD", "EUR", "GBP"], dtype=object)
CURRENCY_SHARE = np.array([0.85, 0.10, 0.05])
TIERS = np.array(["strategic", "corp", "low_touch"], dtype=object)


def _days(month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of (months since year 0, day of month 1-28)."""
    months = (month - 1970 * 12).astype("timedelta64[M]")
    first = (np.datetime64("1970-01", "M") + months).astype("datetime64[D]")
    return (first - np.datetime64("1970-01-01", "D")).astype(np.int64) + day - 1


def _chains(
    rng: np.random.Generator, account: np.ndarray, start: np.ndarray, day: np.ndarray
) -> dict[str, np.ndarray]:
    """Contract rows of one product chain per entry: term after term until churn."""
    n = len(account)
    term = rng.choice(3, n, p=TERM_SHARE)
    arr = np.round(np.exp(rng.normal(9.6, 1.0, n)), 2)  # median ~15k
    currency = rng.choice(3, n, p=CURRENCY_SHARE)
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("acc", "start", "stop", "arr", "term")}
    cols["cur"] = []
    at = start.copy()
    live = np.arange(n)
    while len(live):
        live = live[at[live] < HORIZON]
        if not len(live):
            break
        stop = at[live] + TERMS[term[live]]
        cols["acc"].append(account[live])
        cols["start"].append(_days(at[live], day[live]))
        cols["stop"].append(_days(stop, day[live]))
        cols["arr"].append(arr[live])
        cols["term"].append(term[live])
        cols["cur"].append(currency[live])
        at[live] = stop
        arr[live] = np.round(arr[live] * np.exp(rng.normal(0.02, 0.08, len(live))), 2)
        live = live[rng.random(len(live)) >= CHURN_AT_RENEWAL[term[live]]]
    return {k: np.concatenate(v) if v else np.array([], np.int64) for k, v in cols.items()}


def _chunk(rng: np.random.Generator, first_id: int, n: int) -> dict[str, np.ndarray]:
    """Every contract row of accounts first_id .. first_id + n - 1."""
    account = np.arange(first_id, first_id + n)
    start = rng.integers(FIRST, HORIZON, n)
    day = rng.integers(1, 29, n)
    parts = [_chains(rng, account, start, day)]
    second = rng.random(n) < 0.35  # a second product, 1-18 months in
    parts.append(
        _chains(
            rng, account[second], start[second] + rng.integers(1, 19, second.sum()), day[second]
        )
    )
    back = rng.random(n) < 0.04  # a return some months after a first chain would churn
    parts.append(
        _chains(rng, account[back], start[back] + rng.integers(14, 40, back.sum()), day[back])
    )
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def _contracts_table(rows: dict[str, np.ndarray], first_contract: int) -> pa.Table:
    n = len(rows["acc"])
    ids = np.char.add("K", np.char.zfill((first_contract + np.arange(n)).astype(str), 9))
    accounts = np.char.add("A", np.char.zfill(rows["acc"].astype(str), 7))
    cols = {
        "contract_id": pa.array(ids.astype(object), pa.string()),
        "account_id": pa.array(accounts.astype(object), pa.string()),
        "product": np.where(np.arange(n) % 3 == 0, "router", "scheduler").astype(object),
        "start_date": rows["start"],
        "end_date": rows["stop"],
        "arr": rows["arr"],
        "currency": CURRENCIES[rows["cur"]],
        "licenses": np.maximum(1, (rows["arr"] // 600).astype(np.int64)),
        "billing_term": TERM_NAMES[rows["term"]],
        "customer_team": np.full(n, None, dtype=object),
        "cancelled_at": np.full(n, NA, dtype=np.int64),
    }
    return arrow_table("contracts", cols)


def _accounts(n: int, csms: int, rng: np.random.Generator) -> pa.Table:
    ids = np.char.add("A", np.char.zfill(np.arange(n).astype(str), 7)).astype(object)
    return arrow_table(
        "accounts",
        {
            "account_id": ids,
            "name": np.char.add("Company ", np.arange(n).astype(str)).astype(object),
            "tier": TIERS[rng.choice(3, n, p=[0.05, 0.25, 0.70])],
            "segment": np.full(n, "smb", dtype=object),
            "industry": np.full(n, "software", dtype=object),
            "region": np.full(n, "NA", dtype=object),
            "csm_id": np.char.add("C", np.char.zfill((np.arange(n) % csms).astype(str), 4)).astype(
                object
            ),
            "created_at": np.full(n, _days(np.array([FIRST - 1]), np.array([1]))[0]),
        },
    )


def _csms(n: int) -> pa.Table:
    ids = np.char.add("C", np.char.zfill(np.arange(n).astype(str), 4)).astype(object)
    return arrow_table(
        "csms",
        {
            "csm_id": ids,
            "name": np.char.add("CSM ", np.arange(n).astype(str)).astype(object),
            "email": np.full(n, None, dtype=object),
            "team": np.char.add("Team ", (np.arange(n) % 10).astype(str)).astype(object),
            "manager_id": np.full(n, None, dtype=object),
            "role": np.full(n, "csm", dtype=object),
            "start_date": np.full(n, _days(np.array([2019 * 12]), np.array([1]))[0]),
            "end_date": np.full(n, NA, dtype=np.int64),
        },
    )


def _fx(rng: np.random.Generator) -> pa.Table:
    months = np.arange(FIRST - 12, HORIZON + 1)
    rows: dict[str, list] = {"currency": [], "rate_date": [], "rate": []}
    for cur, level in (("USD", 1.0), ("EUR", 1.1), ("GBP", 1.27)):
        walk = (
            np.ones(len(months))
            if cur == "USD"
            else level * np.exp(np.cumsum(rng.normal(0, 0.015, len(months))))
        )
        rows["currency"] += [cur] * len(months)
        rows["rate_date"] += list(_days(months, np.ones(len(months), np.int64)))
        rows["rate"] += list(np.round(walk, 6))
    return arrow_table(
        "fx_rates",
        {k: np.array(v, dtype=object if k == "currency" else None) for k, v in rows.items()},
    )


def generate(out: Path, accounts: int = 1_000_000, seed: int = 11) -> dict:
    """Write accounts, csms, fx_rates and contracts (in parts) under ``out``; the manifest."""
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest["accounts"] == accounts and manifest["seed"] == seed:
            return manifest
    rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    csms = max(10, accounts // 400)
    write(_csms(csms), out / "csms.parquet")
    write(_accounts(accounts, csms, rng), out / "accounts.parquet")
    write(_fx(rng), out / "fx_rates.parquet")
    writer = ChunkedWriter(out / "contracts", "contracts", 5_000_000)
    for first in range(0, accounts, CHUNK):
        rows = _chunk(rng, first, min(CHUNK, accounts - first))
        writer.write(_contracts_table(rows, writer.rows))
    writer.close()
    manifest = {
        "accounts": accounts,
        "seed": seed,
        "contracts": writer.rows,
        "files": {
            "csms": ["csms.parquet"],
            "accounts": ["accounts.parquet"],
            "fx_rates": ["fx_rates.parquet"],
            "contracts": [str(p.relative_to(out)) for p in writer.paths],
        },
    }
    manifest_path.write_text(json.dumps(manifest, indent=2))
    return manifest
