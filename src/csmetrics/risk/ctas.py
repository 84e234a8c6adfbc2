"""Calls to action: the tasks a firing rule opens for the account's owner, kept in the store.

CTAs are state, not a query: they have a lifecycle and outcomes a CSM types in, so
they live in the table ``_ctas`` of the workspace store (one row per CTA) with a log
of evaluations in ``_cta_runs``. ``refresh(as_of=d)`` judges every rule on d and, in
one transaction:

* **opens** a CTA for each firing (account, rule) without an open one: owner = the
  account's CSM on d, priority and due date from ``risk.priority``, the rule's
  playbook steps, the reason with its numbers. Not when a CSM closed a CTA of the
  same account and rule less than ``risk.ctas.reopen_after_days`` days before d;
* **keeps** an open CTA whose condition still holds: its ``reason`` (the latest
  numbers), ``last_seen`` and owner (open CTAs follow the account to a new owner)
  are updated; ``opened_reason``, priority and due date stay as opened;
* **closes** an open CTA whose rule was judged and no longer fires for the account
  (``close_reason`` = cleared; also when the account stopped paying). A rule that
  was not judged (disabled, or its data missing) leaves its CTAs as they are.

Re-running the same day changes nothing; a day before the last refresh is refused
(history is not rewritten). A CSM closes a CTA with an outcome (``close``); if the
condition comes back after a CTA was closed, a new CTA opens with a new id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa

from csmetrics.errors import RiskError
from csmetrics.risk.evaluate import Evaluation, evaluate
from csmetrics.risk.priority import prioritise

if TYPE_CHECKING:
    import duckdb

    from csmetrics.config import Config
    from csmetrics.engine import Engine

CTAS = "_ctas"
RUNS = "_cta_runs"
STATUSES = ("open", "closed", "all")
CLEARED_OUTCOME = "closed automatically: the condition no longer holds"
CHURNED_OUTCOME = "closed automatically: the account has no active contract"

_DDL = (
    f"""CREATE TABLE IF NOT EXISTS {CTAS} (
      cta_id VARCHAR PRIMARY KEY, account_id VARCHAR NOT NULL, rule VARCHAR NOT NULL,
      csm_id VARCHAR, opened_at DATE NOT NULL, due_date DATE NOT NULL,
      priority VARCHAR NOT NULL, priority_points INTEGER NOT NULL, severity VARCHAR NOT NULL,
      reason VARCHAR NOT NULL, opened_reason VARCHAR NOT NULL, playbook VARCHAR[] NOT NULL,
      arr DOUBLE, renewal_date DATE, last_seen DATE NOT NULL, status VARCHAR NOT NULL,
      closed_at DATE, close_reason VARCHAR, outcome VARCHAR, closed_by VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {RUNS} (
      as_of DATE, ran_at TIMESTAMP, opened INTEGER, kept INTEGER, closed INTEGER,
      suppressed INTEGER, rules VARCHAR[])""",
)

_FIRED = "__cta_fired"
_JUDGED = "__cta_judged"
_RULES = "__cta_rules"

_FIRED_SCHEMA = pa.schema(
    [
        ("account_id", pa.string()),
        ("rule", pa.string()),
        ("csm_id", pa.string()),
        ("due_date", pa.date32()),
        ("priority", pa.string()),
        ("priority_points", pa.int32()),
        ("severity", pa.string()),
        ("reason", pa.string()),
        ("playbook", pa.list_(pa.string())),
        ("arr", pa.float64()),
        ("renewal_date", pa.date32()),
    ]
)


@dataclass(frozen=True)
class CtaRefresh:
    """What one refresh did, and the evaluation behind it."""

    as_of: date
    opened: int
    kept: int
    closed: int
    suppressed: int
    evaluation: Evaluation


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in _DDL:
        con.execute(ddl).fetchall()


def _exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?",
        [name],
    ).fetchall()
    return bool(row and row[0][0])


def last_refresh(engine: Engine) -> date | None:
    """The evaluation day of the latest refresh; None when CTAs were never refreshed."""
    con = engine.duckdb
    if not _exists(con, RUNS):
        return None
    row = con.execute(f"SELECT max(as_of) FROM {RUNS}").fetchall()
    return row[0][0] if row and row[0][0] is not None else None


def refresh(engine: Engine, config: Config, as_of: date) -> CtaRefresh:
    """Open, keep and close CTAs from the rules judged on ``as_of`` (module doc)."""
    latest = last_refresh(engine)
    if latest is not None and as_of < latest:
        raise RiskError(
            f"calls to action were last refreshed as of {latest.isoformat()}; refreshing "
            f"{as_of.isoformat()} would rewrite their history"
        )
    evaluation = evaluate(engine, config, [as_of])
    fired = _fired_rows(evaluation, config, as_of)
    judged = pa.table({"account_id": pa.array(evaluation.book["account_id"], pa.string())})
    rules = pa.table({"rule": pa.array(list(evaluation.evaluated), pa.string())})
    con = engine.duckdb
    ensure_tables(con)
    con.register(_FIRED, fired)
    con.register(_JUDGED, judged)
    con.register(_RULES, rules)
    con.execute("BEGIN TRANSACTION").fetchall()
    try:
        counts = _apply(con, config, as_of, list(evaluation.evaluated))
        con.execute("COMMIT").fetchall()
    except BaseException:
        con.execute("ROLLBACK").fetchall()
        raise
    finally:
        for name in (_FIRED, _JUDGED, _RULES):
            con.unregister(name)
    engine.invalidate()
    return CtaRefresh(as_of, *counts, evaluation=evaluation)


def _fired_rows(evaluation: Evaluation, config: Config, as_of: date) -> pa.Table:
    signals = evaluation.signals
    if signals.empty:
        return _FIRED_SCHEMA.empty_table()
    rows = prioritise(signals, config.risk, as_of)
    playbooks = [list(getattr(config.risk.rules, name).playbook) for name in rows["rule"]]
    data = {
        "account_id": rows["account_id"].tolist(),
        "rule": rows["rule"].tolist(),
        "csm_id": [None if pd.isna(v) else v for v in rows["csm_id"]],
        "due_date": rows["due_date"].tolist(),
        "priority": rows["priority"].tolist(),
        "priority_points": rows["priority_points"].astype("int64").tolist(),
        "severity": rows["severity"].tolist(),
        "reason": rows["reason"].tolist(),
        "playbook": playbooks,
        "arr": rows["arr"].astype("float64").tolist(),
        "renewal_date": [None if v is None or v != v else v for v in rows["renewal_date"]],
    }
    return pa.table(data, schema=_FIRED_SCHEMA)


def _count(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> int:
    return int(con.execute(sql, params).fetchall()[0][0])


def _apply(
    con: duckdb.DuckDBPyConnection, config: Config, as_of: date, rules: list[str]
) -> tuple[int, int, int, int]:
    """The lifecycle in SQL, inside the caller's transaction: (opened, kept, closed, suppressed)."""
    reopen = config.risk.ctas.reopen_after_days
    open_match = (
        f"SELECT 1 FROM {CTAS} c WHERE c.status = 'open' "
        "AND c.account_id = f.account_id AND c.rule = f.rule"
    )
    snoozed = (
        f"SELECT 1 FROM {CTAS} c WHERE c.close_reason = 'csm' AND c.account_id = f.account_id "
        "AND c.rule = f.rule AND ? < c.closed_at + CAST(? AS INTEGER)"
    )
    closed = _count(
        con,
        f"""UPDATE {CTAS} SET status = 'closed', closed_at = ?, close_reason = 'cleared',
              outcome = CASE WHEN account_id IN (SELECT account_id FROM {_JUDGED})
                             THEN ? ELSE ? END
            WHERE status = 'open' AND rule IN (SELECT rule FROM {_RULES})
              AND NOT EXISTS (SELECT 1 FROM {_FIRED} f
                              WHERE f.account_id = {CTAS}.account_id AND f.rule = {CTAS}.rule)""",
        [as_of, CLEARED_OUTCOME, CHURNED_OUTCOME],
    )
    kept = _count(
        con,
        f"""UPDATE {CTAS} SET last_seen = ?, reason = f.reason, csm_id = f.csm_id
            FROM {_FIRED} f
            WHERE {CTAS}.status = 'open' AND f.account_id = {CTAS}.account_id
              AND f.rule = {CTAS}.rule""",
        [as_of],
    )
    suppressed = _count(
        con,
        f"SELECT count(*) FROM {_FIRED} f WHERE NOT EXISTS ({open_match}) AND EXISTS ({snoozed})",
        [as_of, reopen],
    )
    top = _count(
        con,
        f"SELECT coalesce(max(CAST(substr(cta_id, 5) AS BIGINT)), 0) FROM {CTAS}",
        [],
    )
    opened = _count(
        con,
        f"""INSERT INTO {CTAS}
            SELECT 'CTA-' || lpad(CAST(? + row_number() OVER (
                       ORDER BY f.priority_points DESC, f.arr DESC, f.account_id, f.rule)
                     AS VARCHAR), 6, '0'),
                   f.account_id, f.rule, f.csm_id, ?, f.due_date, f.priority,
                   f.priority_points, f.severity, f.reason, f.reason, f.playbook, f.arr,
                   f.renewal_date, ?, 'open', NULL, NULL, NULL, NULL
            FROM {_FIRED} f
            WHERE NOT EXISTS ({open_match}) AND NOT EXISTS ({snoozed})""",
        [top, as_of, as_of, as_of, reopen],
    )
    con.execute(
        f"INSERT INTO {RUNS} VALUES (?, ?, ?, ?, ?, ?, ?)",
        [as_of, datetime.now(UTC).replace(tzinfo=None), opened, kept, closed, suppressed, rules],
    ).fetchall()
    return opened, kept, closed, suppressed


def close(
    engine: Engine, cta_id: str, outcome: str, by: str | None = None, on: date | None = None
) -> None:
    """A CSM closes an open CTA with an outcome (who: ``by``, default its owner; when:
    ``on``, default today)."""
    con = engine.duckdb
    text = (outcome or "").strip()
    if not text:
        raise RiskError(f"{cta_id}: closing a call to action needs an outcome")
    row = (
        con.execute(
            f"SELECT status, csm_id, opened_at, closed_at, close_reason FROM {CTAS} "
            "WHERE cta_id = ?",
            [cta_id],
        ).fetchall()
        if _exists(con, CTAS)
        else []
    )
    if not row:
        raise RiskError(f"no call to action {cta_id!r}; `csmetrics ctas --status all` lists them")
    status, owner, opened_at, closed_at, close_reason = row[0]
    if status != "open":
        raise RiskError(f"{cta_id} is already closed ({close_reason}, on {closed_at.isoformat()})")
    who = by or owner
    if who is None:
        raise RiskError(f"{cta_id} has no owner; say who closes it")
    known = con.execute("SELECT count(*) FROM csms WHERE csm_id = ?", [who]).fetchall()
    if not known[0][0]:
        raise RiskError(f"{cta_id}: {who!r} is not a csm_id in csms")
    day = on or date.today()
    if day < opened_at:
        raise RiskError(
            f"{cta_id} opened on {opened_at.isoformat()}; it cannot close on {day.isoformat()}"
        )
    con.execute(
        f"""UPDATE {CTAS} SET status = 'closed', closed_at = ?, close_reason = 'csm',
              outcome = ?, closed_by = ? WHERE cta_id = ?""",
        [day, text, who, cta_id],
    ).fetchall()
    engine.invalidate()


LIST_COLUMNS = (
    "cta_id",
    "status",
    "priority",
    "due_date",
    "account_id",
    "account_name",
    "csm_id",
    "csm_name",
    "team",
    "rule",
    "severity",
    "reason",
    "playbook",
    "opened_at",
    "opened_reason",
    "arr",
    "renewal_date",
    "last_seen",
    "closed_at",
    "close_reason",
    "outcome",
    "closed_by",
)


def listing(
    engine: Engine,
    status: str = "open",
    csm: str | None = None,
    account: str | None = None,
) -> pd.DataFrame:
    """CTAs with account and owner names: open ones by priority then due date."""
    if status not in STATUSES:
        raise RiskError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    if not _exists(engine.duckdb, CTAS):
        return pd.DataFrame({c: pd.Series(dtype="object") for c in LIST_COLUMNS})
    where, params = [], []
    if status != "all":
        where.append("c.status = ?")
        params.append(status)
    if csm is not None:
        where.append("c.csm_id = ?")
        params.append(csm)
    if account is not None:
        where.append("c.account_id = ?")
        params.append(account)
    sql = f"""SELECT c.*, a.name AS account_name, m.name AS csm_name, m.team AS team
              FROM {CTAS} c LEFT JOIN accounts a USING (account_id)
              LEFT JOIN csms m ON m.csm_id = c.csm_id
              {"WHERE " + " AND ".join(where) if where else ""}
              ORDER BY c.status DESC, c.priority_points DESC, c.due_date, c.arr DESC, c.cta_id"""
    frame = engine.duckdb.execute(sql, params).df()[list(LIST_COLUMNS)]
    for column in ("due_date", "opened_at", "renewal_date", "last_seen", "closed_at"):
        frame[column] = [None if pd.isna(v) else v.date() for v in frame[column]]
    frame["playbook"] = [list(v) for v in frame["playbook"]]
    return frame
