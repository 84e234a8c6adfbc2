"""Statements as files: ``statements.csv`` and one self-contained HTML page per person.

A run writes into a fresh temporary folder beside the target and renames it into
place, so a reader never sees half a run, and an interrupted run leaves the previous
one intact. A target folder that holds anything other than a previous run is refused,
never emptied.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from csmetrics.compensation import formats
from csmetrics.errors import CompensationError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from csmetrics.compensation.statement import Statement

CSV_NAME = "statements.csv"
INDEX_NAME = "index.html"
TOTAL = "TOTAL"


@dataclass(frozen=True)
class CompRun:
    """What a run wrote: the folder, the CSV, and one page per person."""

    out_dir: Path
    csv: Path
    pages: dict[str, Path]  # csm_id -> page
    statements: tuple[Statement, ...]


def statement_rows(statements: Sequence[Statement]) -> pd.DataFrame:
    """One row per person x plan x component, then a TOTAL row per statement."""
    rows: list[dict[str, Any]] = []
    for s in statements:
        p = s.payee
        head = {
            "plan": s.plan_id,
            "period": s.period.label,
            "period_start": s.period.start.isoformat(),
            "period_end": s.period.end.isoformat(),
            "currency": s.currency,
            "csm_id": p.csm_id,
            "csm_name": p.name,
            "team": p.team,
            "role": p.role,
        }
        pay = {
            "on_target_pay": p.on_target_pay,
            "pay_basis": p.pay_basis,
            "days_employed": p.days_employed,
            "period_days": p.period_days,
            "proration": p.proration,
            "proration_factor": p.factor,
        }
        for line in s.lines:
            rows.append(
                {
                    **head,
                    "component": line.component_id,
                    "title": line.title,
                    "measure": line.measure,
                    "scope": line.scope,
                    "scope_id": line.scope_id,
                    "direction": line.direction,
                    "value": line.value,
                    "numerator": line.numerator,
                    "denominator": line.denominator,
                    "target": line.target,
                    "target_source": line.target_source,
                    "attainment": line.attainment,
                    "threshold": line.threshold,
                    "threshold_payout": line.threshold_payout,
                    "accelerator": line.accelerator,
                    "cap": line.cap,
                    "curve": line.curve,
                    "payout": line.payout,
                    "working": line.working,
                    "missing": line.missing,
                    "missing_rule": line.missing_rule,
                    "weight": line.weight,
                    "effective_weight": line.effective_weight,
                    **pay,
                    "target_pay": line.target_pay,
                    "amount": line.amount,
                }
            )
        rows.append(
            {
                **head,
                "component": TOTAL,
                "payout": s.payout,
                "weight": 1.0,
                **pay,
                "target_pay": s.target_pay,
                "amount": s.total,
            }
        )
    return pd.DataFrame(rows, columns=_COLUMNS)


_COLUMNS = [
    "plan",
    "period",
    "period_start",
    "period_end",
    "currency",
    "csm_id",
    "csm_name",
    "team",
    "role",
    "component",
    "title",
    "measure",
    "scope",
    "scope_id",
    "direction",
    "value",
    "numerator",
    "denominator",
    "target",
    "target_source",
    "attainment",
    "threshold",
    "threshold_payout",
    "accelerator",
    "cap",
    "curve",
    "payout",
    "working",
    "missing",
    "missing_rule",
    "weight",
    "effective_weight",
    "on_target_pay",
    "pay_basis",
    "days_employed",
    "period_days",
    "proration",
    "proration_factor",
    "target_pay",
    "amount",
]


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("csmetrics.compensation", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        share=formats.share,
        money=formats.money,
        in_unit=formats.in_unit,
        attainment_working=formats.attainment_working,
        amount_working=formats.amount_working,
    )
    return env


def render_html(statements: Sequence[Statement], company: str, generated: datetime) -> str:
    """One person's statements (one per plan) as a self-contained page."""
    first = statements[0]
    return (
        _environment()
        .get_template("statement.html.j2")
        .render(
            company=company,
            person=first.payee,
            period=first.period,
            statements=statements,
            generated=generated.strftime("%Y-%m-%d %H:%M UTC"),
        )
    )


def render_index(
    statements: Sequence[Statement], pages: dict[str, str], company: str, generated: datetime
) -> str:
    """The list of every statement of a run with its total, linking to the pages."""
    return (
        _environment()
        .get_template("index.html.j2")
        .render(
            company=company,
            period=statements[0].period if statements else None,
            statements=statements,
            pages=pages,
            totals=_totals(statements),
            generated=generated.strftime("%Y-%m-%d %H:%M UTC"),
        )
    )


def _totals(statements: Sequence[Statement]) -> list[tuple[str, str, float, float]]:
    """(plan, currency, target pay, earned) per plan."""
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0, 0.0])
    for s in statements:
        entry = sums[(s.plan_id, s.currency)]
        entry[0] += s.target_pay
        entry[1] += s.total
    return [(plan, cur, round(t, 2), round(e, 2)) for (plan, cur), (t, e) in sums.items()]


def write_run(
    statements: Sequence[Statement], out_dir: Path, company: str, now: datetime | None = None
) -> CompRun:
    """Write statements.csv, index.html and <csm_id>.html into ``out_dir``, atomically."""
    generated = now or datetime.now(UTC)
    _check_target(out_dir)
    by_person: dict[str, list[Statement]] = defaultdict(list)
    for s in statements:
        by_person[s.csm_id].append(s)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        statement_rows(statements).to_csv(staging / CSV_NAME, index=False)
        names = _page_names(list(by_person))
        for csm_id, mine in by_person.items():
            page = render_html(mine, company, generated)
            (staging / names[csm_id]).write_text(page, "utf-8")
        index = render_index(statements, names, company, generated)
        (staging / INDEX_NAME).write_text(index, "utf-8")
        os.chmod(staging, 0o755)
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    pages = {csm_id: out_dir / name for csm_id, name in names.items()}
    return CompRun(out_dir, out_dir / CSV_NAME, pages, tuple(statements))


def _check_target(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise CompensationError(f"{out_dir}: exists and is not a folder")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / CSV_NAME).exists():
        raise CompensationError(
            f"{out_dir}: the folder holds other files; statements replace the whole "
            "folder, so choose an empty or new one"
        )


def _swap(staging: Path, out_dir: Path) -> None:
    """Put ``staging`` where ``out_dir`` is; the previous run is removed only after."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old.", dir=out_dir.parent))
    old.rmdir()
    out_dir.rename(old)
    try:
        staging.rename(out_dir)
    except OSError:
        old.rename(out_dir)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _page_names(csm_ids: list[str]) -> dict[str, str]:
    """``<csm_id>.html`` per person; characters unsafe in a file name become ``_`` and a
    clash (or the index's own name) gets a numeric suffix."""
    taken = {INDEX_NAME.lower()}
    names = {}
    for csm_id in csm_ids:
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in csm_id) or "_"
        name, n = f"{stem}.html", 1
        while name.lower() in taken:
            n += 1
            name = f"{stem}-{n}.html"
        taken.add(name.lower())
        names[csm_id] = name
    return names
