"""The cast: the CS organisation (with each CSM's hidden skill) and the customer accounts
(with their hidden product fit), drawn before any history is simulated."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csmetrics.demo.fx import FxRates
from csmetrics.demo.timeline import NA, Timeline, uniform_int
from csmetrics.demo.vocab import (
    COMPANY_PREFIXES,
    COMPANY_ROOTS,
    COMPANY_SUFFIXES,
    CS_TEAMS,
    FIRST_NAMES,
    LAST_NAMES,
    VENDOR_DOMAIN,
)

STRATEGIC, CORP, LOW_TOUCH = 0, 1, 2
MONTHLY, ANNUAL, MULTI_YEAR = 0, 1, 2  # codes into schema BILLING_TERMS
NA_REGION, EMEA, APAC = 0, 1, 2

# List price per seat per year in USD, by tier (enterprise gets a volume discount)
# and by product.
SEAT_PRICE_USD = np.array([1150.0, 950.0, 780.0])
PRODUCT_PRICE_FACTOR = np.array([1.0, 1.25, 0.8, 0.6])
_CSMS_PER_TEAM = np.array([4, 5, 4, 5])  # at 2,000 accounts


@dataclass(frozen=True, eq=False)
class Staff:
    """Everyone in CS. Index 0 is the leader, then one manager per team, then CSMs."""

    ids: list[str]
    names: list[str]
    role: np.ndarray  # 0 csm, 1 manager, 2 leader
    team: np.ndarray  # code into CS_TEAMS
    manager: np.ndarray  # staff index, -1 for the leader
    start_day: np.ndarray
    end_day: np.ndarray  # NA while employed
    skill: np.ndarray  # hidden: how much a CSM lifts health and saves renewals
    forecast_noise: np.ndarray  # hidden: sd of the CSM's error judging a renewal
    join_month: np.ndarray  # month index a mid-history joiner starts; -1 otherwise
    leave_month: np.ndarray  # month index a leaver leaves; -1 otherwise

    @property
    def n(self) -> int:
        return len(self.ids)

    def emails(self) -> list[str]:
        return [f"{n.lower().replace(' ', '.')}@{VENDOR_DOMAIN}" for n in self.names]

    def csms_of(self, team: int, day: int) -> np.ndarray:
        """CSMs (not managers) of ``team`` employed on ``day``."""
        employed = (self.start_day <= day) & ((self.end_day == NA) | (self.end_day > day))
        return np.flatnonzero((self.role == 0) & (self.team == team) & employed)


def build_staff(n_accounts: int, tl: Timeline, rng: np.random.Generator) -> Staff:
    """~20 CSMs in four teams at 2,000 accounts; two join mid-history and one leaves."""
    sizes = np.maximum(2, np.round(_CSMS_PER_TEAM * np.sqrt(n_accounts / 2000))).astype(int)
    team = [0, *range(len(CS_TEAMS))]
    role = [2] + [1] * len(CS_TEAMS)
    manager = [-1] + [0] * len(CS_TEAMS)
    for t, size in enumerate(sizes):
        team += [t] * int(size)
        role += [0] * int(size)
        manager += [1 + t] * int(size)
    n_initial = len(team)
    # Mid-history changes: a joiner in Corp Americas and in Scale, a leaver in Corp Intl.
    for t in (1, 3):
        team.append(t)
        role.append(0)
        manager.append(1 + t)
    n = len(team)
    join_month = np.full(n, -1)
    leave_month = np.full(n, -1)
    if tl.months >= 6:
        join_month[n_initial] = max(1, round(tl.months * 0.3))
        join_month[n_initial + 1] = max(2, round(tl.months * 0.55))
        leaver = n_initial - int(sizes[3]) - 1  # the last CSM of Corp International
        leave_month[leaver] = max(3, round(tl.months * 0.7))
    else:
        join_month[n_initial:] = 0

    start_month = -rng.integers(62, 96, n)
    start_month[0] = -132
    start_month[1 : 1 + len(CS_TEAMS)] = -rng.integers(96, 120, len(CS_TEAMS))
    joining = join_month >= 0
    start_month[joining] = join_month[joining]
    anchor = rng.integers(1, 29, n)
    anchor[joining] = 1
    start_day = tl.on_anchor(start_month, anchor)
    end_day = np.where(leave_month >= 0, tl.month_start(np.maximum(leave_month, 0)), NA)

    people = rng.choice(len(FIRST_NAMES) * len(LAST_NAMES), n, replace=False)
    names = [
        f"{FIRST_NAMES[p // len(LAST_NAMES)]} {LAST_NAMES[p % len(LAST_NAMES)]}" for p in people
    ]
    skill = rng.normal(0.0, 1.0, n)
    skill[: 1 + len(CS_TEAMS)] = 0.0
    return Staff(
        ids=[f"C{i + 1:02d}" for i in range(n)],
        names=names,
        role=np.asarray(role),
        team=np.asarray(team),
        manager=np.asarray(manager),
        start_day=start_day,
        end_day=end_day,
        skill=skill,
        forecast_noise=1.1 * np.exp(-0.45 * skill),
        join_month=join_month,
        leave_month=leave_month,
    )


@dataclass(frozen=True, eq=False)
class Accounts:
    """Per-account attributes fixed for the whole history (codes index the vocab)."""

    ids: list[str]
    names: list[str]
    tier: np.ndarray
    segment: np.ndarray
    industry: np.ndarray
    region: np.ndarray
    currency: np.ndarray
    cs_team: np.ndarray
    fit: np.ndarray  # hidden product fit: the long-run level health returns to
    finance: np.ndarray  # hidden: tendency to pay late
    habit: np.ndarray  # hidden: usage level unrelated to health
    acquire_month: np.ndarray  # -1: already a customer when history starts
    anchor: np.ndarray  # day of month (1-28) the terms start on
    term: np.ndarray  # MONTHLY / ANNUAL / MULTI_YEAR
    term_months: np.ndarray
    seats: np.ndarray  # seats at first purchase
    product: np.ndarray  # first product
    team: np.ndarray  # first customer team
    price: np.ndarray  # per seat per year, local currency, first product
    first_start: np.ndarray  # epoch day of the first term in force (existing customers)
    created_day: np.ndarray  # epoch day the account record was created (existing customers)
    survey_phase: np.ndarray  # month (mod 6) of the account's NPS survey
    billing_months: np.ndarray  # invoice every 3 or 12 months on annual and longer terms

    @property
    def n(self) -> int:
        return len(self.ids)


def _names(n: int, rng: np.random.Generator) -> list[str]:
    space = len(COMPANY_PREFIXES) * len(COMPANY_ROOTS) * len(COMPANY_SUFFIXES)
    picks = rng.choice(space, min(n, space), replace=False)
    out = []
    for i in range(n):
        p = int(picks[i % len(picks)])
        root, suffix = divmod(p, len(COMPANY_SUFFIXES))
        prefix, root = divmod(root, len(COMPANY_ROOTS))
        name = f"{COMPANY_PREFIXES[prefix]} {COMPANY_ROOTS[root]} {COMPANY_SUFFIXES[suffix]}"
        out.append(name if i < space else f"{name} {i // space + 1}")
    return out


def _pick(rng: np.random.Generator, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """One category per element, from the probability row ``probs[rows[i]]``."""
    cum = np.cumsum(probs[rows], axis=1)
    return (rng.random(len(rows))[:, None] > cum).sum(axis=1)


def build_accounts(n: int, tl: Timeline, fx: FxRates, rng: np.random.Generator) -> Accounts:
    tier = rng.choice(3, n, p=[0.08, 0.30, 0.62])
    segment = _pick(rng, np.array([[0.9, 0.1, 0.0], [0.25, 0.65, 0.1], [0.0, 0.2, 0.8]]), tier)
    region = rng.choice(3, n, p=[0.55, 0.30, 0.15])
    currency = np.where(region == EMEA, rng.choice(3, n, p=[0.45, 0.35, 0.20]), 0)
    industry = rng.choice(10, n, p=[0.2, 0.14, 0.1, 0.1, 0.08, 0.06, 0.06, 0.12, 0.08, 0.06])
    cs_team = np.select(
        [tier == STRATEGIC, (tier == CORP) & (region == NA_REGION), tier == CORP], [0, 1, 2], 3
    )

    existing = rng.random(n) < 0.4
    weights = np.exp(0.02 * np.arange(tl.months))
    acquire_month = np.where(existing, -1, rng.choice(tl.months, n, p=weights / weights.sum()))
    anchor = np.where(rng.random(n) < 0.35, 1, rng.integers(2, 29, n))
    term = _pick(rng, np.array([[0.0, 0.7, 0.3], [0.1, 0.8, 0.1], [0.4, 0.6, 0.0]]), tier)
    term_months = np.select(
        [term == MONTHLY, term == ANNUAL], [1, 12], np.where(rng.random(n) < 0.6, 24, 36)
    )

    arr_usd = np.select(
        [tier == STRATEGIC, tier == CORP],
        [
            np.maximum(118_000, 175_000 * np.exp(rng.normal(0, 0.45, n))),
            np.clip(45_000 * np.exp(rng.normal(0, 0.4, n)), 18_000, 95_000),
        ],
        np.clip(7_000 * np.exp(rng.normal(0, 0.6, n)), 1_500, 19_000),
    )
    product = np.where(rng.random(n) < 0.6, 0, 1)
    usd_price = SEAT_PRICE_USD[tier] * PRODUCT_PRICE_FACTOR[product]
    seats = np.maximum(3, np.ceil(arr_usd / usd_price)).astype(np.int64)
    rate = fx.usd(currency, np.maximum(acquire_month, 0))
    price = np.round(usd_price / rate, 0)
    team = rng.choice(3, n, p=[0.6, 0.25, 0.15])

    # Existing customers: the term in force on the first day started before it.
    first_month = -uniform_int(rng, np.ones(n), term_months + 1)
    first_start = np.where(existing, tl.on_anchor(first_month, anchor), NA)
    created_day = np.where(
        existing, first_start - np.where(rng.random(n) < 0.5, 0, rng.integers(0, 700, n)), NA
    )
    return Accounts(
        ids=[f"A{i + 1:05d}" for i in range(n)],
        names=_names(n, rng),
        tier=tier,
        segment=segment,
        industry=industry,
        region=region,
        currency=currency,
        cs_team=cs_team,
        fit=rng.normal(0.0, 1.0, n),
        finance=rng.normal(0.0, 1.0, n),
        habit=rng.normal(0.0, 1.0, n),
        acquire_month=acquire_month,
        anchor=anchor,
        term=term,
        term_months=term_months,
        seats=seats,
        product=product,
        team=team,
        price=price,
        first_start=first_start,
        created_day=created_day,
        survey_phase=rng.integers(0, 6, n),
        billing_months=np.where(rng.random(n) < 0.5, 3, 12),
    )


def product_price(
    accts: Accounts, idx: np.ndarray, product: np.ndarray, fx: FxRates, month: int
) -> np.ndarray:
    """Local-currency seat price of ``product`` for accounts ``idx`` at ``month``."""
    usd = SEAT_PRICE_USD[accts.tier[idx]] * PRODUCT_PRICE_FACTOR[product]
    return np.round(usd / fx.usd(accts.currency[idx], np.full(len(idx), month)), 0)


__all__ = ["Accounts", "Staff", "build_accounts", "build_staff", "product_price"]
