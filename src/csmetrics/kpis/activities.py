"""CSM activities: EBR/QBR cadence, next meeting scheduled, training feedback, documentation.

For a period [a, b); an activity belongs to the period containing its ``occurred_at``.
Like every KPI, activities are attributed to the account's owner on the period's
first day, not to the activity's own csm_id: a CSM's numbers are those of the book
they own, so a colleague covering a meeting does not move it between books.

* **EBRs/QBRs per account per year**: EBR and QBR activities / (accounts under
  contract on b - 1 x days in the period / 365), i.e. annualised.
* **Next meeting scheduled**: of the accounts under contract on b - 1, the share whose
  latest activity before b has a next_meeting_at on or after b (in the future as of
  the period's end).
* **Training feedback**: mean feedback_score (1-5) of training activities.
* **Documentation contributions**: documentation activities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.adoption import combine, licenses_at_end
from csmetrics.kpis.context import PERIOD_COLUMNS
from csmetrics.kpis.registry import Kpi, Measures, ratio, register, total
from csmetrics.kpis.surveys import in_periods

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

_DAYS_PER_YEAR = 365.0


def activity_facts(ctx: KpiContext) -> ir.Table:
    """Per period and activity: ebr/qbr, training feedback and documentation flags."""
    a = ctx.table("activities")
    j = in_periods(ctx, a, "occurred_at")
    training = (j.type == "training") & j.feedback_score.notnull()
    return j.select(
        *PERIOD_COLUMNS,
        "account_id",
        reviews=j.type.isin(["ebr", "qbr"]).cast("int64"),
        rated_trainings=training.cast("int64"),
        feedback=ibis.ifelse(training, j.feedback_score.cast("float64"), 0.0),
        documentation=(j.type == "documentation").cast("int64"),
    )


def _under_contract(ctx: KpiContext) -> ir.Table:
    lic = licenses_at_end(ctx)
    return lic.select(*PERIOD_COLUMNS, "account_id", under=ibis.literal(1, "int64"))


def cadence_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account: EBRs/QBRs held and account-years under contract."""
    f = activity_facts(ctx)
    reviews = f.group_by([*PERIOD_COLUMNS, "account_id"]).aggregate(reviews=f.reviews.sum())
    t = combine({"reviews": reviews, "under": _under_contract(ctx)})
    years = t.period_end.delta(t.period_start, unit="day").cast("float64") / _DAYS_PER_YEAR
    return t.mutate(
        reviews=t.reviews.cast("float64"), account_years=t.under.cast("float64") * years
    )


def next_meeting_facts(ctx: KpiContext) -> ir.Table:
    """Per period and account under contract: 1 when the next meeting is booked past b."""
    a = ctx.table("activities")
    p = ctx.periods_table()
    j = a.join(p, a.occurred_at.cast("date") < p.period_end)
    latest = j.group_by([*PERIOD_COLUMNS, "account_id"]).aggregate(
        _next=j.next_meeting_at.argmax(j.occurred_at)
    )
    booked = latest.select(
        *PERIOD_COLUMNS,
        "account_id",
        booked=(latest._next.notnull() & (latest._next.cast("date") >= latest.period_end)).cast(
            "int64"
        ),
    )
    t = combine({"under": _under_contract(ctx), "booked": booked})
    return t.mutate(booked=ibis.ifelse(t.under > 0, t.booked, 0))


def _mean(column: str, count: str) -> Measures:
    def measures(facts: ir.Table) -> dict[str, ir.Value]:
        return {"numerator": facts[column].sum(), "denominator": facts[count].sum()}

    return measures


register(
    Kpi(
        name="ebr_qbr_per_account_year",
        title="EBRs/QBRs per account per year",
        description=(
            "Executive and quarterly business reviews held in the period per account under "
            "contract, annualised."
        ),
        formula="EBRs + QBRs / (accounts under contract on b - 1 x days in period / 365)",
        unit="count",
        direction="higher",
        tables=("activities", "contracts"),
        facts=cadence_facts,
        measures=_mean("reviews", "account_years"),
        parts="score",
        average=True,
        family="activities",
        example="2 accounts, 1 QBR in 2026-Q3 (92 days) -> 1 / (2 x 92/365) = 1.98 per year.",
    )
)

register(
    Kpi(
        name="next_meeting_scheduled",
        title="Next meeting scheduled",
        description=(
            "Share of accounts under contract whose latest activity booked a next meeting "
            "after the period's end."
        ),
        formula="accounts whose latest activity's next_meeting_at >= b / accounts under contract",
        unit="ratio",
        direction="higher",
        tables=("activities", "contracts"),
        facts=next_meeting_facts,
        measures=ratio("booked", "under"),
        family="activities",
        example="A1's last QBR booked 2026-08-15, A2 has none -> 0.50 for 2026-07.",
    )
)

register(
    Kpi(
        name="training_feedback",
        title="Training feedback",
        description="Mean attendee feedback (1-5) of the trainings held in the period.",
        formula="sum of training feedback scores / rated trainings",
        unit="score",
        direction="higher",
        tables=("activities",),
        facts=activity_facts,
        measures=_mean("feedback", "rated_trainings"),
        parts="score",
        average=True,
        family="activities",
        example="Trainings rated 5 and 4 -> 4.5.",
    )
)

register(
    Kpi(
        name="documentation_contributions",
        title="Documentation contributions",
        description=(
            "Documentation activities in the period (per CSM: the owner of the account "
            "documented, like every KPI)."
        ),
        formula="count of documentation activities in [a, b)",
        unit="count",
        direction="higher",
        tables=("activities",),
        facts=activity_facts,
        measures=total("documentation"),
        family="activities",
        example="Three documentation entries for C1's accounts in July -> 3.",
    )
)
