"""What a store holds, as a value two states can be compared by.

``fingerprint`` is the row count and a checksum of the sorted rows of every table.
Batch ids and clock times differ between two runs of the same import, so they are
left out of the checksum (``VOLATILE``); everything else must match exactly.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

import csmetrics

VOLATILE = frozenset({"batch_id", "started_at", "finished_at", "imported_at", "refreshed_at"})
Fingerprint = dict[str, tuple[int, str]]


def fingerprint(con: duckdb.DuckDBPyConnection) -> Fingerprint:
    """Row count and checksum of every stored table, in one query."""
    columns: dict[str, list[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE schema_name = 'main' AND NOT internal ORDER BY table_name, column_index"
    ).fetchall():
        if not str(table).startswith("__"):
            columns.setdefault(str(table), [])
            if column not in VOLATILE:
                columns[str(table)].append(str(column))
    parts = []
    for table, names in columns.items():
        packed = ", ".join(f'"{c}" := "{c}"' for c in names) or "x := 1"
        parts.append(
            f"SELECT '{table}' AS t, count(*) AS n, "
            f"md5(coalesce(string_agg(r, '|' ORDER BY r), '')) AS h "
            f'FROM (SELECT CAST(struct_pack({packed}) AS VARCHAR) AS r FROM "{table}")'
        )
    rows = con.execute(" UNION ALL ".join(parts)).fetchall() if parts else []
    return {str(t): (int(n), str(h)) for t, n, h in sorted(rows)}


def fingerprint_at(root: Path) -> Fingerprint:
    """The fingerprint of a closed workspace's store (opened read-only, as a reader would)."""
    with csmetrics.open(root, read_only=True) as ws:
        return fingerprint(ws.engine.duckdb)
