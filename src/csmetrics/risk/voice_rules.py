"""Voice-of-the-customer rules: low survey scores, bounces and unsubscribes, advocacy stopped.

**low_survey_score** takes the mean answer per survey over the responses received in
the last ``window_days`` days and fires when the NPS mean is at or below
``nps_at_most`` (6: a detractor on average), the CSAT mean at or below
``csat_at_most``, or the CES mean at or above ``ces_at_least``; an empty limit leaves
that survey out.

**bounces_unsubscribes** counts the distinct contacts of the account whose email
bounced or who unsubscribed (engagements actions ``bounce``, ``unsubscribe``) in the
last ``window_days`` days and fires at ``min_contacts``: mail to people who left
bounces, and people who stop listening unsubscribe.

**references_stopped** fires when the account did advocacy of ``types`` in the
``lookback_days`` days before the last ``window_days`` days, and none since. As in
the advocacy KPIs, a G2 review counts only when positive and a success story only
when confirmed by the champion.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import ibis

from csmetrics.risk.context import in_window, window_start
from csmetrics.risk.registry import EPSILON, RuleKind, day, number, percent, plural, register

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.config.risk import BouncesRule, ReferencesRule, SurveyRule
    from csmetrics.engine import Engine
    from csmetrics.risk.context import RiskContext

SURVEY_TITLES = {"nps": "NPS", "csat": "CSAT", "ces": "CES"}


def _limits(rule: SurveyRule) -> dict[str, tuple[float, bool]]:
    """survey -> (limit, fires when at or above): the surveys the rule looks at."""
    out = {}
    if rule.nps_at_most is not None:
        out["nps"] = (rule.nps_at_most, False)
    if rule.csat_at_most is not None:
        out["csat"] = (rule.csat_at_most, False)
    if rule.ces_at_least is not None:
        out["ces"] = (rule.ces_at_least, True)
    return out


def _some_limit(engine: Engine, config: Config, rule: SurveyRule) -> tuple[SurveyRule | None, str]:
    return (rule, "") if _limits(rule) else (None, "no survey limit is set")


def low_survey_score_facts(ctx: RiskContext, rule: SurveyRule) -> ir.Table:
    limits = _limits(rule)
    r = ctx.table("survey_responses")
    r = r.filter(r.survey.isin(list(limits)))
    j = in_window(r, ctx.days_table(), "responded_at", rule.window_days, timestamp=True)
    score = j.score.cast("float64")
    measures: dict[str, ir.Value] = {}
    for survey in limits:
        mine = j.survey == survey
        measures[f"{survey}_mean"] = ibis.ifelse(mine, score, ibis.null("float64")).mean()
        measures[f"{survey}_n"] = mine.cast("int64").sum()
    per = j.group_by(["as_of", "account_id"]).aggregate(**measures)
    fired = []
    for survey, (limit, at_least) in limits.items():
        mean = per[f"{survey}_mean"]
        fired.append(mean.notnull() & ((mean >= limit) if at_least else (mean <= limit)))
    return per.filter(ibis.or_(*fired))


def low_survey_score_reason(row: dict[str, Any], rule: SurveyRule) -> str:
    parts = []
    for survey, (limit, at_least) in _limits(rule).items():
        mean, n = row.get(f"{survey}_mean"), int(row.get(f"{survey}_n") or 0)
        if mean is None or mean != mean:
            continue
        if (mean >= limit) if at_least else (mean <= limit):
            side = "or higher" if at_least else "or lower"
            parts.append(
                f"mean {SURVEY_TITLES[survey]} answer {number(round(mean, 1))} from "
                f"{plural(n, 'response')} in the last {rule.window_days} days "
                f"(the rule fires at {number(limit)} {side})"
            )
    return "; ".join(parts)


def bounces_facts(ctx: RiskContext, rule: BouncesRule) -> ir.Table:
    days = ctx.days_table()
    e = ctx.table("engagements")
    e = e.filter(e.action.isin(["bounce", "unsubscribe"]))
    j = in_window(e, days, "occurred_at", rule.window_days, timestamp=True)
    per = j.group_by(["as_of", "account_id"]).aggregate(
        contacts=j.user_id.nunique(),
        bounced=j.user_id.nunique(where=j.action == "bounce"),
        unsubscribed=j.user_id.nunique(where=j.action == "unsubscribe"),
    )
    per = per.filter(per.contacts >= rule.min_contacts)
    users = _users_at_window_start(ctx, rule.window_days).rename(_d="as_of", _a="account_id")
    j = per.left_join(users, [per.as_of == users._d, per.account_id == users._a])
    j = j.select(
        "as_of", "account_id", "contacts", "bounced", "unsubscribed", users=j.users.fill_null(0)
    )
    share_ok = (j.users == 0) | (j.contacts.cast("float64") >= j.users * rule.min_share - EPSILON)
    return j.filter(share_ok)


def _users_at_window_start(ctx: RiskContext, window_days: int) -> ir.Table:
    """as_of, account_id, users: users on record on the first day of the window."""
    days = ctx.days_table()
    u = ctx.table("users")
    start = window_start(days.as_of, window_days).cast("timestamp")
    j = u.join(
        days,
        [u.created_at < start, u.deactivated_at.isnull() | (u.deactivated_at >= start)],
    )
    return j.group_by(["as_of", "account_id"]).aggregate(users=j.count())


def bounces_reason(row: dict[str, Any], rule: BouncesRule) -> str:
    users = int(row["users"])
    of = f" of {plural(users, 'user')} ({percent(int(row['contacts']) / users)})" if users else ""
    return (
        f"{plural(int(row['contacts']), 'contact')}{of} bounced or unsubscribed in the last "
        f"{rule.window_days} days ({int(row['bounced']):,} bounced, "
        f"{int(row['unsubscribed']):,} unsubscribed)"
    )


def references_facts(ctx: RiskContext, rule: ReferencesRule) -> ir.Table:
    a = ctx.table("advocacy")
    counted = ibis.cases(
        (a.type == "g2_review", a.positive.fill_null(False)),
        (a.type == "success_story", a.confirmed_by_champion.fill_null(False)),
        else_=ibis.literal(True),
    )
    a = a.filter(a.type.isin(list(rule.types)), counted)
    span = rule.window_days + rule.lookback_days
    j = in_window(a, ctx.days_table(), "occurred_at", span, timestamp=False)
    recent = j.occurred_at >= window_start(j.as_of, rule.window_days)
    per = j.group_by(["as_of", "account_id"]).aggregate(
        before=(~recent).cast("int64").sum(),
        recent=recent.cast("int64").sum(),
        last_action=j.occurred_at.max(),
        kinds=j.type.collect(distinct=True).sort(),
    )
    return per.filter(per.before >= rule.min_actions, per.recent == 0)


def references_reason(row: dict[str, Any], rule: ReferencesRule) -> str:
    kinds = ", ".join(str(k) for k in row["kinds"])
    return (
        f"{plural(int(row['before']), 'advocacy action')} ({kinds}) in the "
        f"{rule.lookback_days} days before the last {rule.window_days}, none since; "
        f"the last on {day(row['last_action'])}"
    )


register(
    RuleKind(
        name="low_survey_score",
        title="Low survey scores",
        tables=("survey_responses",),
        facts=low_survey_score_facts,
        reason=low_survey_score_reason,
        prepare=_some_limit,
    )
)

register(
    RuleKind(
        name="bounces_unsubscribes",
        title="Bounces and unsubscribes",
        tables=("engagements",),
        facts=bounces_facts,
        reason=bounces_reason,
    )
)

register(
    RuleKind(
        name="references_stopped",
        title="References stopped",
        tables=("advocacy",),
        facts=references_facts,
        reason=references_reason,
    )
)
