"""Surveys: NPS, NPS response rate, CSAT and CES, from survey_responses and survey_sends.

A response belongs to the period containing its ``responded_at``; a send to the
period containing its ``sent_at``.

* **NPS** = (promoters - detractors) / responses over NPS answers (promoters score
  9-10, passives 7-8, detractors 0-6). The value is a ratio in -1..1: shown as a
  percentage it is the NPS on its usual -100..100 scale (0.25 = NPS +25). A period
  or group without responses has no NPS (null), never 0.
* **NPS response rate**: NPS sends in the period answered by that user (an NPS
  response from the same account and user on or after the send and before their
  next send) / NPS sends in the period.
* **CSAT**: share of CSAT answers scoring 4 or 5 (of 5).
* **CES**: mean customer-effort score, 1-7 (lower effort is better).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.context import PERIOD_COLUMNS
from csmetrics.kpis.registry import Kpi, ratio, register

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext


def in_periods(ctx: KpiContext, t: ir.Table, column: str) -> ir.Table:
    """Rows of ``t`` with the period columns of every period containing ``t[column]``."""
    p = ctx.periods_table()
    day = t[column].cast("date")
    return t.join(p, [day >= p.period_start, day < p.period_end])


def response_facts(ctx: KpiContext, survey: str) -> ir.Table:
    """Per period and response of one survey kind: score flags."""
    r = ctx.table("survey_responses")
    r = r.filter(r.survey == survey)
    j = in_periods(ctx, r, "responded_at")
    s = j.score
    return j.select(
        *PERIOD_COLUMNS,
        "account_id",
        responses=ibis.literal(1, "int64"),
        promoters=(s >= 9).cast("int64"),
        detractors=(s <= 6).cast("int64"),
        net=(s >= 9).cast("int64") - (s <= 6).cast("int64"),
        satisfied=(s >= 4).cast("int64"),
        score=s.cast("float64"),
    )


def send_facts(ctx: KpiContext) -> ir.Table:
    """Per period and NPS send: answered (1 when the recipient responded to it)."""
    sends = ctx.table("survey_sends")
    sends = sends.filter(sends.survey == "nps")
    nxt = sends.sent_at.lead().over(
        ibis.window(group_by=[sends.account_id, sends.user_id], order_by=sends.sent_at)
    )
    sends = sends.mutate(_next=nxt)
    r = ctx.table("survey_responses")
    r = r.filter(r.survey == "nps").select(_a="account_id", _u="user_id", _at="responded_at")
    j = sends.left_join(
        r,
        [
            sends.account_id == r._a,
            sends.user_id == r._u,
            r._at >= sends.sent_at,
            sends._next.isnull() | (r._at < sends._next),
        ],
    )
    answered = j.group_by(["account_id", "user_id", "sent_at"]).aggregate(
        answered=j._at.notnull().cast("int64").max()
    )
    j = in_periods(ctx, answered, "sent_at")
    return j.select(*PERIOD_COLUMNS, "account_id", "answered", sends=ibis.literal(1, "int64"))


def comments(responses: ir.Table, account_id: str) -> ir.Table:
    """The verbatim comments of one account, newest first: survey, user, when, score, comment."""
    r = responses.filter(responses.account_id == account_id, responses.comment.notnull())
    r = r.filter(r.comment.strip() != "")
    return r.select("survey", "user_id", "responded_at", "score", "comment").order_by(
        ibis.desc("responded_at")
    )


def _mean_score(facts: ir.Table) -> dict[str, ir.Value]:
    return {"numerator": facts.score.sum(), "denominator": facts.responses.sum()}


register(
    Kpi(
        name="nps",
        title="Net Promoter Score",
        description=(
            "Promoters (9-10) minus detractors (0-6) over NPS responses received in the "
            "period; as a percentage this is the NPS (-100..100). Null without responses."
        ),
        formula="(promoters - detractors) / NPS responses",
        unit="ratio",
        direction="higher",
        tables=("survey_responses",),
        facts=lambda ctx: response_facts(ctx, "nps"),
        measures=ratio("net", "responses"),
        family="surveys",
        example="Scores 10, 9, 8, 3 -> (2 - 1) / 4 = 0.25, i.e. NPS +25.",
        shown_as="points",
    )
)

register(
    Kpi(
        name="nps_response_rate",
        title="NPS response rate",
        description="Share of the NPS surveys sent in the period that the recipient answered.",
        formula="NPS sends answered (response after the send, before the next send) / NPS sends",
        unit="ratio",
        direction="higher",
        tables=("survey_sends",),
        facts=send_facts,
        measures=ratio("answered", "sends"),
        family="surveys",
        example="4 NPS surveys sent in July, 1 answered -> 0.25.",
    )
)

register(
    Kpi(
        name="csat",
        title="CSAT",
        description="Share of CSAT survey answers scoring 4 or 5 on the 5-point scale.",
        formula="CSAT answers of 4-5 / CSAT answers",
        unit="ratio",
        direction="higher",
        tables=("survey_responses",),
        facts=lambda ctx: response_facts(ctx, "csat"),
        measures=ratio("satisfied", "responses"),
        family="surveys",
        example="Answers 5, 4, 2 -> 2 / 3 = 0.67.",
    )
)

register(
    Kpi(
        name="ces",
        title="Customer effort score",
        description="Mean customer-effort answer (1-7) received in the period; null without one.",
        formula="sum of CES scores / CES answers",
        unit="score",
        direction="lower",
        tables=("survey_responses",),
        facts=lambda ctx: response_facts(ctx, "ces"),
        measures=_mean_score,
        parts="score",
        average=True,
        family="surveys",
        example="Answers 2 and 5 -> 3.5.",
    )
)
