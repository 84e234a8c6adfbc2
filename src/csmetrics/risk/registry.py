"""The rule kinds: what each of the ten rules reads, how it fires and how it explains itself.

A rule kind is declared once, in the module of its family (``usage_rules``,
``support_rules``, ``voice_rules``, ``account_rules``), with:

``facts(ctx, rule)``
    A deferred Ibis table of the *firing* (day, account) pairs: ``as_of``,
    ``account_id`` and the numbers the reason quotes. It is judged for every account
    and day at once; the evaluator keeps the paying customers of the rule's tiers.
``reason(row, rule)``
    The sentence a CSM reads, built from one firing row (a dict) and the rule's
    parameters, with the numbers: "MAU 12 is 45% below the trailing 3-month average
    of 22 (the rule fires at 30% or more)".
``tables``
    The canonical tables it needs; when one is empty the rule is *not available*
    (silent, and the evaluation summary says why) rather than firing on nothing.
``prepare(engine, config, rule)``
    Optional: checks what the rule needs beyond canonical tables (stored health
    scores, configured key features) and settles what the store decides (which
    health model to read). Returns the rule to judge, or None and why it cannot run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from csmetrics.config import Config
    from csmetrics.engine import Engine
    from csmetrics.risk.context import RiskContext

Facts = Callable[["RiskContext", Any], "ir.Table"]
Reason = Callable[[dict[str, Any], Any], str]
Prepare = Callable[["Engine", "Config", Any], "tuple[Any | None, str]"]


@dataclass(frozen=True)
class RuleKind:
    name: str
    title: str
    tables: tuple[str, ...]
    facts: Facts
    reason: Reason
    prepare: Prepare | None = None


# Thresholds are decimals (0.3); comparisons allow for binary rounding only.
EPSILON = 1e-9

_KINDS: dict[str, RuleKind] = {}


def register(kind: RuleKind) -> RuleKind:
    if kind.name in _KINDS and _KINDS[kind.name] is not kind:
        raise ValueError(f"risk rule {kind.name!r} is declared twice")
    _KINDS[kind.name] = kind
    return kind


def kind(name: str) -> RuleKind:
    _load()
    return _KINDS[name]


def _load() -> None:
    """Import the rule families once so each registers its kinds."""
    from csmetrics.risk import account_rules, support_rules, usage_rules, voice_rules  # noqa: F401


# -- formatting helpers shared by the reasons ------------------------------------------


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 ticket``, ``3 tickets``."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def number(value: float) -> str:
    """An integer as such, anything else with one decimal: 22, 21.7."""
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def percent(share: float) -> str:
    return f"{100 * share:.0f}%"


def day(value: Any) -> str:
    """A date (or pandas timestamp) as ISO text."""
    return value.date().isoformat() if hasattr(value, "hour") else value.isoformat()
