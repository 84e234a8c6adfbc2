"""Judging every enabled rule for every paying account on one or more days.

One query for the book (the paying accounts with ARR, renewal and owner) and one
per rule; each rule's query returns only its firing (day, account) pairs, so what
reaches pandas is at most accounts x days rows, where the reasons are written.
A rule is *not available* when a table it needs is empty or what it reads is not
stored (health scores): it stays silent and ``Evaluation.rules`` says why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Literal

import pandas as pd

from csmetrics.config.risk import RULE_NAMES
from csmetrics.errors import RiskError
from csmetrics.kpis import get as get_kpi
from csmetrics.kpis.compute import check_available
from csmetrics.risk.book import BOOK_COLUMNS, book
from csmetrics.risk.context import RiskContext
from csmetrics.risk.registry import kind

if TYPE_CHECKING:
    from csmetrics.config import Config
    from csmetrics.config.risk import RuleConfig
    from csmetrics.engine import Engine

Status = Literal["evaluated", "disabled", "not available"]

SIGNAL_COLUMNS = (
    "as_of",
    "account_id",
    "account_name",
    "tier",
    "segment",
    "csm_id",
    "csm_name",
    "team",
    "arr",
    "renewal_date",
    "days_to_renewal",
    "rule",
    "title",
    "severity",
    "reason",
)
KEYS = ("as_of", "account_id")


@dataclass(frozen=True)
class RuleStatus:
    """How one rule fared: judged (and how many accounts it fired for), or why not."""

    rule: str
    title: str
    severity: str
    status: Status
    note: str = ""
    fired: int = 0


@dataclass(frozen=True)
class Evaluation:
    """The judged accounts (``book``), the firing rules (``signals``) and each rule's status."""

    days: tuple[date, ...]
    book: pd.DataFrame
    signals: pd.DataFrame
    rules: tuple[RuleStatus, ...]

    @property
    def evaluated(self) -> tuple[str, ...]:
        """The rules that were judged (only these may open or close calls to action)."""
        return tuple(r.rule for r in self.rules if r.status == "evaluated")

    def notes(self) -> list[str]:
        """One line per rule that was not judged, for the summary under a result."""
        return [f"{r.rule}: {r.status}: {r.note}" for r in self.rules if r.status != "evaluated"]

    def only(self, csm: str | None = None, rule: str | None = None) -> Evaluation:
        """The accounts one CSM owns, and/or the firings of one rule."""
        book, signals = self.book, self.signals
        if csm is not None:
            book = book[book["csm_id"] == csm]
            signals = signals[signals["csm_id"] == csm]
        if rule is not None:
            if rule not in RULE_NAMES:
                raise RiskError(f"unknown risk rule {rule!r}; rules: {', '.join(RULE_NAMES)}")
            signals = signals[signals["rule"] == rule]
        return replace(
            self, book=book.reset_index(drop=True), signals=signals.reset_index(drop=True)
        )


def evaluate(engine: Engine, config: Config, days: Sequence[date]) -> Evaluation:
    """Judge every enabled rule on each of ``days`` (see the module doc)."""
    check_available(engine, config, get_kpi("arr"), "company")
    ctx = RiskContext(tables=engine.table, config=config, days=tuple(sorted(set(days))))
    judged = _dated(engine.execute(book(ctx)), ("as_of", "renewal_date", "customer_since"))
    judged = judged[list(BOOK_COLUMNS)]
    frames, statuses = [], []
    for name in RULE_NAMES:
        rule: RuleConfig = getattr(config.risk.rules, name)
        rule_kind = kind(name)
        status, note = _readiness(engine, config, name, rule)
        if status is not None:
            statuses.append(RuleStatus(name, rule_kind.title, rule.severity, status, note))
            continue
        if rule_kind.prepare is not None:
            prepared, note = rule_kind.prepare(engine, config, rule)
            if prepared is None:
                statuses.append(
                    RuleStatus(name, rule_kind.title, rule.severity, "not available", note)
                )
                continue
            rule = prepared
        fired = _dated(engine.execute(rule_kind.facts(ctx, rule)), ("as_of",))
        scope = judged[judged["tier"].isin(rule.tiers)] if rule.tiers else judged
        fired = fired.merge(scope[list(KEYS)], on=list(KEYS), how="inner")
        if not fired.empty:
            reasons = [rule_kind.reason(row, rule) for row in fired.to_dict("records")]
            fired = fired[list(KEYS)].assign(
                rule=name, title=rule_kind.title, severity=rule.severity, reason=reasons
            )
            frames.append(fired.merge(judged, on=list(KEYS), how="inner"))
        statuses.append(
            RuleStatus(
                name,
                rule_kind.title,
                rule.severity,
                "evaluated",
                fired=int(fired["account_id"].nunique()) if not fired.empty else 0,
            )
        )
    return Evaluation(ctx.days, judged, _signals(frames), tuple(statuses))


def _readiness(
    engine: Engine, config: Config, name: str, rule: RuleConfig
) -> tuple[Status | None, str]:
    if not rule.enabled:
        return "disabled", f"risk.rules.{name}.enabled is false"
    missing = [t for t in kind(name).tables if not engine.has_rows(t)]
    if missing:
        return "not available", f"needs table {', '.join(missing)}"
    return None, ""


def _dated(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Date columns as ``datetime.date`` (None when empty), whatever the engine returned."""
    frame = frame.copy()
    for column in columns:
        if column in frame:
            values = pd.to_datetime(frame[column])
            frame[column] = [None if pd.isna(v) else v.date() for v in values]
    return frame


def _signals(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The firing rules in one frame, biggest ARR first, rules in declaration order."""
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in SIGNAL_COLUMNS})
    out = pd.concat([f.reindex(columns=SIGNAL_COLUMNS) for f in frames], ignore_index=True)
    out["days_to_renewal"] = [
        None if r is None else (r - d).days
        for r, d in zip(out["renewal_date"], out["as_of"], strict=True)
    ]
    out["days_to_renewal"] = out["days_to_renewal"].astype("Int64")
    out["arr"] = out["arr"].astype("float64").round(2)
    order = out["rule"].map({name: i for i, name in enumerate(RULE_NAMES)})
    out = out.assign(_order=order).sort_values(
        ["as_of", "arr", "account_id", "_order"], ascending=[True, False, True, True]
    )
    return out.drop(columns="_order").reset_index(drop=True)
