"""The same KPI definitions give the same answers on DuckDB and on Apache Spark.

A small demo company is built once, then copied: one copy computes on its DuckDB
store (events imported, rollups on), the other on PySpark in local mode with the
events read from the demo's Parquet files and every other table shipped from the
store. Every KPI family, the ARR bridge, health scores, risk rules and a team
scorecard are compared: counts and money (whole cents) exactly, ratios and averages
to a relative 1e-9.
"""

from __future__ import annotations

import math
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from spark_data import set_engine

from csmetrics import Workspace
from csmetrics.kpis.registry import Kpi, all_kpis

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("spark")]

SERIES = {"every": "quarter", "start": "2025-Q2", "end": "2026-Q1"}
RATIO_TOLERANCE = 1e-9
FAMILIES = sorted({k.family for k in all_kpis()})


@pytest.fixture(scope="module")
def pair(demo: Path) -> Iterator[tuple[Workspace, Workspace]]:
    """(DuckDB workspace, Spark workspace) over the same data."""
    spark_root = demo.parent / "spark"
    shutil.copytree(demo, spark_root)
    set_engine(
        spark_root,
        {"backend": "pyspark", "master": "local[2]", "tables": {"events": "source/events"}},
    )
    duck = Workspace.open(demo)
    spark = Workspace.open(spark_root)
    assert duck.engine.uses_rollups and not spark.engine.uses_rollups
    yield duck, spark
    duck.close()
    spark.close()


def _grain(kpis: list[Kpi]) -> str:
    return "csm" if all("csm" in k.grains for k in kpis) else "company"


def _whole_cents(values: pd.Series) -> bool:
    """Counts and money (rounded to cents at the edges) compare exactly; the rest to 1e-9."""
    finite = values.dropna()
    return bool(((finite * 100).round() == finite * 100).all())


def _assert_same(left: pd.DataFrame, right: pd.DataFrame, what: str) -> None:
    """Same rows and columns; counts and money exactly equal, other numbers within 1e-9."""
    assert list(left.columns) == list(right.columns), what
    numbers = [c for c in left.columns if pd.api.types.is_float_dtype(left[c])]
    keys = [c for c in left.columns if c not in numbers]
    left = left.sort_values(keys).reset_index(drop=True)
    right = right.sort_values(keys).reset_index(drop=True)
    assert len(left) == len(right), f"{what}: {len(left)} rows on DuckDB, {len(right)} on Spark"
    pd.testing.assert_frame_equal(
        left[keys], right[keys], check_dtype=False, check_exact=True, obj=what
    )
    for column in numbers:
        exact = _whole_cents(left[column])
        pd.testing.assert_series_equal(
            left[column],
            right[column],
            check_dtype=False,
            check_exact=exact,
            rtol=RATIO_TOLERANCE,
            atol=0.0 if exact else RATIO_TOLERANCE,
            obj=f"{what}.{column}" + (" (exact)" if exact else ""),
        )


@pytest.mark.parametrize("family", FAMILIES)
def test_every_kpi_family_matches(pair: tuple[Workspace, Workspace], family: str) -> None:
    duck, spark = pair
    kpis = [k for k in all_kpis() if k.family == family]
    grain = _grain(kpis)
    names = [k.name for k in kpis]
    left = duck.kpis(names, by=grain, **SERIES)
    right = spark.kpis(names, by=grain, **SERIES)
    assert left["value"].notna().any(), f"{family}: nothing to compare"
    for kpi in kpis:
        a, b = (f[f["kpi"] == kpi.name].drop(columns="kpi") for f in (left, right))
        _assert_same(a, b, kpi.name)


def test_arr_bridge_matches_to_the_cent(pair: tuple[Workspace, Workspace]) -> None:
    duck, spark = pair
    left = duck.movements(by="csm", **SERIES)
    right = spark.movements(by="csm", **SERIES)
    assert left["reconciles"].all() and right["reconciles"].all()
    _assert_same(left, right, "ARR bridge")


def test_health_scores_match(pair: tuple[Workspace, Workspace]) -> None:
    duck, spark = pair
    left, right = duck.health_scores(), spark.health_scores()
    assert len(left) > 100
    _assert_same(left, right, "health scores")


def test_risk_rules_fire_on_the_same_accounts(pair: tuple[Workspace, Workspace]) -> None:
    duck, spark = pair
    left, right = duck.evaluate_risks(), spark.evaluate_risks()
    assert left.evaluated == right.evaluated
    assert len(left.signals) > 0
    columns = ["rule", "account_id"]
    pairs = [set(map(tuple, e.signals[columns].to_numpy().tolist())) for e in (left, right)]
    assert pairs[0] == pairs[1]


def test_team_scorecard_matches(pair: tuple[Workspace, Workspace]) -> None:
    duck, spark = pair
    team = duck.engine.execute(duck.table("csms").select("team").distinct())["team"].min()
    left = duck.scorecard(team=team, period="2026-Q1")
    right = spark.scorecard(team=team, period="2026-Q1")
    assert (left.score is None) == (right.score is None)
    if left.score is not None:
        assert math.isclose(left.score, right.score, rel_tol=RATIO_TOLERANCE)
    _assert_same(left.lines, right.lines, "scorecard lines")
    _assert_same(left.members, right.members, "scorecard members")
