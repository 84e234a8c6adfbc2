"""The scorecard of a CSM, a team or the company: each KPI against its target."""

from __future__ import annotations

import pandas as pd

from csmetrics.web import format as fmt
from csmetrics.web.roles import EVERYONE
from csmetrics.web.scoped import ScopedData
from csmetrics.web.views.base import (
    Chart,
    Column,
    Number,
    Series,
    Table,
    View,
    page,
    period_as_of,
    short,
)


def subject(d: ScopedData) -> tuple[str, str | None]:
    """Whose card: the csm filter, else the team filter, else the viewer's own level."""
    scope, f = d.viewer.scope, d.filters
    if f.csm:
        return "csm", f.csm
    if scope.role == "csm":
        return "csm", scope.csm_id
    if f.team:
        return "team", f.team
    if scope.role == "manager":
        return "team", scope.team
    return "company", None


@page("scorecard", "/scorecard", "Scorecard", EVERYONE)
def scorecard(d: ScopedData, params: dict[str, str]) -> View:
    """KPIs against targets with attainment, rank, confidence and trend (filter by CSM or team)."""
    period = d.period()
    grain, who = subject(d)
    card = d.scorecard(grain, who, period)
    as_of = period_as_of(period, d.as_of)
    name = card.subject.name
    view = View(
        "scorecard", f"Scorecard: {name}", d.as_of, period, subtitle=f"{card.preset.name} preset"
    )
    view.numbers.append(
        Number(
            "score",
            "Overall score",
            card.score,
            "ratio",
            as_of,
            period.label,
            note=f"weighted attainment; {card.accounts} accounts in the book",
        )
    )
    if card.score_rank is not None and card.peers > 1:
        view.numbers.append(
            Number(
                "rank",
                "Rank",
                card.score_rank,
                "count",
                as_of,
                period.label,
                note=f"of {card.peers}",
            )
        )
    lines = card.lines.copy()
    labels = card.trend_labels
    for row in lines.to_dict("records"):
        unit = fmt.kpi_unit(row["kpi"], row["unit"])
        attained = row["attainment"]
        view.numbers.append(
            Number(
                row["kpi"],
                short(row["kpi"]),
                _f(row["value"]),
                unit,
                as_of,
                period.label,
                numerator=_f(row["numerator"]),
                denominator=_f(row["denominator"]),
                compare=_f(row["target"]),
                compare_label="target",
                parts_unit=row["parts"],
                note="no target"
                if fmt.missing(attained)
                else f"attainment {fmt.percent(attained, 0)}",
            )
        )
        values = [_f(row.get(label)) for label in labels]
        view.charts.append(
            Chart(
                f"trend_{row['kpi']}",
                row["title"],
                labels,
                [Series(row["title"], values)],
                unit,
                d.as_of,
            )
        )
    lines["display_value"] = [
        fmt.number(v, fmt.kpi_unit(k, u), d.currency)
        for k, u, v in zip(lines["kpi"], lines["unit"], lines["value"], strict=True)
    ]
    lines["display_target"] = [
        fmt.number(v, fmt.kpi_unit(k, u), d.currency)
        for k, u, v in zip(lines["kpi"], lines["unit"], lines["target"], strict=True)
    ]
    view.tables.append(
        Table(
            "lines",
            "KPIs against target",
            lines,
            [
                Column("title", "KPI"),
                Column("display_value", "Value"),
                Column("display_target", "Target"),
                Column("target_source", "Target from"),
                Column("attainment", "Attainment", "ratio"),
                Column("weight", "Weight", "ratio"),
                Column("rank", "Rank", "count"),
                Column("of", "Of", "count"),
                Column("count", "Based on", "count"),
                Column("too_few", "Too few"),
                Column("low", "Low (CI)", "ratio"),
                Column("high", "High (CI)", "ratio"),
            ],
            as_of,
        )
    )
    if card.member_grain and isinstance(card.members, pd.DataFrame) and len(card.members):
        members = card.members
        cols = [
            Column(c, c.replace("_", " "), "ratio" if c == "score" else "text")
            for c in members.columns
        ]
        view.tables.append(Table("members", "Members", members, cols, as_of))
    view.notes += list(card.notes)
    return view


def _f(value: object) -> float | None:
    return None if fmt.missing(value) else float(value)  # type: ignore[arg-type]
