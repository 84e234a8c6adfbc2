"""The contract book inside the simulation: product lines, terms, co-terming rows,
renewal resizing and invoices. A mixin of ``Simulation``, kept apart so the monthly
loop reads as the story and this as the bookkeeping."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from csmetrics.demo import behaviour as bh
from csmetrics.demo.company import ANNUAL, LOW_TOUCH, MONTHLY, MULTI_YEAR, STRATEGIC, Accounts
from csmetrics.demo.fx import FxRates
from csmetrics.demo.history import Panels
from csmetrics.demo.timeline import NA, Timeline, uniform_int

PROSPECT, ACTIVE, CHURNED = 0, 1, 2  # account status
LINES = 3  # slot 0: first product; 1: a cross-sold product; 2: a new customer team
NEW, RENEWAL, UPSELL, CROSS_SELL, WHITESPACE, REACTIVATION = range(6)
_NET_DAYS = np.array([45, 30, 30])


class ContractBook:
    """Per-account lines (licenses, seat price, product, customer team) and the term in
    force; every change is written to the ``contracts`` and ``invoices`` ledgers."""

    tl: Timeline
    accts: Accounts
    fx: FxRates
    rng: np.random.Generator
    books: SimpleNamespace
    p: Panels
    h: np.ndarray
    status: np.ndarray
    owner: np.ndarray
    term: np.ndarray
    term_months: np.ndarray
    term_start: np.ndarray
    term_start_month: np.ndarray
    term_end: np.ndarray
    term_end_month: np.ndarray
    lic: np.ndarray
    price: np.ndarray
    on: np.ndarray
    product: np.ndarray
    team: np.ndarray
    od_from: np.ndarray
    od_to: np.ndarray

    def _usd(self, idx: np.ndarray, month: int) -> np.ndarray:
        return self.fx.usd(self.accts.currency[idx], np.full(len(idx), month))

    def _snapshot_seats(self, idx: np.ndarray, m: int) -> None:
        """Seats per customer team this month (the most held at any point of it)."""
        seats = self.lic[idx] * self.on[idx]
        p = self.p
        p.seats_a[idx, m] = np.maximum(p.seats_a[idx, m], seats[:, :2].max(axis=1))
        p.seats_b[idx, m] = np.maximum(p.seats_b[idx, m], seats[:, 2])

    def _arr(self, idx: np.ndarray) -> np.ndarray:
        return (self.lic[idx] * self.price[idx] * self.on[idx]).sum(axis=1)

    def _invoice(self, idx: np.ndarray, issued: np.ndarray, amount: np.ndarray) -> None:
        rng, n = self.rng, len(idx)
        issued = issued - rng.integers(0, 6, n)
        due = issued + _NET_DAYS[self.accts.tier[idx]]
        late = rng.random(n) < bh.late_payment_rate(self.h[idx], self.accts.finance[idx])
        never = late & (rng.random(n) < 0.12)
        paid = np.where(
            late,
            due + 1 + rng.exponential(22, n).astype(np.int64),
            issued + uniform_int(rng, np.full(n, 2), due - issued + 1),
        )
        paid = np.where(never | (paid >= self.tl.end_day), NA, paid)
        self.od_from[idx[late]] = due[late]
        self.od_to[idx[late]] = np.where(paid[late] == NA, 10**6, paid[late])
        self.books.invoices.add(
            acc=idx, issued=issued, due=due, paid=paid, amount=np.round(amount, 2)
        )

    def _emit_term(self, idx: np.ndarray, kind: int) -> np.ndarray:
        """Contract rows for the term starting now on every open line; invoices it.
        Returns the row number of each account's first-line row."""
        first = np.full(len(idx), -1)
        for k in range(LINES):
            sel = self.on[idx, k]
            j = idx[sel]
            rows = self.books.contracts.add(
                acc=j,
                product=self.product[j, k],
                team=self.team[j, k],
                start=self.term_start[j],
                end=self.term_end[j],
                lic=self.lic[j, k],
                arr=np.round(self.lic[j, k] * self.price[j, k], 2),
                term=self.term[j],
                kind=kind,
            )
            if k == 0:
                first[sel] = rows
        share = np.where(self.term[idx] == MONTHLY, 1, self.accts.billing_months[idx]) / 12
        self._invoice(idx, self.term_start[idx], self._arr(idx) * share)
        return first

    def _start_term(self, idx: np.ndarray, start: np.ndarray, start_month: np.ndarray) -> None:
        self.term_start[idx] = start
        self.term_start_month[idx] = start_month
        self.term_end_month[idx] = start_month + self.term_months[idx]
        self.term_end[idx] = self.tl.on_anchor(self.term_end_month[idx], self.accts.anchor[idx])

    def _open_lines(self, idx: np.ndarray) -> None:
        a = self.accts
        self.on[idx] = False
        self.on[idx, 0] = True
        self.product[idx, 0] = a.product[idx]
        self.lic[idx, 0] = a.seats[idx]
        self.price[idx, 0] = a.price[idx]

    def _coterm(
        self, idx: np.ndarray, k: int, delta: np.ndarray, kind: int, m: int, day: np.ndarray
    ) -> None:
        if len(idx) == 0:
            return
        arr = np.round(delta * self.price[idx, k], 2)
        rows = self.books.contracts.add(
            acc=idx,
            product=self.product[idx, k],
            team=self.team[idx, k],
            start=day,
            end=self.term_end[idx],
            lic=delta,
            arr=arr,
            term=self.term[idx],
            kind=kind,
        )
        if k == 0:
            self.lic[idx, 0] += delta
        else:
            self.lic[idx, k] = delta
            self.on[idx, k] = True
            self.books.onboardings.add(
                acc=idx,
                contract=rows,
                closed_deal=day - self.rng.integers(0, 8, len(idx)),
                days=np.round(
                    0.6
                    * bh.ONBOARDING_MEDIAN_DAYS[self.accts.tier[idx]]
                    * np.exp(self.rng.normal(0, 0.45, len(idx)))
                ),
                kind=kind,
                stalled=False,
            )
        self.books.expansions.add(
            acc=idx, day=day, kind=kind, arr_usd=arr * self._usd(idx, m), owner=self.owner[idx]
        )
        self._invoice(idx, day, arr * (self.term_end[idx] - day) / 365)
        self._snapshot_seats(idx, m)

    def _resize(self, idx: np.ndarray, contract: np.ndarray, expand: np.ndarray) -> None:
        rng, n = self.rng, len(idx)
        drop_line = contract & (self.on[idx, 1:].any(axis=1)) & (rng.random(n) < 0.3)
        j = idx[drop_line]
        line = np.where(self.on[j, 2], 2, 1)
        self.on[j, line] = False
        j = idx[contract & ~drop_line]
        self.lic[j, 0] = np.maximum(1, np.round(self.lic[j, 0] * rng.uniform(0.6, 0.9, len(j))))
        j = idx[expand]
        grow = np.maximum(1, np.round(self.lic[j, 0] * rng.uniform(0.1, 0.5, len(j))))
        self.lic[j, 0] += grow.astype(np.int64)

    def _switch_terms(self, idx: np.ndarray) -> None:
        rng, term, n = self.rng, self.term[idx], len(idx)
        draw = rng.random(n)
        to_annual = ((term == MONTHLY) & (draw < 0.05)) | ((term == MULTI_YEAR) & (draw < 0.3))
        to_multi = (term == ANNUAL) & (self.accts.tier[idx] != LOW_TOUCH) & (draw < 0.05)
        self.term[idx[to_annual]] = ANNUAL
        self.term_months[idx[to_annual]] = 12
        self.term[idx[to_multi]] = MULTI_YEAR
        self.term_months[idx[to_multi]] = np.where(
            self.accts.tier[idx[to_multi]] == STRATEGIC, 36, 24
        )

    def _periodic_invoices(self, m: int) -> None:
        """Annual and multi-year terms are billed every 3 or 12 months after the first."""
        every = self.accts.billing_months
        since = m - self.term_start_month
        idx = np.flatnonzero(
            (self.status == ACTIVE)
            & (self.term != MONTHLY)
            & (since > 0)
            & (since % every == 0)
            & (m < self.term_end_month)
        )
        share = every[idx] / 12
        self._invoice(idx, self.tl.on_anchor(m, self.accts.anchor[idx]), self._arr(idx) * share)
