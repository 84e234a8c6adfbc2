"""How latent health shows up in observable signals, and how signals decide renewals.

This is the causal core of the demo, in one place so it can be read and tuned:

* Each account has a latent health ``h`` (about standard normal across accounts). It
  mean-reverts monthly towards a level set by product fit, tier and the owning CSM's
  skill, minus penalties (champion gone, a recent change of owner, a slow onboarding),
  with noise and rare negative shocks (budget cuts, reorganisations).
* Usage (share of licenses active), key-feature use, ticket volume, survey scores,
  late payment, marketing engagement, advocacy and champion departure all derive from
  ``h`` with their own noise, so each signal alone is a weak predictor.
* At each renewal, churn and contraction are logistic in the *observed* signals
  (usage drop, low NPS, many tickets, overdue invoices, champion left) plus ``h`` and
  a direct "save" effect of CSM skill; expansion rises with health and with usage near
  the license cap. A good health score built from the tables therefore predicts churn,
  and a skilled CSM's book retains better than its mix alone would predict.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from csmetrics.demo.company import ANNUAL, MONTHLY, MULTI_YEAR
from csmetrics.demo.timeline import sigmoid

REVERSION = 0.15  # share of the gap to the long-run level closed each month
HEALTH_NOISE = 0.25
SHOCK_RATE = 0.015
TIER_LEVEL = np.array([0.2, 0.0, -0.1])  # strategic, corp, low_touch
ONBOARDING_MEDIAN_DAYS = np.array([75.0, 28.0, 18.0])


def long_run_level(
    fit: np.ndarray, skill: np.ndarray, tier: np.ndarray, champion: np.ndarray, moved: np.ndarray
) -> np.ndarray:
    """Where health drifts to: fit and CSM skill lift it; losing the champion or a
    recent change of owner pulls it down."""
    return 0.65 * fit + 0.35 * skill + TIER_LEVEL[tier] - 0.55 * ~champion - 0.25 * moved


def evolve(h: np.ndarray, level: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    shock = (rng.random(len(h)) < SHOCK_RATE) * np.abs(rng.normal(1.0, 0.3, len(h)))
    return h + REVERSION * (level - h) + HEALTH_NOISE * rng.normal(size=len(h)) - shock


def active_ratio(h: np.ndarray, habit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Monthly active users / licenses; ``habit`` is a per-account offset unrelated to
    health (seasonal teams, shelfware bought up front), which keeps usage noisy."""
    noise = rng.normal(size=len(h))
    return np.clip(sigmoid(0.35 + 0.9 * h + 0.5 * habit + 0.3 * noise), 0.03, 0.98)


def key_feature_share(h: np.ndarray, habit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Probability that an active user uses a key feature in the month."""
    return sigmoid(-1.0 + 0.8 * h + 0.3 * habit + 0.3 * rng.normal(size=len(h)))


def ticket_rate(h: np.ndarray, licenses: np.ndarray, onboarding: np.ndarray) -> np.ndarray:
    """Expected support tickets per month: grows with seats, falls with health."""
    return (
        0.045 * np.power(np.maximum(licenses, 1), 0.6) * np.exp(-0.55 * h) * (1 + 0.6 * onboarding)
    )


def nps_scores(h: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    return np.clip(np.round(7.6 + 1.6 * h + rng.normal(0, 1.7, len(h))), 0, 10).astype(np.int64)


def survey_response_rate(h: np.ndarray) -> np.ndarray:
    return sigmoid(-1.0 + 0.45 * h)


def champion_leave_rate(h: np.ndarray) -> np.ndarray:
    return 0.008 * np.exp(-0.7 * h)


def late_payment_rate(h: np.ndarray, finance: np.ndarray) -> np.ndarray:
    return sigmoid(-2.3 - 1.0 * h + 0.7 * finance)


@dataclass(frozen=True)
class RenewalSignals:
    """What is known about an account when its renewal is decided."""

    tier: np.ndarray
    term: np.ndarray
    h: np.ndarray
    usage: np.ndarray  # active ratio this month
    usage_drop: np.ndarray  # earlier 3-month mean minus this month (positive = drop)
    nps: np.ndarray  # mean NPS of the last survey within a year, NaN if none
    ticket_excess: np.ndarray  # tickets in 3 months / what a healthy account files, minus 1
    overdue: np.ndarray  # an invoice was overdue at some time in the last 180 days
    champion_gone: np.ndarray
    skill: np.ndarray


_CHURN_BASE = np.array([-3.3, -2.7, -2.0])  # strategic, corp, low_touch (annual terms)
_TERM_SHIFT = {MONTHLY: -2.6, ANNUAL: 0.0, MULTI_YEAR: -0.4}


def churn_logit(s: RenewalSignals) -> np.ndarray:
    term_shift = np.select(
        [s.term == MONTHLY, s.term == MULTI_YEAR],
        [_TERM_SHIFT[MONTHLY], _TERM_SHIFT[MULTI_YEAR]],
        0.0,
    )
    nps = np.where(np.isnan(s.nps), 7.5, s.nps)
    return (
        _CHURN_BASE[s.tier]
        + term_shift
        - 0.7 * s.h
        + 2.5 * s.usage_drop
        - 1.2 * (s.usage - 0.55)
        - 0.2 * (nps - 7.5)
        + 0.3 * np.clip(s.ticket_excess, -1, 4)
        + 1.1 * s.overdue
        + 0.9 * s.champion_gone
        - 0.3 * s.skill
    )


def contraction_probability(s: RenewalSignals) -> np.ndarray:
    """Given a renewal: right-size down when seats sit unused or the account is unhappy.
    Monthly terms renew twelve times a year, so their per-renewal odds are a twelfth."""
    return _per_term(s.term) * sigmoid(
        -1.8 - 0.5 * s.h - 3.0 * (s.usage - 0.5) + 0.4 * s.overdue + 0.4 * s.champion_gone
    )


def expansion_probability(s: RenewalSignals) -> np.ndarray:
    """Given a renewal without contraction: buy more when healthy and near the seat cap."""
    return _per_term(s.term) * sigmoid(-1.6 + 0.6 * s.h + 4.0 * (s.usage - 0.75) + 0.2 * s.skill)


def _per_term(term: np.ndarray) -> np.ndarray:
    return np.where(term == MONTHLY, 1 / 12, 1.0)


def midterm_upsell_probability(h: np.ndarray, usage: np.ndarray) -> np.ndarray:
    return sigmoid(-4.6 + 0.7 * h + 6.0 * (usage - 0.85))
