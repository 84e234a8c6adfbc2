"""Support rules: too many tickets, and no support contact at all.

A ticket belongs to the window that holds its ``opened_at``.

**too_many_tickets** fires when at least ``min_tickets`` tickets (of ``priorities``,
empty = all) were opened in the last ``window_days`` days. The reason also says how
many are urgent and how many are still open at the end of the day.

**no_support_contact** fires when an account that has paid for the whole window
(first paid day on or before its first day) opened no ticket at all in the last
``window_days`` days: silence is a sign the product or the relationship went quiet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from csmetrics.kpis.contracts import first_paid_start
from csmetrics.risk.context import in_window, known_by, next_day, window_start
from csmetrics.risk.registry import RuleKind, day, plural, register

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config.risk import SilenceRule, TicketsRule
    from csmetrics.risk.context import RiskContext


def too_many_tickets_facts(ctx: RiskContext, rule: TicketsRule) -> ir.Table:
    t = ctx.table("tickets")
    if rule.priorities:
        t = t.filter(t.priority.isin(list(rule.priorities)))
    j = in_window(t, ctx.days_table(), "opened_at", rule.window_days, timestamp=True)
    still_open = j.resolved_at.isnull() | (j.resolved_at >= next_day(j.as_of).cast("timestamp"))
    per = j.group_by(["as_of", "account_id"]).aggregate(
        tickets=j.count(),
        urgent=(j.priority == "urgent").cast("int64").sum(),
        still_open=still_open.cast("int64").sum(),
    )
    return per.filter(per.tickets >= rule.min_tickets)


def too_many_tickets_reason(row: dict[str, Any], rule: TicketsRule) -> str:
    word = f"{'/'.join(rule.priorities)} ticket" if rule.priorities else "ticket"
    details = [f"{int(row['still_open']):,} still open"]
    if row["urgent"] and rule.priorities != ("urgent",):
        details.insert(0, f"{int(row['urgent']):,} urgent")
    return (
        f"{plural(int(row['tickets']), word)} opened in the last {rule.window_days} days "
        f"({', '.join(details)}); the rule fires at {rule.min_tickets}"
    )


def no_support_contact_facts(ctx: RiskContext, rule: SilenceRule) -> ir.Table:
    days = ctx.days_table()
    since = first_paid_start(ctx.kpi_context(()))
    accounts = days.cross_join(since)
    accounts = accounts.filter(
        accounts.first_paid_start <= window_start(accounts.as_of, rule.window_days)
    )
    t = ctx.table("tickets").select("account_id", "opened_at")
    recent = in_window(t, days, "opened_at", rule.window_days, timestamp=True)
    recent = recent.select(_d="as_of", _a="account_id").distinct()
    quiet = accounts.anti_join(
        recent, [accounts.as_of == recent._d, accounts.account_id == recent._a]
    )
    before = known_by(t, days, "opened_at", timestamp=True)
    last = before.group_by(["as_of", "account_id"]).aggregate(last_ticket=before.opened_at.max())
    last = last.rename(_d="as_of", _a="account_id")
    j = quiet.left_join(last, [quiet.as_of == last._d, quiet.account_id == last._a])
    return j.select("as_of", "account_id", last_ticket=j.last_ticket.cast("date"))


def no_support_contact_reason(row: dict[str, Any], rule: SilenceRule) -> str:
    last = row.get("last_ticket")
    when = "none ever" if last is None or last != last else f"the last was opened on {day(last)}"
    return f"no support ticket in the last {rule.window_days} days ({when})"


register(
    RuleKind(
        name="too_many_tickets",
        title="Too many support tickets",
        tables=("tickets",),
        facts=too_many_tickets_facts,
        reason=too_many_tickets_reason,
    )
)

register(
    RuleKind(
        name="no_support_contact",
        title="No support contact",
        tables=("tickets",),
        facts=no_support_contact_facts,
        reason=no_support_contact_reason,
    )
)
