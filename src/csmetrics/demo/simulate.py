"""The monthly simulation: ownership, latent health, usage signals and the contract book.

Each month, in order: CSMs join or leave and accounts change owner; new logos and
returning (reactivated) customers start a term; health evolves; the month's usage,
tickets, champion changes and surveys are drawn from health; healthy accounts near
their seat cap buy more mid-term (co-terming rows); terms that end this month are
renewed, contracted, expanded or churned from the observed signals. Everything that
happened goes into ledgers; the table builders turn those into canonical rows.
"""

from __future__ import annotations

import numpy as np

from csmetrics.demo import behaviour as bh
from csmetrics.demo.book import (
    ACTIVE,
    CHURNED,
    CROSS_SELL,
    LINES,
    NEW,
    PROSPECT,
    REACTIVATION,
    RENEWAL,
    UPSELL,
    WHITESPACE,
    ContractBook,
)
from csmetrics.demo.company import (
    MONTHLY,
    Accounts,
    Staff,
    product_price,
)
from csmetrics.demo.fx import FxRates
from csmetrics.demo.history import History, Panels, new_ledgers
from csmetrics.demo.timeline import NA, Timeline, uniform_int

_CROSS_SELL_RATE = np.array([0.012, 0.008, 0.003])
_WHITESPACE_RATE = np.array([0.010, 0.006, 0.002])
_SURVEY_INVITES = np.array([12, 6, 3])
REASSIGN_RATE = 0.004
REACTIVATION_RATE = 0.2


class Simulation(ContractBook):
    """Mutable per-account state stepped month by month (vectorised over accounts)."""

    def __init__(
        self, tl: Timeline, staff: Staff, accts: Accounts, fx: FxRates, rng: np.random.Generator
    ) -> None:
        n, months = accts.n, tl.months
        self.tl, self.staff, self.accts, self.fx, self.rng = tl, staff, accts, fx, rng
        self.status = np.zeros(n, np.int8)
        self.h = np.zeros(n)
        self.owner = np.full(n, -1)
        self.created = accts.created_day.copy()
        self.term = accts.term.copy()
        self.term_months = accts.term_months.copy()
        self.term_start = np.zeros(n, np.int64)
        self.term_start_month = np.zeros(n, np.int64)
        self.term_end = np.zeros(n, np.int64)
        self.term_end_month = np.zeros(n, np.int64)
        self.lic = np.zeros((n, LINES), np.int64)
        self.price = np.zeros((n, LINES))
        self.on = np.zeros((n, LINES), bool)
        self.product = np.zeros((n, LINES), np.int64)
        self.team = np.zeros((n, LINES), np.int64)
        self.team[:, :2] = accts.team[:, None]
        self.team[:, 2] = (accts.team + rng.integers(1, 6, n)) % 6
        self.champion = np.zeros(n, bool)
        self.champion_never = np.zeros(n, bool)
        self.champion_lost = np.full(n, -999)
        self.od_from = np.full(n, -(10**6), np.int64)
        self.od_to = np.full(n, -(10**6), np.int64)
        self.nps = np.full(n, np.nan)
        self.nps_month = np.full(n, -999)
        self.reactivate_at = np.full(n, -1)
        self.episode_month = np.zeros(n, np.int64)
        self.moved = np.full(n, -999)
        self.churn_day = np.full(n, NA)
        self.p = Panels.empty(n, months)
        self.books = new_ledgers()

    # -- helpers ------------------------------------------------------------------------

    def _skill(self, idx: np.ndarray) -> np.ndarray:
        return self.staff.skill[self.owner[idx]]

    def _assign(self, idx: np.ndarray, day: np.ndarray) -> None:
        """Give each account the least-loaded CSM of its team (ties broken at random)."""
        load = np.bincount(self.owner[self.owner >= 0], minlength=self.staff.n).astype(float)
        for i, d in zip(idx.tolist(), day.tolist(), strict=True):
            pool = self.staff.csms_of(int(self.accts.cs_team[i]), d)
            if len(pool) == 0:  # a team between hires: the leader's pick from any team
                pool = np.flatnonzero(self.staff.role == 0)[:1]
            if self.owner[i] in pool:
                continue
            pick = pool[np.argmin(load[pool] + self.rng.random(len(pool)) * 3)]
            load[pick] += 1
            self.owner[i] = pick
            self.books.assignments.add(acc=i, csm=pick, day=d)

    def _move(self, idx: np.ndarray, to: np.ndarray, day: np.ndarray, month: int) -> None:
        self.owner[idx] = to
        self.moved[idx] = month
        self.books.assignments.add(acc=idx, csm=to, day=day)

    def _level(self, idx: np.ndarray, month: int) -> np.ndarray:
        return bh.long_run_level(
            self.accts.fit[idx],
            self._skill(idx),
            self.accts.tier[idx],
            self.champion[idx],
            (month - self.moved[idx]) < 3,
        )

    # -- history start ----------------------------------------------------------------------

    def start_existing(self) -> None:
        """Customers on the books before the first month, mid-term on day one."""
        a = self.accts
        idx = np.flatnonzero(a.acquire_month < 0)
        self._assign(idx, a.created_day[idx])
        self._open_lines(idx)
        start_month = self.tl.month_of(a.first_start[idx])
        self._start_term(idx, a.first_start[idx], start_month)
        self.champion[idx] = True
        self.champion_never[idx] = self.rng.random(len(idx)) < 0.25
        self.h[idx] = self._level(idx, 0) + self.rng.normal(0, 0.45, len(idx))
        self.status[idx] = ACTIVE
        self.episode_month[idx] = self.tl.month_of(a.created_day[idx])
        self.books.episodes.add(acc=idx, start=a.created_day[idx], kind=NEW)
        self._emit_term(idx, NEW)

    # -- monthly step -------------------------------------------------------------------------

    def step(self, m: int) -> None:
        self.churn_day[:] = NA
        self._reassign(m)
        started = self._activate(m)
        running = (self.status == ACTIVE) & ~started
        idx = np.flatnonzero(running)
        self.h[idx] = bh.evolve(self.h[idx], self._level(idx, m), self.rng)
        self._observe(m)
        self._champions(m, running)
        self._survey(m)
        self._expand(m, running)
        self._renew(m)
        self._periodic_invoices(m)
        self._record(m, started)

    def _reassign(self, m: int) -> None:
        staff, rng, day0 = self.staff, self.rng, int(self.tl.month_start(m))
        for s in np.flatnonzero(staff.join_month == m):
            others = staff.csms_of(int(staff.team[s]), day0)
            others = others[others != s]
            for o in others:
                book = np.flatnonzero(self.owner == o)
                take = book[rng.random(len(book)) < 1 / (len(others) + 1)]
                self._move(take, np.full(len(take), s), np.full(len(take), day0), m)
        for s in np.flatnonzero(staff.leave_month == m):
            book = np.flatnonzero(self.owner == s)
            pool = staff.csms_of(int(staff.team[s]), day0)
            if len(book) and len(pool):
                self._move(
                    book, pool[rng.integers(0, len(pool), len(book))], np.full(len(book), day0), m
                )
        draw = rng.random(len(self.owner))
        owned = np.flatnonzero((self.status == ACTIVE) & (draw < REASSIGN_RATE))
        for i in owned.tolist():
            pool = staff.csms_of(int(self.accts.cs_team[i]), day0)
            pool = pool[pool != self.owner[i]]
            if len(pool):
                day = day0 + int(rng.integers(1, 28))
                self._move(np.array([i]), pool[rng.integers(0, len(pool), 1)], np.array([day]), m)

    def _activate(self, m: int) -> np.ndarray:
        """New logos and reactivations start a term (and an onboarding) this month."""
        a, rng = self.accts, self.rng
        new = (a.acquire_month == m) & (self.status == PROSPECT)
        back = (self.status == CHURNED) & (self.reactivate_at == m)
        started = new | back
        idx = np.flatnonzero(started)
        if len(idx) == 0:
            return started
        day = self.tl.on_anchor(m, a.anchor[idx])
        close = day - rng.integers(0, 11, len(idx))
        fresh = new[idx]
        self.created[idx[fresh]] = close[fresh]
        # a returning customer is (re)assigned on its start day, after any move this month
        self._assign(idx, np.where(fresh, close, day))
        last_lic = self.lic[idx, 0].copy()
        self._open_lines(idx)
        returning = idx[~fresh]
        self.lic[returning, 0] = np.maximum(
            3, np.round(last_lic[~fresh] * rng.uniform(0.5, 1.0, len(returning)))
        )
        self.price[returning, 0] = product_price(a, returning, a.product[returning], self.fx, m)
        self._start_term(idx, day, np.full(len(idx), m))

        tier = a.tier[idx]
        days = bh.ONBOARDING_MEDIAN_DAYS[tier] * np.exp(
            -0.2 * self._skill(idx) + rng.normal(0, 0.45, len(idx))
        )
        self.champion[idx] = True
        self.champion_never[idx] = rng.random(len(idx)) < 0.25
        self.h[idx] = (
            self._level(idx, m)
            + rng.normal(0, 0.5, len(idx))
            - 0.35 * np.log(days / bh.ONBOARDING_MEDIAN_DAYS[tier])
        )
        self.status[idx] = ACTIVE
        self.episode_month[idx] = m
        kind = np.where(fresh, NEW, REACTIVATION)
        self.books.episodes.add(acc=idx, start=day, kind=kind)
        rows = self._emit_term(idx, NEW) if fresh.all() else self._emit_mixed(idx, fresh)
        self.books.onboardings.add(
            acc=idx,
            contract=rows,
            closed_deal=close,
            days=np.round(days),
            kind=kind,
            stalled=rng.random(len(idx)) < 0.04,
        )
        return started

    def _emit_mixed(self, idx: np.ndarray, fresh: np.ndarray) -> np.ndarray:
        rows = np.empty(len(idx), np.int64)
        rows[fresh] = self._emit_term(idx[fresh], NEW)
        rows[~fresh] = self._emit_term(idx[~fresh], REACTIVATION)
        return rows

    def _observe(self, m: int) -> None:
        idx = np.flatnonzero(self.status == ACTIVE)
        h, p, rng = self.h[idx], self.p, self.rng
        lic = (self.lic[idx] * self.on[idx]).sum(axis=1)
        p.h[idx, m] = h
        habit = self.accts.habit[idx]
        p.usage[idx, m] = bh.active_ratio(h, habit, rng)
        p.key[idx, m] = bh.key_feature_share(h, habit, rng)
        p.licenses[idx, m] = lic
        onboarding = (m - self.episode_month[idx]) < 3
        p.tickets[idx, m] = rng.poisson(bh.ticket_rate(h, lic, onboarding))
        self._snapshot_seats(idx, m)

    def _champions(self, m: int, running: np.ndarray) -> None:
        rng, n = self.rng, len(self.h)
        day0, days = (
            int(self.tl.month_start(m)),
            int(self.tl.month_start(m + 1) - self.tl.month_start(m)),
        )
        leave = running & self.champion & (rng.random(n) < bh.champion_leave_rate(self.h))
        idx = np.flatnonzero(leave)
        self.champion[idx] = False
        self.champion_lost[idx] = m
        self.books.champions.add(acc=idx, day=day0 + rng.integers(0, days, len(idx)), joined=False)
        back = running & ~self.champion & ~self.champion_never & (m > self.champion_lost)
        idx = np.flatnonzero(back & (rng.random(n) < 0.3))
        self.champion[idx] = True
        self.books.champions.add(acc=idx, day=day0 + rng.integers(0, days, len(idx)), joined=True)

    def _survey(self, m: int) -> None:
        a, rng = self.accts, self.rng
        due = (
            (self.status == ACTIVE)
            & ((m - a.survey_phase) % 6 == 0)
            & (m - self.episode_month >= 2)
        )
        idx = np.flatnonzero(due)
        invites = np.clip(self.p.licenses[idx, m] // 3, 1, _SURVEY_INVITES[a.tier[idx]])
        answers = rng.binomial(invites, bh.survey_response_rate(self.h[idx]))
        self.books.nps_sends.add(acc=idx, month=m, invites=invites)
        who = np.repeat(idx, answers)
        scores = bh.nps_scores(self.h[who], rng)
        self.books.nps_answers.add(acc=who, month=m, score=scores)
        answered = idx[answers > 0]
        total = np.bincount(who, weights=scores, minlength=len(self.h))
        self.nps[answered] = total[answered] / answers[answers > 0]
        self.nps_month[answered] = m

    def _expand(self, m: int, running: np.ndarray) -> None:
        """Mid-term purchases, co-termed with the current term."""
        a, rng, n = self.accts, self.rng, len(self.h)
        lo = np.maximum(self.tl.month_start(m), self.term_start + 1)
        hi = np.minimum(self.tl.month_start(m + 1), self.term_end - 1)
        monthly = self.term == MONTHLY
        room = running & (hi > lo) & (monthly | (self.term_end - lo > 60))
        factor = np.where(monthly, 0.3, 1.0)
        usage = np.nan_to_num(self.p.usage[:, m])
        tier = a.tier
        draws = rng.random((3, n))
        upsell = room & (draws[0] < factor * bh.midterm_upsell_probability(self.h, usage))
        cross = (
            room
            & ~self.on[:, 1]
            & (draws[1] < factor * _CROSS_SELL_RATE[tier] * np.exp(0.6 * self.h))
        )
        white = (
            room
            & ~self.on[:, 2]
            & (draws[2] < factor * _WHITESPACE_RATE[tier] * np.exp(0.6 * self.h))
        )

        idx = np.flatnonzero(upsell)
        delta = np.maximum(1, np.round(self.lic[idx, 0] * rng.uniform(0.1, 0.35, len(idx)))).astype(
            np.int64
        )
        self._coterm(idx, 0, delta, UPSELL, m, uniform_int(rng, lo[idx], hi[idx]))

        idx = np.flatnonzero(cross)
        self.product[idx, 1] = (self.product[idx, 0] + rng.integers(1, 4, len(idx))) % 4
        self.price[idx, 1] = product_price(a, idx, self.product[idx, 1], self.fx, m)
        delta = np.maximum(2, np.round(self.lic[idx, 0] * rng.uniform(0.3, 0.8, len(idx)))).astype(
            np.int64
        )
        self._coterm(idx, 1, delta, CROSS_SELL, m, uniform_int(rng, lo[idx], hi[idx]))

        idx = np.flatnonzero(white)
        self.product[idx, 2] = self.product[idx, 0]
        self.price[idx, 2] = self.price[idx, 0]
        delta = np.maximum(2, np.round(self.lic[idx, 0] * rng.uniform(0.2, 0.6, len(idx)))).astype(
            np.int64
        )
        self._coterm(idx, 2, delta, WHITESPACE, m, uniform_int(rng, lo[idx], hi[idx]))

    def signals(self, idx: np.ndarray, m: int, day: np.ndarray) -> bh.RenewalSignals:
        """The observable state of accounts ``idx`` in month ``m`` (decision day ``day``)."""
        p = self.p
        usage = np.nan_to_num(p.usage[idx, m], nan=0.5)
        earlier = p.usage[idx, max(0, m - 3) : m]
        with np.errstate(invalid="ignore"):
            before = np.nanmean(earlier, axis=1) if earlier.shape[1] else np.full(len(idx), np.nan)
        drop = np.nan_to_num(before - usage)
        tickets = p.tickets[idx, max(0, m - 2) : m + 1].sum(axis=1)
        expected = 3 * bh.ticket_rate(
            np.zeros(len(idx)), p.licenses[idx, m], np.zeros(len(idx), bool)
        )
        recent_nps = np.where(m - self.nps_month[idx] <= 12, self.nps[idx], np.nan)
        return bh.RenewalSignals(
            tier=self.accts.tier[idx],
            term=self.term[idx],
            h=self.h[idx],
            usage=usage,
            usage_drop=drop,
            nps=recent_nps,
            ticket_excess=tickets / np.maximum(expected, 0.1) - 1,
            overdue=(self.od_from[idx] < day) & (self.od_to[idx] > day - 180),
            champion_gone=~self.champion[idx],
            skill=self._skill(idx),
        )

    def _renew(self, m: int) -> None:
        rng, tl = self.rng, self.tl
        idx = np.flatnonzero((self.status == ACTIVE) & (self.term_end < tl.month_start(m + 1)))
        if len(idx) == 0:
            return
        end = self.term_end[idx]
        s = self.signals(idx, m, end)
        z = bh.churn_logit(s)
        p_contract = bh.contraction_probability(s)
        churn = rng.random(len(idx)) < bh.sigmoid(z)
        contract = ~churn & (rng.random(len(idx)) < p_contract)
        expand = ~churn & ~contract & (rng.random(len(idx)) < bh.expansion_probability(s))
        arr_before = self._arr(idx) * self._usd(idx, m)

        gone = idx[churn]
        self.status[gone] = CHURNED
        self.on[gone] = False
        self.churn_day[gone] = self.term_end[gone]
        monthly = self.term[gone] == MONTHLY
        notice = rng.random(len(gone)) < 0.6
        lead = np.where(monthly, rng.integers(1, 21, len(gone)), rng.integers(20, 91, len(gone)))
        cancel = np.maximum(self.term_end[gone] - lead, self.term_start[gone])
        self.books.cancellations.add(
            acc=gone[notice], end=self.term_end[gone][notice], day=cancel[notice]
        )
        self.books.churns.add(acc=gone, day=self.term_end[gone])
        comeback = rng.random(len(gone)) < REACTIVATION_RATE
        self.reactivate_at[gone] = np.where(comeback, m + rng.integers(4, 16, len(gone)), -1)

        kept = idx[~churn]
        self._resize(kept, contract[~churn], expand[~churn])
        self._switch_terms(kept)
        uplift = np.where(self.term[kept] == MONTHLY, 1.0, 1 + rng.uniform(0, 0.05, len(kept)))
        self.price[kept] = np.round(self.price[kept] * uplift[:, None], 0)
        self._start_term(kept, self.term_end[kept], self.term_end_month[kept])
        self._emit_term(kept, RENEWAL)
        self._snapshot_seats(kept, m)
        self.books.renewals.add(
            acc=idx,
            month=m,
            day=end,
            term=s.term,
            z=z,
            p_contract=p_contract,
            churned=churn,
            contracted=contract,
            expanded=expand,
            arr_before_usd=arr_before,
            arr_after_usd=self._arr(idx) * self._usd(idx, m),
            owner=self.owner[idx],
        )

    def _record(self, m: int, started: np.ndarray) -> None:
        p, tl = self.p, self.tl
        churned_now = self.churn_day != NA
        live = (self.status == ACTIVE) | churned_now
        p.lo[live, m] = np.where(started[live], self.term_start[live], tl.month_start(m))
        p.hi[live, m] = np.where(churned_now[live], self.churn_day[live], tl.month_start(m + 1))
        p.owner[:, m] = self.owner
        p.champion[:, m] = self.champion

    def history(self) -> History:
        tl, m = self.tl, self.tl.months - 1
        quarter_end = int(tl.month_start(tl.months + 3 - (tl.end.month - 1) % 3))
        idx = np.flatnonzero(
            (self.status == ACTIVE)
            & (self.term != MONTHLY)
            & (self.term_end >= tl.end_day)
            & (self.term_end < max(quarter_end, tl.end_day + 120))
        )
        s = self.signals(idx, m, self.term_end[idx])
        return History(
            tl=tl,
            staff=self.staff,
            accts=self.accts,
            fx=self.fx,
            books=self.books,
            panels=self.p,
            created=self.created,
            owner=self.owner.copy(),
            status=self.status.copy(),
            team_b=self.team[:, 2].copy(),
            upcoming=dict(
                acc=idx,
                day=self.term_end[idx],
                term=self.term[idx],
                z=bh.churn_logit(s),
                p_contract=bh.contraction_probability(s),
                owner=self.owner[idx],
                arr_usd=self._arr(idx) * self._usd(idx, m),
            ),
        )


def simulate(
    tl: Timeline, staff: Staff, accts: Accounts, fx: FxRates, rng: np.random.Generator
) -> History:
    sim = Simulation(tl, staff, accts, fx, rng)
    sim.start_existing()
    for m in range(tl.months):
        sim.step(m)
    return sim.history()


__all__ = ["Simulation", "simulate"]
