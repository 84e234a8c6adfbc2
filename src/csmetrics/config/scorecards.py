"""Config sections for targets, CSM scorecards, fair comparison and renewal forecasts.

KPI names are checked against the registry where they are used (the registry sits
above config); everything else is checked here, so a typo fails at open with the key.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Share = Annotated[float, Field(gt=0, le=1)]
Weight = Annotated[float, Field(ge=0)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class TargetValue(_Section):
    """One target: a KPI's goal for a CSM, a team or the company in one period."""

    kpi: str
    grain: Literal["csm", "team", "company"]
    id: str = "all"
    period: str
    target: float

    @model_validator(mode="after")
    def _company_is_all(self) -> TargetValue:
        if self.grain == "company" and self.id != "all":
            raise ValueError("a company target has id 'all'")
        return self


class DerivedRetentionConfig(_Section):
    """The logo retention target derived from the customers renewing in each book.

    For a group's start cohort (accounts paying on the period's first day) the target
    is the share expected to stay: an account with no contract due in the period
    counts 1; one renewing counts its tier's ``renewal_rate``; one whose due contracts
    are all monthly terms counts ``monthly_renewal_rate`` to the power of how many of
    them fall due (it has to renew every month).
    """

    derived: bool = True
    renewal_rate: Share = 0.9
    renewal_rate_by_tier: dict[str, Share] = Field(default_factory=dict)
    monthly_renewal_rate: Share = 0.99


class TargetsConfig(_Section):
    values: tuple[TargetValue, ...] = ()
    default: dict[str, float] = Field(
        default_factory=lambda: {
            "grr": 0.9,
            "nrr": 1.0,
            "onboarding_days": 30.0,
            "onboarding_within_sla": 0.9,
            "nps": 0.3,
            "license_utilisation": 0.7,
        }
    )
    logo_retention: DerivedRetentionConfig = Field(default_factory=DerivedRetentionConfig)

    @field_validator("values")
    @classmethod
    def _unique(cls, value: tuple[TargetValue, ...]) -> tuple[TargetValue, ...]:
        seen: set[tuple[str, str, str, str]] = set()
        for row in value:
            key = (row.kpi, row.grain, row.id, row.period)
            if key in seen:
                raise ValueError(
                    f"two targets for {row.kpi} {row.grain} {row.id} {row.period}; keep one"
                )
            seen.add(key)
        return value


# Maturity presets: which KPIs a scorecard shows and how they weigh in its score.
BUILTIN_PRESETS: MappingProxyType[str, dict[str, float]] = MappingProxyType(
    {
        "early": {
            "logo_retention": 0.4,
            "grr": 0.2,
            "onboarding_days": 0.2,
            "onboarding_within_sla": 0.2,
        },
        "growth": {"nrr": 0.4, "nps": 0.25, "mau": 0.35},
        "late": {"expansion_arr": 0.3, "nrr": 0.3, "cost_to_retain": 0.2, "cost_to_expand": 0.2},
    }
)


class ScorecardsConfig(_Section):
    preset: str = "growth"
    presets: dict[str, dict[str, Weight]] = Field(
        default_factory=lambda: {name: dict(kpis) for name, kpis in BUILTIN_PRESETS.items()}
    )
    trend_periods: Annotated[int, Field(ge=1, le=12)] = 4
    min_count: Annotated[int, Field(ge=1)] = 10
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.9
    attainment_cap: Annotated[float, Field(ge=1)] = 1.5

    @field_validator("presets")
    @classmethod
    def _merged(cls, value: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        """A preset named here replaces the built-in one of that name; others stay."""
        for name, kpis in value.items():
            if not kpis:
                raise ValueError(f"{name}: a preset needs at least one KPI")
            if sum(kpis.values()) <= 0:
                raise ValueError(f"{name}: the weights must add up to more than 0")
        return {**{n: dict(k) for n, k in BUILTIN_PRESETS.items()}, **value}

    @model_validator(mode="after")
    def _preset_exists(self) -> ScorecardsConfig:
        if self.preset not in self.presets:
            known = ", ".join(sorted(self.presets))
            raise ValueError(f"preset {self.preset!r} is not defined; presets: {known}")
        return self


class FairComparisonConfig(_Section):
    history_periods: Annotated[int, Field(ge=1, le=40)] = 8
    min_examples: Annotated[int, Field(ge=10)] = 100
    arr_bands: tuple[Annotated[float, Field(gt=0)], ...] = (10_000.0, 50_000.0, 100_000.0)
    health_model: str | None = None
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.9
    min_accounts: Annotated[int, Field(ge=1)] = 10

    @field_validator("arr_bands")
    @classmethod
    def _ascending(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if list(value) != sorted(set(value)):
            raise ValueError("ARR band edges must be ascending and distinct")
        return value


class ForecastsConfig(_Section):
    cutoff: Literal["quarter_start", "renewal"] = "quarter_start"
    include_monthly: bool = False
