"""Health models in csmetrics.yaml: the defaults, and bad models named with the measure at fault."""

from __future__ import annotations

import pytest

from csmetrics import kpis
from csmetrics.config import Config, parse_config
from csmetrics.config.health import SIGNALS, SignalName
from csmetrics.errors import ConfigError
from csmetrics.health import SIGNALS as REGISTERED
from csmetrics.health.measures import check_model


def test_every_signal_in_config_is_implemented_and_vice_versa():
    assert set(SIGNALS) == set(REGISTERED)
    assert set(SIGNALS) == set(SignalName.__args__)  # type: ignore[attr-defined]


def test_the_default_model_uses_kpis_available_per_account():
    config = Config()
    name, model = config.health.model()
    assert name == "standard"
    check_model(name, model)  # raises on an unknown KPI or one without an account grain
    for measure in model.measures.values():
        if measure.kpi:
            assert "account" in kpis.get(measure.kpi).grains


def model_yaml(measures: str, extra: str = "") -> str:
    return (
        "health:\n  default_model: m\n  models:\n    m:\n"
        + extra
        + "      measures:\n"
        + measures
        + "quadrant:\n  model: m\n  outcome: {a: 1}\n  experience: {a: 1}\n"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            model_yaml("        a: {kpi: nps, points: [[0.5, 0], [0.1, 100]]}\n"),
            r"csmetrics.yaml:6: health.models.m.measures.a: points: the raw values must increase",
        ),
        (
            model_yaml("        a: {kpi: nps, signal: mau_trend, points: [[0, 0], [1, 100]]}\n"),
            r"health.models.m.measures.a: give exactly one of kpi .* or signal",
        ),
        (
            model_yaml("        a: {signal: mau_trnd, points: [[0, 0], [1, 100]]}\n"),
            r"health.models.m.measures.a.signal: Input should be 'mau_trend'",
        ),
        (
            model_yaml("        a: {kpi: nps, points: [[0, 0]]}\n"),
            r"health.models.m.measures.a: points: a linear scheme needs at least two",
        ),
        (
            model_yaml("        a: {kpi: nps, points: [[0, 0], [1, 120]]}\n"),
            r"health.models.m.measures.a.points.1.1: Input should be less than or equal to 100",
        ),
        (
            model_yaml("        a: {kpi: nps, weight: -1, points: [[0, 0], [1, 100]]}\n"),
            r"health.models.m.measures.a.weight: Input should be greater than or equal to 0",
        ),
        (
            model_yaml("        a: {kpi: nps, weight: 0, points: [[0, 0], [1, 100]]}\n"),
            r"health.models.m.measures: at least one measure needs a weight above 0",
        ),
        (
            model_yaml("        a: {kpi: nps, missing: sometimes, points: [[0, 0], [1, 100]]}\n"),
            r"health.models.m.measures.a.missing",
        ),
        (
            model_yaml(
                "        a: {kpi: nps, points: [[0, 0], [1, 100]]}\n",
                "      tiers: {strategic: {measures: {b: {weight: 2}}}}\n",
            ),
            r"health.models.m: tiers.strategic.measures.b: not a measure of this model",
        ),
        (
            model_yaml(
                "        a: {kpi: nps, points: [[0, 0], [1, 100]]}\n",
                "      tiers: {strategic: {measures: {a: {points: [[1, 0], [0, 100]]}}}}\n",
            ),
            r"tiers.strategic.measures.a.points: the raw values must increase",
        ),
        (
            model_yaml(
                "        a: {kpi: nps, points: [[0, 0], [1, 100]]}\n",
                "      bands: {red_below: 80, green_from: 60}\n",
            ),
            r"health.models.m.bands: red_below \(80\) must not be above green_from \(60\)",
        ),
        (
            "health:\n  default_model: gone\n",
            r"csmetrics.yaml:1: health: default_model 'gone' is not a declared model",
        ),
        (
            "quadrant:\n  outcome: {adoption: 1}\n",
            r"quadrant: outcome: adoption not a measure of health model 'standard'",
        ),
        ("quadrant:\n  experience: {}\n", r"quadrant.experience: name at least one measure"),
        ("health:\n  backtest: {horizon_months: 0}\n", r"health.backtest.horizon_months"),
    ],
)
def test_a_bad_model_is_one_line_naming_the_key(text, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(text)
    assert "\n" not in str(info.value)


def test_a_single_model_is_the_default_without_saying_so():
    text = model_yaml("        a: {kpi: nps, points: [[0, 0], [1, 100]]}\n").replace(
        "  default_model: m\n", ""
    )
    assert parse_config(text).health.default_model == "m"


def test_an_unknown_kpi_is_named_when_the_model_is_used():
    config = parse_config(model_yaml("        a: {kpi: nsp, points: [[0, 0], [1, 100]]}\n"))
    with pytest.raises(ConfigError, match=r"health.models.m.measures.a.kpi: unknown KPI 'nsp'"):
        check_model("m", config.health.models["m"])


def test_a_kpi_without_an_account_grain_is_refused():
    config = parse_config(
        model_yaml("        a: {kpi: mau_attainment, points: [[0, 0], [1, 100]]}\n")
    )
    with pytest.raises(
        ConfigError, match=r"measures.a.kpi: mau_attainment is not available by account"
    ):
        check_model("m", config.health.models["m"])
