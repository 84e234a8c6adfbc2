"""The ARR bridge: movements per account per month, reconciling exactly.

Every period is cut into monthly steps [s, e) (a range that starts or ends mid-month
gets a partial first or last step). For each step and account, with S = ARR on s at
s's rates, E' = ARR on e at s's rates, E = ARR on e at e's rates:

* **new**: S = 0, E' > 0 and the account never had positive ARR before s: E'.
* **reactivation**: S = 0, E' > 0 and the account had positive ARR before s (it had
  churned and came back): E'.
* **expansion** / **contraction**: S > 0 and E' > 0: E' - S when positive / S - E'
  when positive. Mid-month upgrades, downgrades, renewals at a new price, added or
  removed products all land here, netted per account.
* **churn**: S > 0 and E' = 0: S. Churn is an account with no active contract left; a
  contract that ends while another of the account's stays active is contraction.
* **fx**: E - E', the effect of exchange-rate changes between s and e on the ARR
  held at e; business movements are valued at the constant rates of s.

So S + new + expansion - contraction - churn + reactivation + fx = E for every
account and step, and E of one step is S of the next. A period's bridge is the sum
of its steps: start = S of its first step, end = E of its last. Churn timing follows
the churn recognition setting (see the shared definitions). Everything is set-based: one
range join of the contracts to the steps, one group-by; no account x day rows.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import ibis

from csmetrics.kpis.context import PERIOD_COLUMNS
from csmetrics.kpis.contracts import arr_at_bounds, first_paid_start
from csmetrics.kpis.registry import Kpi, register, total

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.kpis.context import KpiContext

STEP_COLUMNS = (*PERIOD_COLUMNS, "step_start", "step_end")
MOVEMENTS = ("new", "expansion", "contraction", "churn", "reactivation", "fx")
BRIDGE_COLUMNS = ("start", *MOVEMENTS, "end")
SIGNS = {"new": 1, "expansion": 1, "contraction": -1, "churn": -1, "reactivation": 1, "fx": 1}


def account_movements(ctx: KpiContext) -> ir.Table:
    """Per period, monthly step and account: start_arr, the six movements, end_arr."""
    t = arr_at_bounds(ctx, ctx.steps_table(), "step_index", "step_start", "step_end")
    first = first_paid_start(ctx).rename(_account="account_id")
    t = t.left_join(first, t.account_id == first._account).drop("_account")
    start, end_const, end = t.arr_lo, t.arr_hi_const, t.arr_hi
    zero = ibis.literal(0.0)
    was, now = start > 0, end_const > 0
    change = end_const - start
    arriving = ~was & now
    first_time = t.first_paid_start.isnull() | (t.first_paid_start >= t.step_start)
    return t.select(
        *STEP_COLUMNS,
        "account_id",
        start_arr=start,
        new=ibis.ifelse(arriving & first_time, end_const, zero),
        expansion=ibis.ifelse(was & now & (change > 0), change, zero),
        contraction=ibis.ifelse(was & now & (change < 0), -change, zero),
        churn=ibis.ifelse(was & ~now, start, zero),
        reactivation=ibis.ifelse(arriving & ~first_time, end_const, zero),
        fx=end - end_const,
        end_arr=end,
    )


def bridge_facts(ctx: KpiContext) -> ir.Table:
    """Account movements plus ``opening``/``closing``: start of the first step, end of the last."""
    m = account_movements(ctx)
    zero = ibis.literal(0.0)
    return m.mutate(
        opening=ibis.ifelse(m.step_start == m.period_start, m.start_arr, zero),
        closing=ibis.ifelse(m.step_end == m.period_end, m.end_arr, zero),
    )


def bridge_measures(facts: ir.Table) -> dict[str, ir.Value]:
    """The bridge of a group: start, the movements summed over its steps, end."""
    return {
        "start": facts.opening.sum(),
        **{line: facts[line].sum() for line in MOVEMENTS},
        "end": facts.closing.sum(),
    }


_LINES = {
    "new": ("new_arr", "New ARR", "ARR from accounts that never paid before.", "higher"),
    "expansion": (
        "expansion_arr",
        "Expansion ARR",
        "ARR added by paying accounts (upsell, cross-sell, whitespace), net per account "
        "and month, at constant exchange rates.",
        "higher",
    ),
    "contraction": (
        "contraction_arr",
        "Contraction ARR",
        "ARR lost by accounts that still pay (downgrades, dropped products), net per "
        "account and month, at constant exchange rates.",
        "lower",
    ),
    "churn": (
        "churned_arr",
        "Churned ARR",
        "ARR of accounts whose last active contract ended (or was cancelled, with "
        "cancellation recognition).",
        "lower",
    ),
    "reactivation": (
        "reactivation_arr",
        "Reactivation ARR",
        "ARR of accounts that had churned and came back.",
        "higher",
    ),
    "fx": (
        "fx_arr",
        "Exchange-rate effect on ARR",
        "Change in reporting-currency ARR caused only by exchange-rate moves.",
        "higher",
    ),
}

for _line, (_name, _title, _description, _direction) in _LINES.items():
    register(
        Kpi(
            name=_name,
            title=_title,
            description=_description + " One line of the ARR bridge, summed over the months.",
            formula=(
                f"sum over the period's months and its accounts of the {_line} movement "
                "(see the ARR bridge: start + new + expansion - contraction - churn "
                "+ reactivation + fx = end)"
            ),
            unit="money",
            direction=_direction,  # type: ignore[arg-type]
            tables=("contracts",),
            facts=bridge_facts,
            measures=total(_line),
            family="movements",
            example=(
                "2026-Q3 bridge: start 300.00, new 50.00, expansion 40.00, contraction "
                "10.00, churn 100.00, reactivation 20.00, fx 5.00 -> end 305.00; "
                f"{_name} is the {_line} line."
            ),
        )
    )
