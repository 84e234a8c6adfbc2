"""The shape of csmetrics.yaml, as frozen Pydantic models.

Unknown keys are errors (a typo must not silently fall back to a default), and the
built-in defaults are the models' defaults, so ``csmetrics init`` writes exactly
what an empty file would mean. Later sections (health, risk, targets, comp) are
added here as their own models.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from csmetrics.config.compensation import CompensationConfig
from csmetrics.config.health import HealthConfig, QuadrantConfig, check_quadrant
from csmetrics.config.risk import RiskConfig
from csmetrics.config.scorecards import (
    FairComparisonConfig,
    ForecastsConfig,
    ScorecardsConfig,
    TargetsConfig,
)
from csmetrics.config.web import WebConfig
from csmetrics.schema import table, table_names


class Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CompanyConfig(Section):
    name: str = "My Company"
    reporting_currency: Annotated[str, Field(min_length=3, max_length=3)] = "USD"
    fiscal_year_start_month: Annotated[int, Field(ge=1, le=12)] = 1

    @field_validator("reporting_currency")
    @classmethod
    def _upper(cls, value: str) -> str:
        if not value.isalpha():
            raise ValueError("must be a 3-letter ISO 4217 currency code, e.g. USD")
        return value.upper()


class EngineConfig(Section):
    """Where the store lives and where KPI expressions run (see ``engine.backends``)."""

    backend: Literal["duckdb", "pyspark", "url"] = "duckdb"
    path: str = "csmetrics.duckdb"
    threads: Annotated[int, Field(ge=1)] | None = None
    memory_limit: str | None = None
    master: str = "local[2]"
    spark_conf: dict[str, str | bool | int | float] = Field(default_factory=dict)
    url: str | None = None
    tables: dict[str, str] = Field(default_factory=dict)

    @field_validator("tables")
    @classmethod
    def _canonical(cls, value: dict[str, str]) -> dict[str, str]:
        for name, location in value.items():
            if name not in table_names():
                raise ValueError(
                    f"unknown table {name!r}; expected one of {', '.join(table_names())}"
                )
            if not location.strip():
                raise ValueError(f"{name}: give a Parquet path or a table name")
        return value

    @model_validator(mode="after")
    def _url_backend(self) -> EngineConfig:
        if self.backend == "url" and not self.url:
            raise ValueError("backend url needs engine.url, e.g. postgres://user@host/db")
        if self.url and self.backend != "url":
            raise ValueError(f"engine.url is set but backend is {self.backend}; use backend: url")
        return self


class ImportConfig(Section):
    mappings: dict[str, dict[str, str]] = Field(default_factory=dict)
    date_formats: tuple[str, ...] = ()
    csv_delimiter: str | None = None
    max_reported_errors: Annotated[int, Field(ge=1)] = 20

    @field_validator("mappings")
    @classmethod
    def _known_tables(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for name, mapping in value.items():
            if name not in table_names():
                raise ValueError(
                    f"unknown table {name!r}; expected one of {', '.join(table_names())}"
                )
            columns = set(table(name).column_names)
            for source, target in mapping.items():
                if target not in columns:
                    raise ValueError(
                        f"{name}: {source!r} maps to {target!r}, which is not a column of {name}"
                    )
        return value


class RevenueConfig(Section):
    churn_recognition: Literal["end_of_term", "cancellation"] = "end_of_term"
    renewal_grace_days: Annotated[int, Field(ge=0, le=365)] = 0


class AdoptionConfig(Section):
    active_event_types: tuple[str, ...] = ("sign_in", "meeting_booked", "settings_changed")
    key_features: tuple[str, ...] = ("routing_rule_created", "calendar_connected", "report_viewed")
    # Company MAU targets by period label ("2026-Q3": 1200); the targets table
    # (kpi "mau") sets CSM and team targets and overrides these.
    mau_targets: dict[str, Annotated[float, Field(gt=0)]] = Field(default_factory=dict)
    new_customer_months: Annotated[int, Field(ge=1, le=36)] = 3

    @field_validator("active_event_types")
    @classmethod
    def _not_empty(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        if not value:
            raise ValueError("at least one event type must count as a significant action")
        return value


class OnboardingConfig(Section):
    sla_days: Annotated[int, Field(ge=1)] = 30
    sla_days_by_tier: dict[str, Annotated[int, Field(ge=1)]] = Field(default_factory=dict)


class SupportConfig(Section):
    first_response_hours: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {"urgent": 1.0, "high": 4.0, "normal": 8.0, "low": 24.0}
    )
    resolution_hours: dict[str, Annotated[float, Field(gt=0)]] = Field(
        default_factory=lambda: {"urgent": 8.0, "high": 24.0, "normal": 72.0, "low": 168.0}
    )


class AdvocacyConfig(Section):
    # A validated reference has been a paying customer at least this many days.
    reference_min_tenure_days: Annotated[int, Field(ge=0)] = 365


class Config(Section):
    """The whole csmetrics.yaml."""

    version: Literal[1] = 1
    company: CompanyConfig = Field(default_factory=CompanyConfig)
    engine: EngineConfig = Field(default_factory=EngineConfig)
    imports: ImportConfig = Field(default_factory=ImportConfig)
    revenue: RevenueConfig = Field(default_factory=RevenueConfig)
    adoption: AdoptionConfig = Field(default_factory=AdoptionConfig)
    onboarding: OnboardingConfig = Field(default_factory=OnboardingConfig)
    support: SupportConfig = Field(default_factory=SupportConfig)
    advocacy: AdvocacyConfig = Field(default_factory=AdvocacyConfig)
    targets: TargetsConfig = Field(default_factory=TargetsConfig)
    scorecards: ScorecardsConfig = Field(default_factory=ScorecardsConfig)
    fair_comparison: FairComparisonConfig = Field(default_factory=FairComparisonConfig)
    forecasts: ForecastsConfig = Field(default_factory=ForecastsConfig)
    compensation: CompensationConfig = Field(default_factory=CompensationConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    quadrant: QuadrantConfig = Field(default_factory=QuadrantConfig)
    risk: RiskConfig = Field(default_factory=RiskConfig)
    web: WebConfig = Field(default_factory=WebConfig)

    @model_validator(mode="before")
    @classmethod
    def _engine_shorthand(cls, data: object) -> object:
        """Accept ``engine: duckdb`` as shorthand for ``engine: {backend: duckdb}``."""
        if isinstance(data, dict) and isinstance(data.get("engine"), str):
            data = {**data, "engine": {"backend": data["engine"]}}
        return data

    @field_validator("quadrant")
    @classmethod
    def _quadrant_measures(cls, value: QuadrantConfig, info: ValidationInfo) -> QuadrantConfig:
        """The quadrant names measures of a health model: check them against it."""
        health = info.data.get("health")
        if health is not None:
            check_quadrant(health, value)
        return value
