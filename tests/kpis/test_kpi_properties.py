"""Invariants on random contract histories (hypothesis).

The expressions are compiled once per churn-recognition setting for a fixed set of
periods; each example replaces the rows of one in-memory store and re-runs the
compiled SQL, so fifty histories take seconds rather than minutes. An independent
oracle (plain Python over the handful of contracts) gives each account's ARR on a day.
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmetrics import kpis, schema
from csmetrics.config import Config
from csmetrics.engine import Engine
from csmetrics.kpis.compute import (
    bridge_expression,
    context,
    expression,
    expression_many,
    split,
    tidy,
    tidy_bridge,
)
from csmetrics.kpis.grains import group_keys
from csmetrics.periods import Period, parse_period, series

ACCOUNTS = [f"A{i}" for i in range(6)]
CSMS = ["C0", "C1", "C2"]
ORIGIN = date(2025, 1, 1)
MONTHS = series("2025-01", "2026-06", "month")
PERIODS = [
    *series("2025-Q1", "2026-Q2", "quarter"),
    parse_period("2025"),
    Period(date(2025, 2, 10), date(2025, 11, 20), "2025-02-10..2025-11-20"),
]
RETENTION = ("grr", "nrr", "logo_retention")  # one query: they share their facts
LINES = ["start", "new", "expansion", "contraction", "churn", "reactivation", "end"]
MOVES = ["new", "expansion", "contraction", "churn", "reactivation"]


def _day(offset: int) -> date:
    return ORIGIN + timedelta(days=offset)


@st.composite
def histories(draw):
    contracts = []
    for i in range(draw(st.integers(0, 12))):
        start = draw(st.integers(-60, 520))
        if draw(st.booleans()):  # contracts often start on the first of a month
            start = (_day(start).replace(day=1) - ORIGIN).days
        length = draw(st.one_of(st.none(), st.integers(1, 400)))
        cancel = draw(st.one_of(st.none(), st.integers(0, 400)))
        contracts.append(
            {
                "contract_id": f"K{i}",
                "account_id": draw(st.sampled_from(ACCOUNTS)),
                "product": draw(st.sampled_from(["router", "calendar"])),
                "start_date": _day(start),
                "end_date": None if length is None else _day(start + length),
                "arr": draw(st.sampled_from([0, 0.01, 100, 1_200.5, 5_000, 9_999.99])),
                "currency": draw(st.sampled_from(["USD", "EUR"])),
                "billing_term": draw(st.sampled_from(["monthly", "annual"])),
                "customer_team": draw(st.sampled_from([None, "sales", "ops"])),
                "cancelled_at": None if cancel is None else _day(start + cancel),
            }
        )
    rate_days = st.dictionaries(
        st.integers(-30, 540), st.sampled_from([0.9, 1.1, 1.25]), min_size=1, max_size=4
    )
    rates = sorted(draw(rate_days).items())
    owners = {a: draw(st.sampled_from(CSMS)) for a in ACCOUNTS}
    move = st.one_of(st.none(), st.tuples(st.integers(1, 500), st.sampled_from(CSMS)))
    moves = {a: draw(move) for a in ACCOUNTS}
    recognition = draw(st.sampled_from(["end_of_term", "cancellation"]))
    return contracts, rates, owners, moves, recognition


class Store:
    """The engine and the compiled queries (kept alive: they own the period tables)."""

    def __init__(self, engine: Engine, compiled: dict) -> None:
        self.engine, self.compiled = engine, compiled

    def __repr__(self) -> str:
        return "Store()"


@pytest.fixture(scope="module")
def store():
    engine = Engine.open_duckdb(None)
    csms = [
        {"csm_id": c, "name": c, "team": f"T{c[-1]}", "role": "csm", "start_date": ORIGIN}
        for c in CSMS
    ]
    _replace(engine, "csms", csms)
    compiled = {}
    for recognition in ("end_of_term", "cancellation"):
        config = Config.model_validate({"revenue": {"churn_recognition": recognition}})
        queries = {("bridge_months", "account"): bridge_expression(
            context(engine, config, MONTHS, "account", None)
        )}  # fmt: skip
        for grain in ("csm", "company"):
            ctx = context(engine, config, PERIODS, grain, None)
            queries["bridge", grain] = bridge_expression(ctx)
            queries["retention", grain] = expression_many([kpis.get(n) for n in RETENTION], ctx)
            queries["renewal_rate", grain] = expression(kpis.get("renewal_rate"), ctx)
        for expr in queries.values():  # executing once registers the in-memory periods
            engine.execute(expr)
        compiled[recognition] = {key: (expr, engine.sql(expr)) for key, expr in queries.items()}
    yield Store(engine, compiled)
    engine.close()


def _replace(engine: Engine, table: str, rows: list[dict]) -> None:
    frame = pd.DataFrame(rows, columns=list(schema.table(table).column_names))
    con = engine.duckdb
    con.execute(f'DELETE FROM "{table}"')
    if rows:
        con.register("_rows", frame)
        con.execute(f'INSERT INTO "{table}" SELECT * FROM _rows')
        con.unregister("_rows")
    engine.invalidate()


def _load(engine: Engine, history) -> None:
    contracts, rates, owners, moves, _ = history
    accounts = [
        {"account_id": a, "name": a, "tier": "corp", "segment": "smb", "csm_id": owners[a],
         "created_at": ORIGIN}
        for a in ACCOUNTS
    ]  # fmt: skip
    assignments = []
    for a, move in moves.items():
        if move is not None:
            day, new_owner = _day(move[0]), move[1]
            assignments.append(
                {"account_id": a, "csm_id": owners[a], "valid_from": _day(-90), "valid_to": day}
            )
            assignments.append(
                {"account_id": a, "csm_id": new_owner, "valid_from": day, "valid_to": None}
            )
    fx = [{"currency": "EUR", "rate_date": _day(d), "rate": r} for d, r in rates]
    for table, rows in (
        ("accounts", accounts),
        ("assignments", assignments),
        ("contracts", contracts),
        ("fx_rates", fx),
    ):
        _replace(engine, table, rows)


def _oracle_arr(history, account_id: str, day: date) -> float:
    """The account's ARR on ``day`` in USD, straight from the definitions."""
    contracts, rates, _, _, recognition = history
    rate_days = [_day(d) for d, _ in rates]
    total = 0.0
    for c in contracts:
        end = c["end_date"]
        if recognition == "cancellation" and c["cancelled_at"] is not None:
            end = c["cancelled_at"] if end is None else min(end, c["cancelled_at"])
        active = c["start_date"] <= day and (end is None or day < end)
        if c["account_id"] != account_id or not active:
            continue
        rate = 1.0
        if c["currency"] == "EUR":  # the rate in force, or the first one before any
            rate = rates[max(bisect_right(rate_days, day) - 1, 0)][1]
        total += c["arr"] * rate
    return total


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
def test_random_histories_reconcile_and_retention_is_bounded(store, history):
    engine = store.engine
    queries = store.compiled[history[-1]]
    _load(engine, history)

    def run(key: tuple) -> pd.DataFrame:
        return engine.duckdb.execute(queries[key][1]).df()

    # Per account and month: start + movements = end, and both ends match the oracle.
    months = tidy_bridge(run(("bridge_months", "account")), group_keys("account"))
    assert months["reconciles"].all()
    for row in months.itertuples(index=False):
        start = _oracle_arr(history, row.account_id, row.period_start)
        end = _oracle_arr(history, row.account_id, row.period_end)
        assert row.start == pytest.approx(start, abs=0.01)
        assert row.end == pytest.approx(end, abs=0.01)
    company_months = months.groupby(["period_start", "period_end"])[LINES].sum().reset_index()

    # A period's bridge is the sum of its months; the CSMs' bridges add up to the company's.
    keys = {grain: group_keys(grain) for grain in ("csm", "company")}
    bridges = {g: tidy_bridge(run(("bridge", g)), keys[g]) for g in keys}
    assert bridges["csm"]["reconciles"].all() and bridges["company"]["reconciles"].all()
    company = bridges["company"].set_index("period")
    for p in PERIODS:
        if p.start.day == 1 and p.end.day == 1:
            inside = company_months[
                (company_months["period_start"] >= p.start)
                & (company_months["period_end"] <= p.end)
            ]
            first = inside[inside["period_start"] == p.start]["start"].sum()
            last = inside[inside["period_end"] == p.end]["end"].sum()
            assert company.loc[p.label, "start"] == pytest.approx(first, abs=0.05)
            assert company.loc[p.label, "end"] == pytest.approx(last, abs=0.05)
            for line in MOVES:
                assert company.loc[p.label, line] == pytest.approx(inside[line].sum(), abs=0.05)
        by_csm = bridges["csm"][bridges["csm"]["period"] == p.label]
        for line in LINES:
            assert by_csm[line].sum() == pytest.approx(company.loc[p.label, line], abs=0.05)

    # GRR <= 1 and GRR <= NRR; per-CSM numerators and denominators add up to the company's.
    results = {}
    for grain in keys:
        retention = split(run(("retention", grain)), [kpis.get(n) for n in RETENTION], keys[grain])
        results.update({(name, grain): frame for name, frame in retention.items()})
        renewals = tidy(run(("renewal_rate", grain)), kpis.get("renewal_rate"), keys[grain])
        results["renewal_rate", grain] = renewals
    for grain in keys:
        grr, nrr = results["grr", grain], results["nrr", grain]
        both = grr.merge(nrr, on=keys[grain], suffixes=("_g", "_n"))
        assert len(both) == len(grr)
        for row in both.itertuples(index=False):
            assert row.denominator_g == pytest.approx(row.denominator_n)
            if row.denominator_g > 0:
                assert row.value_g <= 1 + 1e-9
                assert row.value_g <= row.value_n + 1e-9
            else:
                assert pd.isna(row.value_g) and pd.isna(row.value_n)
    for name in (*RETENTION, "renewal_rate"):
        company_rows = results[name, "company"].set_index("period")
        csm_rows = results[name, "csm"].groupby("period")[["numerator", "denominator"]].sum()
        for p in PERIODS:
            for part in ("numerator", "denominator"):
                split_sum = csm_rows.loc[p.label, part] if p.label in csm_rows.index else 0
                assert split_sum == pytest.approx(company_rows.loc[p.label, part], abs=0.05)
