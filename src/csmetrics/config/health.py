"""The ``health:`` and ``quadrant:`` sections: health models, their back-test, the quadrant.

A health model turns each measure's raw value (a KPI over a window, or a raw signal)
into 0-100 points with a scheme, and the score is the weighted mean of the points of
the measures that have data. The built-in ``standard`` model is written out in full
by ``csmetrics init`` so it can be read and edited like any other.

Signal names are listed here (not imported from ``csmetrics.health``) because config
sits below the health layer; a test keeps this list and the signal registry equal.
"""

from __future__ import annotations

from datetime import date
from itertools import pairwise
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SIGNALS = (
    "mau_trend",
    "tickets_per_100_licenses",
    "ticket_days_open",
    "ticket_csat",
    "invoices_on_time",
    "champion_present",
    "email_engagement",
    "community_engagement",
    "renewals_so_far",
    "tenure_months",
    "goals_achieved",
)
SignalName = Literal[
    "mau_trend",
    "tickets_per_100_licenses",
    "ticket_days_open",
    "ticket_csat",
    "invoices_on_time",
    "champion_present",
    "email_engagement",
    "community_engagement",
    "renewals_so_far",
    "tenure_months",
    "goals_achieved",
]
Scheme = Literal["linear", "thresholds"]
Missing = Literal["skip"] | Annotated[float, Field(ge=0, le=100)]
Points = tuple[tuple[float, Annotated[float, Field(ge=0, le=100)]], ...]
Weight = Annotated[float, Field(ge=0)]
Months = Annotated[int, Field(ge=1, le=36)]


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _check_points(points: Points | None, scheme: Scheme | None) -> None:
    """Raw values strictly increasing; linear needs two pairs to draw a line."""
    if points is None:
        return
    if not points:
        raise ValueError("points: at least one [raw value, points] pair is needed")
    raws = [raw for raw, _ in points]
    if any(b <= a for a, b in pairwise(raws)):
        raise ValueError(f"points: the raw values must increase strictly, got {raws}")
    if scheme == "linear" and len(points) < 2:
        raise ValueError("points: a linear scheme needs at least two [raw value, points] pairs")


class Measure(_Section):
    """One input of a health model: where its raw value comes from and how it scores.

    ``points`` are [raw value, points] pairs with raw values increasing. ``linear``
    interpolates between them and is flat beyond the ends; ``thresholds`` gives each
    pair's points from its raw value up to the next pair's (below the first pair: the
    first pair's points). Points falling as the raw value rises make lower better.
    """

    label: str | None = None
    kpi: str | None = None
    signal: SignalName | None = None
    window_months: Months = 1
    weight: Weight = 1.0
    scheme: Scheme = "linear"
    points: Points
    missing: Missing | None = None

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.kpi is None) == (self.signal is None):
            raise ValueError("give exactly one of kpi (a KPI name) or signal (a raw signal)")
        _check_points(self.points, self.scheme)
        return self


class MeasureOverride(_Section):
    """A tier's changes to one measure; unset keys keep the model's."""

    weight: Weight | None = None
    scheme: Scheme | None = None
    points: Points | None = None
    missing: Missing | None = None


class Bands(_Section):
    """Colour bands: red below ``red_below``, green from ``green_from``, yellow between."""

    red_below: Annotated[float, Field(ge=0, le=100)] = 40.0
    green_from: Annotated[float, Field(ge=0, le=100)] = 70.0

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.red_below > self.green_from:
            raise ValueError(
                f"red_below ({self.red_below:g}) must not be above green_from ({self.green_from:g})"
            )
        return self


class TierOverride(_Section):
    bands: Bands | None = None
    measures: dict[str, MeasureOverride] = Field(default_factory=dict)


class HealthModel(_Section):
    """A named health model (see the module doc)."""

    description: str = ""
    bands: Bands = Field(default_factory=Bands)
    missing: Missing = "skip"
    measures: dict[str, Measure]
    tiers: dict[str, TierOverride] = Field(default_factory=dict)

    @field_validator("measures")
    @classmethod
    def _some_weight(cls, value: dict[str, Measure]) -> dict[str, Measure]:
        if not value:
            raise ValueError("a health model needs at least one measure")
        if not any(m.weight > 0 for m in value.values()):
            raise ValueError("at least one measure needs a weight above 0")
        return value

    @model_validator(mode="after")
    def _overrides_name_measures(self) -> Self:
        for tier, override in self.tiers.items():
            for name, change in override.measures.items():
                if name not in self.measures:
                    raise ValueError(
                        f"tiers.{tier}.measures.{name}: not a measure of this model "
                        f"(measures: {', '.join(self.measures)})"
                    )
                base = self.measures[name]
                scheme = change.scheme or base.scheme
                try:
                    _check_points(change.points or base.points, scheme)
                except ValueError as exc:
                    raise ValueError(f"tiers.{tier}.measures.{name}.{exc}") from None
        return self

    def measure_for(self, name: str, tier: str | None) -> Measure:
        """The measure as it applies to an account of ``tier`` (overrides merged)."""
        base = self.measures[name]
        override = self.tiers.get(tier or "", TierOverride()).measures.get(name)
        if override is None:
            return base
        changes = {k: v for k, v in override.model_dump().items() if v is not None}
        return base.model_copy(update=changes)

    def bands_for(self, tier: str | None) -> Bands:
        override = self.tiers.get(tier or "")
        return override.bands if override is not None and override.bands else self.bands


def _pts(*pairs: tuple[float, float]) -> Points:
    return tuple(pairs)


STANDARD_MODEL = HealthModel(
    description=(
        "Usage, surveys, support, billing and the champion: the signals that precede churn."
    ),
    measures={
        "license_utilisation": Measure(
            label="License utilisation",
            kpi="license_utilisation",
            weight=20,
            points=_pts((0.1, 0), (0.4, 50), (0.8, 100)),
        ),
        "key_feature_adoption": Measure(
            label="Key-feature adoption",
            kpi="key_feature_user_adoption",
            weight=10,
            points=_pts((0.05, 0), (0.4, 100)),
        ),
        "mau_trend": Measure(
            label="MAU trend",
            signal="mau_trend",
            weight=5,
            points=_pts((-0.5, 0), (-0.1, 100)),
        ),
        "nps": Measure(
            label="NPS",
            kpi="nps",
            window_months=12,
            weight=20,
            points=_pts((-0.5, 0), (0.0, 50), (0.5, 100)),
        ),
        "csat": Measure(
            label="CSAT",
            kpi="csat",
            window_months=6,
            weight=10,
            points=_pts((0.4, 0), (0.9, 100)),
        ),
        "support_tickets": Measure(
            label="Support tickets",
            signal="tickets_per_100_licenses",
            window_months=3,
            weight=15,
            points=_pts((0.0, 100), (5.0, 60), (15.0, 0)),
        ),
        "ticket_csat": Measure(
            label="Support CSAT",
            signal="ticket_csat",
            window_months=6,
            weight=0,
            points=_pts((0.4, 0), (0.9, 100)),
        ),
        "invoices_on_time": Measure(
            label="Invoices paid on time",
            signal="invoices_on_time",
            window_months=6,
            weight=10,
            points=_pts((0.5, 0), (1.0, 100)),
        ),
        "champion": Measure(
            label="Champion",
            signal="champion_present",
            weight=10,
            scheme="thresholds",
            points=_pts((0, 0), (1, 100)),
        ),
        "renewals": Measure(
            label="Renewals so far",
            signal="renewals_so_far",
            weight=5,
            scheme="thresholds",
            points=_pts((0, 40), (1, 70), (2, 100)),
        ),
        "goals_achieved": Measure(
            label="Success-plan goals achieved",
            signal="goals_achieved",
            window_months=24,
            weight=0,
            points=_pts((0.0, 0), (1.0, 100)),
        ),
    },
)


class BacktestConfig(_Section):
    """How ``csmetrics health backtest`` judges a model against renewals in history."""

    horizon_months: Annotated[int, Field(ge=1, le=24)] = 3
    cutoff: date | None = None
    test_months: Annotated[int, Field(ge=1, le=120)] = 12
    calibration: Literal["isotonic", "sigmoid"] = "isotonic"
    context: tuple[Literal["tier", "billing_term"], ...] = ("tier", "billing_term")
    min_training_renewals: Annotated[int, Field(ge=10)] = 50


class HealthConfig(_Section):
    default_model: str = "standard"
    trend_months: Months = 3
    champion_roles: tuple[str, ...] = ("champion",)
    models: dict[str, HealthModel] = Field(default_factory=lambda: {"standard": STANDARD_MODEL})
    backtest: BacktestConfig = Field(default_factory=BacktestConfig)

    @model_validator(mode="after")
    def _default_exists(self) -> Self:
        if not self.models:
            raise ValueError("models: declare at least one health model")
        if self.default_model in self.models:
            return self
        if "default_model" not in self.model_fields_set and len(self.models) == 1:
            return self.model_copy(update={"default_model": next(iter(self.models))})
        raise ValueError(
            f"default_model {self.default_model!r} is not a declared model "
            f"(models: {', '.join(self.models)})"
        )

    def model(self, name: str | None = None) -> tuple[str, HealthModel]:
        """The model called ``name`` (the default when None); KeyError if unknown."""
        chosen = name or self.default_model
        return chosen, self.models[chosen]


class QuadrantConfig(_Section):
    """Customer outcome vs customer experience, each the weighted points of a model's measures."""

    model: str | None = None
    outcome: dict[str, Weight] = Field(
        default_factory=lambda: {
            "license_utilisation": 1.0,
            "key_feature_adoption": 1.0,
            "goals_achieved": 1.0,
        }
    )
    experience: dict[str, Weight] = Field(
        default_factory=lambda: {"nps": 1.0, "csat": 1.0, "ticket_csat": 1.0}
    )
    outcome_split: Annotated[float, Field(ge=0, le=100)] = 50.0
    experience_split: Annotated[float, Field(ge=0, le=100)] = 50.0

    @field_validator("outcome", "experience")
    @classmethod
    def _not_empty(cls, value: dict[str, float]) -> dict[str, float]:
        if not value or not any(w > 0 for w in value.values()):
            raise ValueError("name at least one measure with a weight above 0")
        return value


def check_quadrant(health: HealthConfig, quadrant: QuadrantConfig) -> None:
    """The quadrant's model exists and has every measure its axes name."""
    name = quadrant.model or health.default_model
    if name not in health.models:
        raise ValueError(
            f"model: {name!r} is not a health model (models: {', '.join(health.models)})"
        )
    measures = health.models[name].measures
    for axis in ("outcome", "experience"):
        unknown = [m for m in getattr(quadrant, axis) if m not in measures]
        if unknown:
            raise ValueError(
                f"{axis}: {', '.join(unknown)} not a measure of health model "
                f"{name!r} (measures: {', '.join(measures)})"
            )
