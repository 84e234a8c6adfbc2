"""Stored scores: ``_health_scores``, ``_health_measures`` and their freshness record.

``_health_scores`` (model, account_id, as_of, score, band) and ``_health_measures``
(model, account_id, as_of, measure, raw, points, weight, contribution) hold one row per
model, account and day (per measure) for the last day of every month of history and
the data's as-of day. Other layers read them (risk rules, scorecards), so their
columns are a contract.

``_health_state`` records, per model, the fingerprint the rows were computed from: the
model's definition, the config the KPIs read, the import ledger (every import batch
changes it) and the as-of day. A different fingerprint means the rows are stale and
are recomputed as a whole, in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import duckdb

    from csmetrics.config import Config
    from csmetrics.config.health import HealthModel
    from csmetrics.engine import Engine

SCORES = "_health_scores"
MEASURES = "_health_measures"
STATE = "_health_state"
# Bumped when the way scores are computed changes, so stored rows are recomputed.
FORMAT = 1

_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {SCORES} (
      model VARCHAR, account_id VARCHAR, as_of DATE, score DOUBLE, band VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {MEASURES} (
      model VARCHAR, account_id VARCHAR, as_of DATE, measure VARCHAR, raw DOUBLE,
      points DOUBLE, weight DOUBLE, contribution DOUBLE)""",
    f"""CREATE TABLE IF NOT EXISTS {STATE} (
      model VARCHAR, fingerprint VARCHAR, as_of DATE, computed_at TIMESTAMP)""",
)


def is_read_only(engine: Engine) -> bool:
    row = engine.duckdb.execute(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return bool(row and row[0][0])


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        [name],
    ).fetchall()
    return bool(row and row[0][0])


# Tables no health signal reads: a CSM's submitted forecast must not make every
# score recompute. Config sections the signals and KPIs read (the rest cannot matter).
NOT_INPUTS = ("renewal_forecasts",)
SETTINGS_READ = {"company", "revenue", "adoption", "advocacy", "onboarding", "support", "targets"}


def fingerprint(
    engine: Engine, config: Config, model_name: str, model: HealthModel, as_of: date
) -> str:
    """What the stored rows of a model depend on, hashed (see the module doc)."""
    con = engine.duckdb
    ledger: list[object] = []
    if _exists(con, "_imports"):
        row = con.execute(
            "SELECT count(*), max(finished_at), sum(rows_loaded), max(batch_id) FROM _imports "
            f"WHERE table_name NOT IN ({', '.join(repr(t) for t in NOT_INPUTS)})"
        ).fetchall()
        ledger = [str(v) for v in (row[0] if row else ())]
    settings = config.model_dump(mode="json", include=SETTINGS_READ)
    payload = {
        "format": FORMAT,
        "model": model_name,
        "definition": model.model_dump(mode="json"),
        "champion_roles": list(config.health.champion_roles),
        "settings": settings,
        "ledger": ledger,
        "as_of": as_of.isoformat(),
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def stored_fingerprint(engine: Engine, model_name: str) -> str | None:
    con = engine.duckdb
    if not _exists(con, STATE):
        return None
    rows = con.execute(f"SELECT fingerprint FROM {STATE} WHERE model = ?", [model_name]).fetchall()
    return str(rows[0][0]) if rows else None


def write(
    engine: Engine,
    model_name: str,
    print_: str,
    as_of: date,
    scores: pd.DataFrame,
    measures: pd.DataFrame,
) -> None:
    """Replace a model's rows and its fingerprint in one transaction."""
    con = engine.duckdb
    for ddl in _DDL:
        con.execute(ddl)
    scores = scores.assign(model=model_name)[["model", "account_id", "as_of", "score", "band"]]
    measures = measures.assign(model=model_name)[
        ["model", "account_id", "as_of", "measure", "raw", "points", "weight", "contribution"]
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        for table in (SCORES, MEASURES, STATE):
            con.execute(f"DELETE FROM {table} WHERE model = ?", [model_name])
        con.register("__health_scores", scores)
        con.execute(f"INSERT INTO {SCORES} SELECT * FROM __health_scores")
        con.register("__health_measures", measures)
        con.execute(f"INSERT INTO {MEASURES} SELECT * FROM __health_measures")
        con.execute(
            f"INSERT INTO {STATE} VALUES (?, ?, ?, ?)", [model_name, print_, as_of, datetime.now()]
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        for view in ("__health_scores", "__health_measures"):
            con.unregister(view)
    engine.invalidate()


def read_scores(
    engine: Engine,
    model_name: str,
    days: list[date] | None = None,
    account_id: str | None = None,
) -> pd.DataFrame:
    """Stored scores of a model (account_id, as_of, score, band), optionally filtered."""
    return _read(
        engine, SCORES, ["account_id", "as_of", "score", "band"], model_name, days, account_id
    )


def read_measures(
    engine: Engine,
    model_name: str,
    days: list[date] | None = None,
    account_id: str | None = None,
) -> pd.DataFrame:
    columns = ["account_id", "as_of", "measure", "raw", "points", "weight", "contribution"]
    return _read(engine, MEASURES, columns, model_name, days, account_id)


def stored_days(engine: Engine, model_name: str) -> list[date]:
    con = engine.duckdb
    if not _exists(con, SCORES):
        return []
    rows = con.execute(
        f"SELECT DISTINCT as_of FROM {SCORES} WHERE model = ? ORDER BY as_of", [model_name]
    ).fetchall()
    return [r[0] for r in rows]


def _read(
    engine: Engine,
    table: str,
    columns: list[str],
    model_name: str,
    days: list[date] | None,
    account_id: str | None,
) -> pd.DataFrame:
    con = engine.duckdb
    if not _exists(con, table):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    where, params = ["model = ?"], [model_name]
    if days is not None:
        if not days:
            return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
        where.append(f"as_of IN ({', '.join('?' for _ in days)})")
        params.extend(days)  # type: ignore[arg-type]
    if account_id is not None:
        where.append("account_id = ?")
        params.append(account_id)
    order = "as_of, account_id" + (", measure" if table == MEASURES else "")
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE {' AND '.join(where)} ORDER BY {order}"
    frame = con.execute(sql, params).df()
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    return frame
