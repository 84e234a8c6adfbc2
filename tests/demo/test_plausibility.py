"""The demo company looks like a B2B SaaS vendor, computed from its own tables."""

from __future__ import annotations

from datetime import date

from csmetrics.demo.company import build_staff
from csmetrics.demo.timeline import Timeline, stream

from .conftest import scalar


def test_tiers_follow_arr_strategic_above_100k_and_low_touch_small(db):
    first_terms = """
      with rows as (
        select c.account_id, c.start_date, c.arr * r.rate as arr_usd,
               min(c.start_date) over (partition by c.account_id) as first_start
        from contracts c join fx_rates r on r.currency = c.currency
         and r.rate_date = date_trunc('month', c.start_date)
      ),
      f as (
        select account_id, sum(arr_usd) as arr_usd from rows
        where start_date = first_start group by 1
      )
      select a.tier, min(arr_usd), median(arr_usd), max(arr_usd)
      from f join accounts a using (account_id) group by 1
    """
    by_tier = {t: (lo, mid, hi) for t, lo, mid, hi in db.execute(first_terms).fetchall()}
    assert by_tier["strategic"][0] > 100_000
    assert by_tier["corp"][1] > 20_000
    assert by_tier["low_touch"][1] < 20_000 < by_tier["corp"][1] < 100_000


def test_the_cs_org_is_about_twenty_csms_in_four_teams_at_default_size():
    tl = Timeline.ending(date(2026, 5, 1), 36)
    staff = build_staff(2000, tl, stream(7, "staff"))
    assert (staff.role == 0).sum() == 20
    assert (staff.role == 1).sum() == 4 and (staff.role == 2).sum() == 1
    assert (staff.join_month > 0).sum() == 2 and (staff.leave_month > 0).sum() == 1


def test_managers_and_the_leader_own_no_accounts_and_report_upwards(db):
    owners = "select csm_id from accounts union select csm_id from assignments"
    roles = db.execute(f"select distinct role from csms where csm_id in ({owners})").fetchall()
    assert roles == [("csm",)]
    assert scalar(db, "select count(*) from csms where manager_id is null") == 1
    assert scalar(db, "select count(*) from csms where start_date > DATE '2024-05-01'") >= 2
    assert scalar(db, "select count(*) from csms where end_date is not null") == 1


def test_assignment_history_ends_with_the_current_owner(db):
    reassigned = scalar(
        db,
        "select count(*) from (select account_id from assignments group by 1 having count(*) > 1)",
    )
    assert reassigned > 10
    mismatched = scalar(
        db,
        "select count(*) from assignments s join accounts a using (account_id) "
        "where s.valid_to is null and s.csm_id <> a.csm_id",
    )
    assert mismatched == 0
    assert scalar(
        db, "select count(distinct account_id) from assignments where valid_to is null"
    ) == scalar(db, "select count(*) from accounts")
    gaps = scalar(
        db,
        "select count(*) from (select valid_to, lead(valid_from) over w as nxt from assignments "
        "window w as (partition by account_id order by valid_from)) where valid_to is distinct from nxt",
    )
    assert gaps == 0


def test_contracts_renew_expand_contract_cross_sell_and_come_back(db):
    renewals = scalar(
        db,
        "select count(*) from contracts c where exists (select 1 from contracts p "
        "where p.account_id = c.account_id and p.product = c.product and p.end_date = c.start_date)",
    )
    contractions = scalar(
        db,
        "select count(*) from contracts c join contracts p on p.account_id = c.account_id "
        "and p.product = c.product and p.customer_team = c.customer_team and p.end_date = c.start_date "
        "where c.licenses < p.licenses and c.billing_term <> 'monthly' and p.billing_term <> 'monthly'",
    )
    coterm = scalar(
        db,
        "select count(*) from contracts c join contracts p on p.account_id = c.account_id "
        "and p.product = c.product and p.end_date = c.end_date and p.start_date < c.start_date",
    )
    cross = scalar(
        db,
        "select count(*) from (select account_id from contracts group by 1 having count(distinct product) > 1)",
    )
    whitespace = scalar(
        db,
        "select count(*) from (select account_id from contracts group by 1 having count(distinct customer_team) > 1)",
    )
    reactivated = scalar(
        db,
        "select count(distinct c.account_id) from contracts c where c.start_date > "
        "(select min(start_date) from contracts) and not exists (select 1 from contracts p "
        "where p.account_id = c.account_id and p.start_date < c.start_date and p.end_date >= c.start_date) "
        "and exists (select 1 from contracts p where p.account_id = c.account_id and p.end_date < c.start_date)",
    )
    cancelled = scalar(db, "select count(*) from contracts where cancelled_at is not null")
    terms = {t for (t,) in db.execute("select distinct billing_term from contracts").fetchall()}
    assert renewals > 100 and contractions > 5 and coterm > 5
    assert cross > 5 and whitespace > 5 and reactivated >= 3 and cancelled > 5
    assert terms == {"monthly", "annual", "multi_year"}


def test_a_few_accounts_pay_in_euros_and_pounds_at_drifting_rates(db):
    currencies = dict(
        db.execute(
            "select currency, count(distinct account_id) from contracts group by 1"
        ).fetchall()
    )
    assert {"USD", "EUR", "GBP"} <= set(currencies)
    assert currencies["USD"] > 4 * (currencies["EUR"] + currencies["GBP"])
    spread = scalar(db, "select max(rate) / min(rate) from fx_rates where currency = 'EUR'")
    assert spread > 1.03


def test_onboardings_mostly_within_30_days_strategic_slower_some_late_some_open(db):
    rows = db.execute(
        "select a.tier, avg((closed_at - deal_closed_at <= 30)::int), median(closed_at - deal_closed_at) "
        "from onboardings o join accounts a using (account_id) where closed_at is not null group by 1"
    ).fetchall()
    within = {t: share for t, share, _ in rows}
    median = {t: days for t, _, days in rows}
    assert within["low_touch"] > 0.6 and within["strategic"] < 0.5
    assert median["strategic"] > max(median["corp"], median["low_touch"])
    assert scalar(db, "select count(*) from onboardings where closed_at is null") > 3
    assert scalar(db, "select avg((closed_at - deal_closed_at <= 30)::int) from onboardings") > 0.5


def test_invoices_some_paid_late_some_overdue(db):
    assert scalar(db, "select count(*) from invoices where paid_at > due_at") > 20
    assert (
        scalar(
            db, "select count(*) from invoices where paid_at is null and due_at < DATE '2026-05-01'"
        )
        > 3
    )


def test_tickets_some_never_answered_some_open_some_escalated(db):
    assert scalar(db, "select count(*) from tickets where first_response_at is null") > 5
    assert scalar(db, "select count(*) from tickets where resolved_at is null") > 5
    assert scalar(db, "select count(*) from tickets where escalated") > 5
    by = dict(
        db.execute(
            "select priority, median(epoch(first_response_at - opened_at)) from tickets group by 1"
        ).fetchall()
    )
    assert by["urgent"] < by["high"] < by["normal"] < by["low"]


def test_survey_response_rates_are_realistic(db):
    rates = db.execute(
        "select s.survey, (select count(*) from survey_responses r where r.survey = s.survey) / count(*) "
        "from survey_sends s group by 1"
    ).fetchall()
    for survey, rate in rates:
        assert 0.15 < rate < 0.45, (survey, rate)
    assert (
        scalar(
            db, "select count(*) from survey_responses where survey = 'nps' and comment is not null"
        )
        > 10
    )


def test_every_kind_of_advocacy_activity_engagement_and_plan_status_appears(db):
    for table, column, expected in (
        ("advocacy", "type", 6),
        ("activities", "type", 6),
        ("engagements", "action", 6),
        ("success_plans", "status", 4),
        ("opportunities", "type", 3),
        ("renewal_forecasts", "outcome", 3),
        ("costs", "category", 4),
    ):
        assert scalar(db, f"select count(distinct {column}) from {table}") == expected, table
    assert scalar(db, "select count(*) from advocacy where confirmed_by_champion") > 0
    assert (
        scalar(
            db, "select avg((next_meeting_at is not null)::int) from activities where type = 'qbr'"
        )
        > 0.3
    )


def test_champions_leave_and_are_replaced(db):
    gone = scalar(
        db, "select count(*) from users where role = 'champion' and deactivated_at is not null"
    )
    several = scalar(
        db,
        "select count(*) from (select account_id from users where role = 'champion' group by 1 having count(*) > 1)",
    )
    assert gone > 5 and several > 3


def test_event_types_include_key_features_and_noise(db):
    types = {t for (t,) in db.execute("select distinct event_type from events").fetchall()}
    assert {
        "sign_in",
        "meeting_booked",
        "settings_changed",
        "routing_rule_created",
        "calendar_connected",
        "report_viewed",
        "page_view",
    } == types


def test_users_act_only_for_their_own_account_while_provisioned(db):
    for table, column in (
        ("events", "event_time"),
        ("survey_sends", "sent_at"),
        ("engagements", "occurred_at"),
    ):
        outside = scalar(
            db,
            f"select count(*) from {table} t left join users u using (user_id) "
            f"where u.user_id is null or u.account_id <> t.account_id "
            f"or t.{column} < u.created_at "
            f"or (t.{column} >= u.deactivated_at and '{table}' = 'events')",
        )
        assert outside == 0, table


def test_monthly_active_users_fill_about_six_in_ten_licenses(db):
    share = scalar(
        db,
        """
        with mau as (
          select count(distinct user_id) as mau from events
          where event_type in ('sign_in', 'meeting_booked', 'settings_changed')
            and event_time >= DATE '2026-03-01' and event_time < DATE '2026-04-01'
        ),
        seats as (
          select sum(licenses) as licenses from contracts
          where start_date <= DATE '2026-03-15' and end_date > DATE '2026-03-15'
        )
        select mau / licenses from mau, seats
        """,
    )
    assert 0.4 < share < 0.85
