"""Advocacy: advocacy actions per period by type, and validated references.

**Advocacy actions** in [a, b), one per row, by kind:

* ``g2_review``: a G2 review marked positive (advocacy.positive);
* ``case_study``, ``reference``, ``testimonial``, ``speaking``: the advocacy row;
* ``success_story``: only when confirmed by the customer's champion;
* ``promoter``: an NPS answer of 9-10 (survey_responses);
* ``positive_csat``: a CSAT survey answer of 4-5.

**Validated reference**, judged on the period's last day (b - 1), for an account
with a ``reference`` advocacy row on record (occurred before b):

1. a paying customer (a contract with ARR > 0 in force on b - 1) whose first paid
   contract started at least ``advocacy.reference_min_tenure_days`` (365) days
   before b - 1;
2. no open escalation: no ticket with ``escalated`` opened before b and not resolved
   before b;
3. a promoter: the account's latest NPS answer before b scored 9-10 (a reference
   whose latest answer is a detractor is no longer validated);
4. an ROI story on record: a ``success_story`` or ``case_study`` before b.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.adoption import combine
from csmetrics.kpis.context import PERIOD_COLUMNS
from csmetrics.kpis.contracts import effective_contracts, first_paid_start
from csmetrics.kpis.registry import Kpi, register, total
from csmetrics.kpis.surveys import in_periods

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

ADVOCACY_KINDS = (
    "g2_review",
    "case_study",
    "reference",
    "success_story",
    "testimonial",
    "speaking",
)
SURVEY_KINDS = ("promoter", "positive_csat")


def _advocacy_actions(ctx: KpiContext) -> ir.Table:
    a = ctx.table("advocacy")
    counted = ibis.cases(
        (a.type == "g2_review", a.positive.fill_null(False)),
        (a.type == "success_story", a.confirmed_by_champion.fill_null(False)),
        else_=ibis.literal(True),
    )
    a = a.filter(counted)
    j = in_periods(ctx, a, "occurred_at")
    return j.select(*PERIOD_COLUMNS, "account_id", kind=j.type)


def _survey_actions(ctx: KpiContext) -> ir.Table:
    r = ctx.table("survey_responses")
    positive = ((r.survey == "nps") & (r.score >= 9)) | ((r.survey == "csat") & (r.score >= 4))
    r = r.filter(positive)
    j = in_periods(ctx, r, "responded_at")
    kind = ibis.ifelse(j.survey == "nps", "promoter", "positive_csat")
    return j.select(*PERIOD_COLUMNS, "account_id", kind=kind)


def action_facts(ctx: KpiContext, with_surveys: bool) -> ir.Table:
    """Per period and advocacy action: one column per kind (1 on the row's kind) and actions."""
    u = _advocacy_actions(ctx)
    if with_surveys:
        u = ibis.union(u, _survey_actions(ctx))
    kinds = ADVOCACY_KINDS + (SURVEY_KINDS if with_surveys else ())
    return u.select(
        *PERIOD_COLUMNS,
        "account_id",
        actions=ibis.literal(1, "int64"),
        **{k: (u.kind == k).cast("int64") for k in kinds},
    )


def _on_record(ctx: KpiContext, types: tuple[str, ...], name: str) -> ir.Table:
    a = ctx.table("advocacy")
    a = a.filter(a.type.isin(list(types)))
    p = ctx.periods_table()
    j = a.join(p, a.occurred_at < p.period_end)
    return _flag(j, name)


def _flag(t: ir.Table, name: str) -> ir.Table:
    """Period columns, account_id and ``name`` = 1 for every (period, account) in ``t``."""
    return t.group_by([*PERIOD_COLUMNS, "account_id"]).aggregate(
        **{name: (t.count() > 0).cast("int64")}
    )


def reference_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account: reference on record and whether it is validated."""
    p = ctx.periods_table()
    last = p.period_end - ibis.interval(days=1)
    p = p.mutate(_last=last)

    c = effective_contracts(ctx)
    c = c.filter(c.arr > 0)
    paying = p.join(c, [c.start_date <= p._last, c.end_date.isnull() | (c.end_date > p._last)])
    starts = first_paid_start(ctx).rename(_a="account_id")
    paying = paying.join(starts, paying.account_id == starts._a)
    min_days = ctx.config.advocacy.reference_min_tenure_days
    tenured = paying.filter(paying.first_paid_start <= paying._last - ibis.interval(days=min_days))
    tenured = _flag(tenured, "tenured")

    t = ctx.table("tickets")
    t = t.filter(t.escalated.fill_null(False))
    open_esc = t.join(
        p,
        [
            t.opened_at.cast("date") < p.period_end,
            t.resolved_at.isnull() | (t.resolved_at.cast("date") >= p.period_end),
        ],
    )
    escalated = _flag(open_esc, "escalated")

    r = ctx.table("survey_responses")
    r = r.filter(r.survey == "nps")
    rj = r.join(p, r.responded_at.cast("date") < p.period_end)
    latest = rj.group_by([*PERIOD_COLUMNS, "account_id"]).aggregate(
        _latest=rj.score.argmax(rj.responded_at)
    )
    promoter = latest.select(
        *PERIOD_COLUMNS, "account_id", promoter=(latest._latest >= 9).cast("int64")
    )

    t = combine(
        {
            "reference": _on_record(ctx, ("reference",), "reference"),
            "story": _on_record(ctx, ("success_story", "case_study"), "story"),
            "tenured": tenured,
            "escalated": escalated,
            "promoter": promoter,
        }
    )
    ok = (t.reference > 0) & (t.story > 0) & (t.tenured > 0) & (t.escalated == 0) & (t.promoter > 0)
    return t.mutate(validated=ok.cast("int64"))


register(
    Kpi(
        name="advocacy_actions",
        title="Advocacy actions",
        description=(
            "Advocacy actions in the period: positive G2 reviews, case studies, references, "
            "champion-confirmed success stories, testimonials, talks, NPS promoters and "
            "positive (4-5) CSAT answers."
        ),
        formula="count of advocacy actions of every kind (see advocacy)",
        unit="count",
        direction="higher",
        tables=("advocacy", "survey_responses"),
        facts=lambda ctx: action_facts(ctx, with_surveys=True),
        measures=total("actions"),
        family="advocacy",
        example="A case study, a positive G2 review and two promoters in July -> 4.",
    )
)

_KIND_TITLES = {
    "g2_review": "positive G2 reviews",
    "case_study": "case studies",
    "reference": "reference calls or listings",
    "success_story": "champion-confirmed success stories",
    "promoter": "NPS promoter answers (9-10)",
    "positive_csat": "CSAT answers of 4-5",
}
for _kind, _what in _KIND_TITLES.items():
    _surveys = _kind in SURVEY_KINDS
    register(
        Kpi(
            name=f"advocacy_{_kind}",
            title=f"Advocacy: {_what}",
            description=f"Advocacy actions of one kind in the period: {_what}.",
            formula=f"count of {_what} in [a, b)",
            unit="count",
            direction="higher",
            tables=("advocacy", "survey_responses") if _surveys else ("advocacy",),
            facts=(lambda ctx: action_facts(ctx, with_surveys=True))
            if _surveys
            else (lambda ctx: action_facts(ctx, with_surveys=False)),
            measures=total(_kind),
            family="advocacy",
            example=f"Two {_what} in July -> 2.",
        )
    )

register(
    Kpi(
        name="validated_references",
        title="Validated references",
        description=(
            "Reference accounts that, on the period's last day, are customers of a year or "
            "more, have no open escalation, whose latest NPS answer is a promoter and with a "
            "success story or case study on record."
        ),
        formula="count of reference accounts meeting all four conditions on day b - 1",
        unit="count",
        direction="higher",
        tables=("advocacy", "survey_responses"),
        facts=reference_facts,
        measures=total("validated"),
        family="advocacy",
        example=(
            "A1 is a reference since 2025, paying since 2024-01, latest NPS 10, a success "
            "story, no escalation -> 1; if its latest NPS is 5 -> 0."
        ),
    )
)

register(
    Kpi(
        name="reference_accounts",
        title="Reference accounts",
        description="Accounts with a reference on record before the period's end.",
        formula="count of accounts with a reference advocacy row before b",
        unit="count",
        direction="higher",
        tables=("advocacy",),
        facts=reference_facts,
        measures=total("reference"),
        family="advocacy",
        example="Two accounts gave references (ever, before 2026-08-01) -> 2 for 2026-07.",
    )
)
