"""Maturity presets: the KPIs a scorecard shows and their weights in its overall score.

Built in (``config.scorecards.BUILTIN_PRESETS``), each overridable in config:

* ``early``: building a retention base: logo retention, gross revenue retention (its
  complement is gross churn), days to close onboarding, onboardings within SLA;
* ``growth``: net revenue retention, NPS, MAU (adoption, against its quarterly target);
* ``late``: expansion ARR, net revenue retention, cost to retain and to expand a
  dollar of ARR (net profitability; company grain only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from csmetrics import kpis
from csmetrics.errors import ConfigError, KpiError

if TYPE_CHECKING:
    from csmetrics.config import Config


@dataclass(frozen=True)
class Preset:
    """A preset resolved against the registry: KPIs in order, with weights summing to 1."""

    name: str
    kpis: tuple[kpis.Kpi, ...]
    weights: tuple[float, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.kpis)

    def weight(self, name: str) -> float:
        return self.weights[self.names.index(name)]


def resolve_preset(config: Config, name: str | None = None) -> Preset:
    """The preset ``name`` (default: ``scorecards.preset``); unknown names are errors."""
    chosen = name or config.scorecards.preset
    presets = config.scorecards.presets
    if chosen not in presets:
        raise KpiError(f"unknown preset {chosen!r}; presets: {', '.join(sorted(presets))}")
    entries = presets[chosen]
    resolved = []
    for kpi_name in entries:
        try:
            resolved.append(kpis.get(kpi_name))
        except KpiError:
            raise ConfigError(
                f"scorecards.presets.{chosen}.{kpi_name}: unknown KPI "
                "(`csmetrics kpis --list` shows them)"
            ) from None
    total = sum(entries.values())
    return Preset(chosen, tuple(resolved), tuple(w / total for w in entries.values()))


def check_target_kpis(config: Config) -> None:
    """Every KPI named in ``targets`` must exist; a ConfigError names the key otherwise."""
    named = [(f"targets.default.{k}", k) for k in config.targets.default]
    named += [(f"targets.values[{i}].kpi", v.kpi) for i, v in enumerate(config.targets.values)]
    for key, name in named:
        try:
            kpis.get(name)
        except KpiError:
            raise ConfigError(f"{key}: unknown KPI {name!r}") from None
