"""Churn responds to the signals a health score would use, measured on the tables only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from .queries import renewal_signals


@pytest.fixture(scope="module")
def renewals(demo) -> pd.DataFrame:
    return renewal_signals(demo.out_dir, demo.start_date.isoformat(), demo.end_date.isoformat())


def _auc(score: pd.Series, churned: pd.Series) -> float:
    rank = score.rank().to_numpy()
    y = churned.to_numpy(bool)
    pos, neg = y.sum(), (~y).sum()
    return float((rank[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


def test_there_are_enough_renewals_to_judge(renewals):
    assert len(renewals) > 500
    assert 0.03 < renewals.churned.mean() < 0.2


def test_high_usage_per_license_churns_far_less_than_low(renewals):
    tercile = renewals.usage.rank(pct=True)
    low = renewals[tercile <= 1 / 3].churned.mean()
    high = renewals[tercile > 2 / 3].churned.mean()
    assert high < 0.5 * low


def test_detractors_churn_more_than_promoters(renewals):
    assert (
        renewals[renewals.nps < 7].churned.mean() > 2 * renewals[renewals.nps >= 9].churned.mean()
    )


def test_overdue_invoices_raise_churn_at_term_renewals(renewals):
    term = renewals[renewals.billing_term != "monthly"]
    assert term[term.overdue > 0].churned.mean() > term[term.overdue == 0].churned.mean()


def test_many_tickets_raise_churn(renewals):
    load = renewals.tickets / np.sqrt(renewals.licenses)
    busy = load > load.quantile(0.8)
    assert renewals[busy].churned.mean() > 1.5 * renewals[~busy].churned.mean()


def test_a_simple_health_score_predicts_churn(renewals):
    """Hand weights, no fitting: usage, NPS, overdue invoices, ticket load."""
    nps = renewals.nps.fillna(7.5)
    score = (
        2.0 * renewals.usage.clip(0, 1.2)
        + 0.15 * (nps - 7.5)
        - 0.4 * (renewals.overdue > 0)
        - 0.1 * renewals.tickets / np.sqrt(renewals.licenses)
    )
    assert _auc(-score, renewals.churned) >= 0.68
