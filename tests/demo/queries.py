"""SQL over the generated Parquet files: renewals with the signals observable before them.

Used by the plausibility tests; reads only the canonical tables (never ``truth/``).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

RENEWAL_SIGNALS = """
with c as (select * from read_parquet('{d}/contracts.parquet')),
ends as (  -- each distinct term end before the horizon, per account
  select account_id, end_date as day, any_value(billing_term) as billing_term
  from c where end_date < DATE '{end}' group by 1, 2
),
outcome as (
  select e.*, not exists (
    select 1 from c x where x.account_id = e.account_id
      and x.start_date <= e.day and (x.end_date is null or x.end_date > e.day)
  ) as churned
  from ends e
),
ev as (
  select account_id, user_id, date_trunc('month', event_time)::date as month
  from read_parquet('{d}/events/*.parquet')
  where event_type in ('sign_in', 'meeting_booked', 'settings_changed')
  group by all
),
mau as (select account_id, month, count(*) as mau from ev group by all),
lic as (
  select o.account_id, o.day, sum(c.licenses) as licenses
  from outcome o join c on c.account_id = o.account_id
   and c.start_date < o.day and c.end_date >= o.day
  group by all
),
use as (
  select o.account_id, o.day, avg(coalesce(m.mau, 0)) as mau3
  from outcome o left join mau m on m.account_id = o.account_id
   and m.month >= o.day - interval 100 days and m.month < o.day - interval 10 days
  group by all
),
nps as (
  select o.account_id, o.day, avg(r.score) as nps
  from outcome o join read_parquet('{d}/survey_responses.parquet') r
    on r.account_id = o.account_id and r.survey = 'nps'
   and r.responded_at < o.day and r.responded_at >= o.day - interval 365 days
  group by all
),
overdue as (
  select o.account_id, o.day, count(*) as overdue
  from outcome o join read_parquet('{d}/invoices.parquet') i
    on i.account_id = o.account_id and i.due_at < o.day - interval 5 days
   and i.due_at >= o.day - interval 180 days
   and (i.paid_at is null or i.paid_at > i.due_at + interval 10 days)
  group by all
),
tix as (
  select o.account_id, o.day, count(*) as tickets
  from outcome o join read_parquet('{d}/tickets.parquet') t
    on t.account_id = o.account_id and t.opened_at < o.day
   and t.opened_at >= o.day - interval 90 days
  group by all
)
select o.account_id, o.day, o.billing_term, o.churned, l.licenses,
       u.mau3 / nullif(l.licenses, 0) as usage, n.nps,
       coalesce(v.overdue, 0) as overdue, coalesce(t.tickets, 0) as tickets
from outcome o
join lic l using (account_id, day)
join use u using (account_id, day)
left join nps n using (account_id, day)
left join overdue v using (account_id, day)
left join tix t using (account_id, day)
where o.day >= DATE '{start}' + interval 100 days
"""


def renewal_signals(folder: Path, start: str, end: str):
    """One row per term end inside the history (after a warm-up), with churn and the
    signals seen before it, as a pandas frame."""
    sql = RENEWAL_SIGNALS.format(d=folder, start=start, end=end)
    return duckdb.sql(sql).df()
