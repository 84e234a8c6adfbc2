"""csmetrics.yaml: the template is the defaults, and bad keys are named with their line."""

from __future__ import annotations

import pytest
import yaml
from pydantic import BaseModel

from csmetrics.config import Config, default_config_text, parse_config
from csmetrics.errors import ConfigError


def test_template_parses_to_exactly_the_defaults():
    assert parse_config(default_config_text()) == Config()
    assert parse_config("") == Config()


def _keys(model: type[BaseModel], prefix: str = "") -> set[str]:
    out = set()
    for name, field in model.model_fields.items():
        out.add(prefix + name)
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out |= _keys(annotation, f"{prefix}{name}.")
    return out


def _yaml_keys(node: object, prefix: str = "") -> set[str]:
    out = set()
    if isinstance(node, dict):
        for key, value in node.items():
            out.add(prefix + key)
            if isinstance(value, dict) and key not in {"mappings"}:
                out |= _yaml_keys(value, f"{prefix}{key}.")
    return out


def test_template_shows_every_option():
    written = _yaml_keys(yaml.safe_load(default_config_text()))
    expected = _keys(Config)
    # dict-valued options (per-tier/per-priority maps) show their entries, not sub-keys
    assert expected <= written, f"options missing from the template: {expected - written}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("revenu: {}\n", r"csmetrics.yaml:1: revenu: unknown key"),
        (
            "revenue:\n  churn_recognition: never\n",
            r"csmetrics.yaml:2: revenue.churn_recognition: Input should be 'end_of_term' or 'cancellation'",
        ),
        (
            "company:\n  name: X\n  fiscal_year_start_month: 13\n",
            r"csmetrics.yaml:3: company.fiscal_year_start_month: .*less than or equal to 12",
        ),
        (
            "company:\n  reporting_currency: U5D\n",
            r"company.reporting_currency: must be a 3-letter",
        ),
        (
            "imports:\n  mappings:\n    contracts: {Id: contractid}\n",
            r"imports.mappings: contracts: 'Id' maps to 'contractid', which is not a column",
        ),
        ("imports:\n  mappings:\n    deals: {}\n", r"unknown table 'deals'"),
        ("adoption:\n  active_event_types: []\n", r"at least one event type"),
        ("engine: [\n", r"invalid YAML"),
        ("engine:\n  tables: {deals: x.parquet}\n", r"engine.tables: unknown table 'deals'"),
        ("engine:\n  backend: url\n", r"engine: .*backend url needs engine.url"),
        ("engine:\n  url: duckdb://\n", r"engine: .*engine.url is set but backend is duckdb"),
        ("engine:\n  backend: spark\n", r"engine.backend: Input should be 'duckdb', 'pyspark'"),
        ("- a\n- b\n", r"top level must be a mapping"),
    ],
)
def test_bad_config_names_the_key(text, message):
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(text)
    assert "\n" not in str(info.value), "a config error is one line"


def test_engine_shorthand():
    assert parse_config("engine: duckdb\n").engine.backend == "duckdb"


def test_config_is_frozen():
    config = Config()
    with pytest.raises(Exception, match="frozen"):
        config.company.name = "x"  # type: ignore[misc]
