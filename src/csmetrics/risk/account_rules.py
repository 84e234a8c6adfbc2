"""Account rules: overdue invoices, a near renewal with red health, the champion left.

**overdue_invoices**: an invoice issued by day d is *overdue* on d when it is unpaid
at the end of d (no ``paid_at``, or paid after d) and more than ``days_overdue``
days past its due day (d - due_at > days_overdue). Fires at ``min_invoices``
overdue invoices. The amount is converted to the reporting currency at the rate in
force on d (an invoice without a currency is in the reporting currency).

**renewal_red_health**: the account's next renewal (the nearest term end after d of
a contract not yet renewed, see ``risk.book``) is at most ``within_days`` days away
and the latest stored health score of the model by d is in one of ``bands``.

**champion_left**: no user with one of ``roles`` (``users.role``, case-insensitive)
is active at the end of d (created by then, not deactivated by then), and the most
recent such user was deactivated within the last ``lookback_days`` days. A new
champion clears it; an account that never had one is not this rule's concern.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis

from csmetrics.kpis.fx import with_rate
from csmetrics.risk.book import renewal_dates
from csmetrics.risk.context import known_by, next_day, window_start
from csmetrics.risk.health_source import latest_scores, model_to_read
from csmetrics.risk.registry import RuleKind, day, number, plural, register

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.config.risk import ChampionRule, InvoicesRule, RenewalHealthRule
    from csmetrics.engine import Engine
    from csmetrics.risk.context import RiskContext


def overdue_invoices_facts(ctx: RiskContext, rule: InvoicesRule) -> ir.Table:
    days = ctx.days_table()
    i = ctx.table("invoices")
    j = known_by(i, days, "issued_at", timestamp=False)
    unpaid = j.paid_at.isnull() | (j.paid_at > j.as_of)
    late = j.due_at < j.as_of - ibis.interval(days=rule.days_overdue)
    j = j.filter(unpaid, late)
    reporting = ibis.literal(ctx.config.company.reporting_currency)
    j = j.mutate(currency=j.currency.fill_null(reporting))
    j = with_rate(ctx.kpi_context(()), j, days, "as_of", "rate")
    per = j.group_by(["as_of", "account_id"]).aggregate(
        invoices=j.count(),
        amount=(j.amount.cast("float64") * j.rate).sum(),
        unconverted=j.rate.isnull().cast("int64").sum(),
        oldest_due=j.due_at.min(),
    )
    per = per.mutate(currency=reporting)
    return per.filter(per.invoices >= rule.min_invoices)


def overdue_invoices_reason(row: dict[str, Any], rule: InvoicesRule) -> str:
    oldest = row["oldest_due"]
    as_of = row["as_of"]
    late = (_date(as_of) - _date(oldest)).days
    text = f"{plural(int(row['invoices']), 'invoice')} unpaid more than {rule.days_overdue} days past due"
    if not row["unconverted"] and row["amount"] == row["amount"]:
        text += f", {row['amount']:,.2f} {row['currency']} outstanding"
    return text + f"; the oldest was due on {day(oldest)} ({late:,} days ago)"


def _date(value: Any) -> Any:
    return value.date() if hasattr(value, "hour") else value


def renewal_health_facts(ctx: RiskContext, rule: RenewalHealthRule) -> ir.Table:
    assert rule.health_model is not None  # settled by _health_stored
    renewals = renewal_dates(ctx)
    renewals = renewals.filter(
        renewals.renewal_date <= renewals.as_of + ibis.interval(days=rule.within_days)
    )
    scores = latest_scores(ctx, rule.health_model).rename(_d="as_of", _a="account_id")
    j = renewals.join(scores, [renewals.as_of == scores._d, renewals.account_id == scores._a])
    j = j.filter(j.band.isin(list(rule.bands)))
    return j.select(
        "as_of",
        "account_id",
        "renewal_date",
        days_to_renewal=j.renewal_date.delta(j.as_of, unit="day"),
        score="score",
        band="band",
        scored_on="scored_on",
        model=ibis.literal(rule.health_model),
    )


def renewal_health_reason(row: dict[str, Any], rule: RenewalHealthRule) -> str:
    detail = f"model {row['model']}, scored on {day(row['scored_on'])}"
    score = row["score"]
    if score is not None and score == score:
        detail = f"score {number(round(float(score), 1))}, {detail}"
    return (
        f"renewal on {day(row['renewal_date'])}, in {plural(int(row['days_to_renewal']), 'day')}, "
        f"with {row['band']} health ({detail}); the rule looks {rule.within_days} days ahead"
    )


def _health_stored(
    engine: Engine, config: Config, rule: RenewalHealthRule
) -> tuple[RenewalHealthRule | None, str]:
    model, note = model_to_read(engine, config, rule.health_model)
    if model is None:
        return None, note
    return rule.model_copy(update={"health_model": model}), ""


def champion_left_facts(ctx: RiskContext, rule: ChampionRule) -> ir.Table:
    days = ctx.days_table()
    u = ctx.table("users")
    u = u.filter(u.role.lower().isin([r.lower() for r in rule.roles]))
    j = known_by(u, days, "created_at", timestamp=True)
    end = next_day(j.as_of).cast("timestamp")
    gone = j.deactivated_at.notnull() & (j.deactivated_at < end)
    per = j.group_by(["as_of", "account_id"]).aggregate(
        active=(~gone).cast("int64").sum(),
        left_on=ibis.ifelse(gone, j.deactivated_at, ibis.null("timestamp")).max(),
        who=ibis.ifelse(gone, j.user_id, ibis.null("string")).argmax(
            ibis.ifelse(gone, j.deactivated_at, ibis.null("timestamp"))
        ),
    )
    recent = per.left_on >= window_start(per.as_of, rule.lookback_days).cast("timestamp")
    per = per.filter(per.active == 0, per.left_on.notnull(), recent)
    return per.select("as_of", "account_id", left_on=per.left_on.cast("date"), who="who")


def champion_left_reason(row: dict[str, Any], rule: ChampionRule) -> str:
    roles = "/".join(rule.roles)
    ago = (_date(row["as_of"]) - _date(row["left_on"])).days
    return (
        f"{roles} {row['who']} left on {day(row['left_on'])} ({plural(ago, 'day')} ago) "
        f"and no active user has the {roles} role"
    )


register(
    RuleKind(
        name="overdue_invoices",
        title="Overdue invoices",
        tables=("invoices",),
        facts=overdue_invoices_facts,
        reason=overdue_invoices_reason,
    )
)

register(
    RuleKind(
        name="renewal_red_health",
        title="Renewal near with red health",
        tables=("contracts",),
        facts=renewal_health_facts,
        reason=renewal_health_reason,
        prepare=_health_stored,
    )
)

register(
    RuleKind(
        name="champion_left",
        title="Champion left",
        tables=("users",),
        facts=champion_left_facts,
        reason=champion_left_reason,
    )
)
