"""Match a file's headers to canonical columns, so exports load without editing.

Order of preference for each header: an exact key of ``imports.mappings.<table>``,
an exact canonical column name, then the same two compared loosely (case, spaces,
hyphens and dots ignored, so "Account ID" finds ``account_id``). A canonical column
claimed by two headers at the same level is ambiguous and an error; headers that
match nothing are ignored and listed in the report.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from csmetrics.errors import InputDataError
from csmetrics.schema import Table


@dataclass(frozen=True)
class ColumnMap:
    """Which source header feeds each canonical column of one input."""

    source_for: dict[str, str]
    ignored: tuple[str, ...]
    missing_required: tuple[str, ...]


def loose(name: str) -> str:
    """Header comparison key: no BOM, trimmed, lower case, separators as underscores."""
    return re.sub(r"[\s\-.]+", "_", name.lstrip("\ufeff").strip().lower()).strip("_")


def resolve_columns(
    headers: Sequence[str], table: Table, mapping: Mapping[str, str], source: str
) -> ColumnMap:
    columns = set(table.column_names)
    loose_mapping = {loose(k): v for k, v in mapping.items()}
    loose_columns = {loose(c): c for c in columns}
    best: dict[str, tuple[int, list[str]]] = {}
    for header in headers:
        match = _match(header, mapping, columns, loose_mapping, loose_columns)
        if match is None:
            continue
        level, column = match
        current = best.get(column)
        if current is None or level < current[0]:
            best[column] = (level, [header])
        elif level == current[0]:
            current[1].append(header)
    for column, (_, claimants) in best.items():
        if len(claimants) > 1:
            names = " and ".join(repr(h) for h in claimants)
            raise InputDataError(
                f"{source}: columns {names} both map to {column}; remove one or map it "
                f"explicitly in imports.mappings.{table.name}"
            )
    source_for = {column: claimants[0] for column, (_, claimants) in best.items()}
    used = set(source_for.values())
    ignored = tuple(h for h in headers if h not in used)
    missing = tuple(c for c in table.required_columns if c not in source_for)
    return ColumnMap(source_for, ignored, missing)


def _match(
    header: str,
    mapping: Mapping[str, str],
    columns: set[str],
    loose_mapping: Mapping[str, str],
    loose_columns: Mapping[str, str],
) -> tuple[int, str] | None:
    if header in mapping:
        return 0, mapping[header]
    if header in columns:
        return 1, header
    key = loose(header)
    if key in loose_mapping:
        return 2, loose_mapping[key]
    if key in loose_columns:
        return 3, loose_columns[key]
    return None


def missing_columns_message(
    source: str, table: Table, cmap: ColumnMap, headers: Sequence[str]
) -> str:
    """One line naming the file, the missing required columns and what was found."""
    missing = ", ".join(cmap.missing_required)
    found = ", ".join(repr(h) for h in headers) or "no columns"
    hint = ""
    if len(headers) == 1 and re.search(r"[;\t|,]", headers[0]):
        hint = " (is the delimiter right? set imports.csv_delimiter)"
    return (
        f"{source}: missing required column(s) {missing} for table {table.name}; "
        f"found {found}{hint}; map export headers with imports.mappings.{table.name}"
    )
