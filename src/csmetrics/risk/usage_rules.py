"""Usage rules: a drop in monthly active users, and little or no key-feature use.

Both reuse the adoption KPIs' definitions (``kpis.adoption``): a user is active in a
window when they did a significant action (``adoption.active_event_types``) in it,
and a key-feature user when they did a ``adoption.key_features`` event. The *last
month* before day d is the window [d + 1 - 1 month, d + 1); on a month's last day it
is exactly that calendar month, so the numbers match ``csmetrics kpi mau --by account``.

**usage_drop** compares the MAU of the last month with the mean MAU of the
``baseline_months`` months before it (each window one month earlier). It fires when
that mean is at least ``min_baseline_mau`` and the last month is at least ``drop``
below it: MAU <= mean x (1 - drop).

**low_key_feature_use** fires, for an account paying for at least ``grace_days``,
when fewer than ``min_share`` of the last month's active users used a key feature
(key-feature users < min_share x MAU), or when no user was active at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis

from csmetrics.kpis.adoption import key_feature_facts, mau_facts
from csmetrics.kpis.contracts import first_paid_start
from csmetrics.periods import Period, add_months
from csmetrics.risk.context import ONE_DAY
from csmetrics.risk.registry import EPSILON, RuleKind, number, percent, plural, register

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.config.risk import KeyFeatureRule, UsageDropRule
    from csmetrics.engine import Engine
    from csmetrics.risk.context import RiskContext


def month_windows(ctx: RiskContext, months: int) -> tuple[list[Period], ir.Table]:
    """Per day, the last month (back 0) and the ``months`` months before it (back 1..).

    Returns the periods for a KPI context and a table mapping each period label to
    its day and how many months back it lies.
    """
    periods, keys = [], {"period": [], "as_of": [], "back": []}
    for d in ctx.days:
        end = d + ONE_DAY
        for back in range(months + 1):
            label = f"{d.isoformat()}/{back}"
            periods.append(Period(add_months(end, -(back + 1)), add_months(end, -back), label))
            keys["period"].append(label)
            keys["as_of"].append(d)
            keys["back"].append(back)
    schema = {"period": "string", "as_of": "date", "back": "int64"}
    return periods, ibis.memtable(keys, schema=schema)


def usage_drop_facts(ctx: RiskContext, rule: UsageDropRule) -> ir.Table:
    periods, keys = month_windows(ctx, rule.baseline_months)
    mau = mau_facts(ctx.kpi_context(periods))
    keys = keys.rename(_period="period")
    j = mau.join(keys, mau.period == keys._period)
    zero = ibis.literal(0, "int64")
    per = j.group_by(["as_of", "account_id"]).aggregate(
        mau=ibis.ifelse(j.back == 0, j.mau, zero).sum(),
        baseline_total=ibis.ifelse(j.back > 0, j.mau, zero).sum(),
    )
    per = per.mutate(baseline=per.baseline_total.cast("float64") / rule.baseline_months)
    limit = per.baseline * (1 - rule.drop) + EPSILON
    return per.filter(
        per.baseline > 0,
        per.baseline >= rule.min_baseline_mau - EPSILON,
        per.mau <= limit,
    ).select("as_of", "account_id", "mau", "baseline")


def usage_drop_reason(row: dict[str, Any], rule: UsageDropRule) -> str:
    mau, baseline = int(row["mau"]), float(row["baseline"])
    drop = (baseline - mau) / baseline
    return (
        f"MAU {mau:,} in the last month is {percent(drop)} below the trailing "
        f"{rule.baseline_months}-month average of {number(round(baseline, 1))} "
        f"(the rule fires at {percent(rule.drop)} or more)"
    )


def key_feature_use_facts(ctx: RiskContext, rule: KeyFeatureRule) -> ir.Table:
    periods = [Period(add_months(d + ONE_DAY, -1), d + ONE_DAY, d.isoformat()) for d in ctx.days]
    facts = key_feature_facts(ctx.kpi_context(periods))
    facts = facts.select(_end="period_end", _a="account_id", mau="mau", key_users="key_users")
    since = first_paid_start(ctx.kpi_context(()))
    accounts = ctx.days_table().cross_join(since)
    accounts = accounts.filter(
        accounts.first_paid_start <= accounts.as_of - ibis.interval(days=rule.grace_days)
    )
    j = accounts.left_join(
        facts,
        [facts._end == accounts.as_of + ibis.interval(days=1), facts._a == accounts.account_id],
    )
    j = j.select(
        "as_of",
        "account_id",
        mau=j.mau.fill_null(0),
        key_users=j.key_users.fill_null(0),
    )
    return j.filter(
        (j.mau == 0)
        | (j.key_users.cast("float64") < j.mau.cast("float64") * rule.min_share - EPSILON)
    )


def key_feature_use_reason(row: dict[str, Any], rule: KeyFeatureRule) -> str:
    mau, users = int(row["mau"]), int(row["key_users"])
    if mau == 0:
        return "no user was active in the last month, so no key feature was used"
    return (
        f"{users:,} of {plural(mau, 'active user')} ({percent(users / mau)}) used a key "
        f"feature in the last month (the rule expects at least {percent(rule.min_share)})"
    )


def _key_features_configured(
    engine: Engine, config: Config, rule: KeyFeatureRule
) -> tuple[KeyFeatureRule | None, str]:
    if not config.adoption.key_features:
        return None, "adoption.key_features is empty"
    return rule, ""


register(
    RuleKind(
        name="usage_drop",
        title="Usage drop",
        tables=("events",),
        facts=usage_drop_facts,
        reason=usage_drop_reason,
    )
)

register(
    RuleKind(
        name="low_key_feature_use",
        title="Little or no key-feature use",
        tables=("events",),
        facts=key_feature_use_facts,
        reason=key_feature_use_reason,
        prepare=_key_features_configured,
    )
)
