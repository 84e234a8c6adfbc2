"""The hidden truth is written beside the tables and is what the tables reflect."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest

from csmetrics.demo import DemoManifest, generate

from .conftest import END


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> DemoManifest:
    """Enough CSMs (about 17) for a correlation across books to mean something."""
    folder = tmp_path_factory.mktemp("company")
    return generate(folder, accounts=1500, months=24, events_scale=0.01, seed=4, end_date=END)


def test_skilled_csms_retain_better_than_their_mix_predicts(company):
    d = company.out_dir
    frame = duckdb.sql(
        f"""
        with r as (
          select r.*, a.tier from read_parquet('{d}/truth/renewals.parquet') r
          join read_parquet('{d}/accounts.parquet') a using (account_id)
        ),
        base as (select tier, billing_term, avg(churned::int) as expected from r group by all),
        per as (
          select csm_id, avg(expected) - avg(churned::int) as beat
          from r join base using (tier, billing_term) group by 1 having count(*) >= 20
        )
        select beat, skill from per join read_parquet('{d}/truth/csm_skill.parquet') using (csm_id)
        """
    ).df()
    assert len(frame) >= 12
    assert np.corrcoef(frame.beat, frame.skill)[0, 1] > 0.3


def test_latent_health_drives_usage(demo):
    d = demo.out_dir
    corr = duckdb.sql(
        f"select corr(health, usage_ratio) from read_parquet('{d}/truth/account_months.parquet')"
    ).fetchall()[0][0]
    assert 0.5 < corr < 0.95


def test_skilled_csms_forecast_renewals_better(company):
    d = company.out_dir
    frame = duckdb.sql(
        f"""
        with f as (
          select account_id, quarter, csm_id, outcome, probability
          from read_parquet('{d}/renewal_forecasts.parquet')
          qualify row_number() over (partition by account_id, quarter order by submitted_at) = 1
        ),
        r as (
          select account_id, churned,
                 strftime(renewal_date, '%Y') || '-Q' || quarter(renewal_date) as quarter
          from read_parquet('{d}/truth/renewals.parquet') where billing_term <> 'monthly'
        )
        select csm_id, avg(power(
                 case when outcome = 'churn' then probability else 1 - probability end
                 - churned::int, 2)) as brier,
               any_value(s.skill) as skill
        from f join r using (account_id, quarter)
        join read_parquet('{d}/truth/csm_skill.parquet') s using (csm_id)
        group by 1 having count(*) >= 15
        """
    ).df()
    assert len(frame) >= 10
    assert np.corrcoef(frame.brier, frame.skill)[0, 1] < -0.3
