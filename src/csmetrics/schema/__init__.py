"""The canonical data model: the only source of table and column names."""

from __future__ import annotations

from csmetrics.errors import SchemaError
from csmetrics.schema.model import (
    Column,
    ColumnType,
    ForeignKey,
    OrderCheck,
    RangeWhen,
    RowCheck,
    Table,
)
from csmetrics.schema.tables import TABLES

_BY_NAME = {table.name: table for table in TABLES}


def table(name: str) -> Table:
    """The declaration of a canonical table; a clear error for an unknown name."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(_BY_NAME)
        raise SchemaError(f"unknown table {name!r}; the canonical tables are: {known}") from None


def table_names() -> tuple[str, ...]:
    return tuple(_BY_NAME)


def required_tables() -> tuple[Table, ...]:
    return tuple(t for t in TABLES if t.required)


def load_order() -> tuple[Table, ...]:
    """Tables ordered so that every foreign key points to a table loaded earlier."""
    ordered: list[Table] = []
    seen: set[str] = set()

    def visit(t: Table) -> None:
        if t.name in seen:
            return
        seen.add(t.name)
        for _, fk in t.foreign_keys:
            if fk.table != t.name:
                visit(_BY_NAME[fk.table])
        ordered.append(t)

    for t in TABLES:
        visit(t)
    return tuple(ordered)


__all__ = [
    "TABLES",
    "Column",
    "ColumnType",
    "ForeignKey",
    "OrderCheck",
    "RangeWhen",
    "RowCheck",
    "Table",
    "load_order",
    "required_tables",
    "table",
    "table_names",
]
