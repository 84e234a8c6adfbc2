"""The vocabulary used to declare the canonical tables: column types, columns, tables.

A declaration is plain frozen data, so the importer, the demo generator, the docs
and the KPI layer all read the same facts and none of them can drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import pyarrow as pa


class ColumnType(StrEnum):
    """Logical column types; each maps to one storage type and one Arrow type."""

    STRING = "string"
    INTEGER = "integer"
    FLOAT = "float"
    MONEY = "money"
    DATE = "date"
    TIMESTAMP = "timestamp"
    BOOLEAN = "boolean"

    @property
    def sql(self) -> str:
        """The SQL storage type (portable across DuckDB, Spark SQL and PostgreSQL)."""
        return _SQL_TYPES[self]

    @property
    def arrow(self) -> pa.DataType:
        return _ARROW_TYPES[self]

    @property
    def ibis(self) -> str:
        """The Ibis dtype string, used to build empty tables and schemas."""
        return _IBIS_TYPES[self]


# Money is stored as DOUBLE and rounded to cents at the edges: exact decimal types
# do not survive the trip through Arrow/pandas/Spark equally, doubles do.
_SQL_TYPES = {
    ColumnType.STRING: "VARCHAR",
    ColumnType.INTEGER: "BIGINT",
    ColumnType.FLOAT: "DOUBLE",
    ColumnType.MONEY: "DOUBLE",
    ColumnType.DATE: "DATE",
    ColumnType.TIMESTAMP: "TIMESTAMP",
    ColumnType.BOOLEAN: "BOOLEAN",
}
_ARROW_TYPES = {
    ColumnType.STRING: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.FLOAT: pa.float64(),
    ColumnType.MONEY: pa.float64(),
    ColumnType.DATE: pa.date32(),
    ColumnType.TIMESTAMP: pa.timestamp("us"),
    ColumnType.BOOLEAN: pa.bool_(),
}
_IBIS_TYPES = {
    ColumnType.STRING: "string",
    ColumnType.INTEGER: "int64",
    ColumnType.FLOAT: "float64",
    ColumnType.MONEY: "float64",
    ColumnType.DATE: "date",
    ColumnType.TIMESTAMP: "timestamp",
    ColumnType.BOOLEAN: "boolean",
}


@dataclass(frozen=True)
class ForeignKey:
    """A column whose values must exist in ``table.column`` (checked at import)."""

    table: str
    column: str


@dataclass(frozen=True)
class Column:
    """One canonical column.

    ``minimum``/``maximum`` bound numeric values (inclusive); ``allowed`` lists the
    only values a string column may take; ``references`` is a foreign key.
    """

    name: str
    type: ColumnType
    description: str
    nullable: bool = True
    allowed: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    references: ForeignKey | None = None
    example: str | None = None

    @property
    def required(self) -> bool:
        return not self.nullable


@dataclass(frozen=True)
class OrderCheck:
    """``later`` must not be before ``earlier`` (or strictly after, when ``strict``)."""

    earlier: str
    later: str
    strict: bool = False

    @property
    def message(self) -> str:
        relation = "after" if self.strict else "on or after"
        return f"{self.later} must be {relation} {self.earlier}"


@dataclass(frozen=True)
class RangeWhen:
    """``column`` must lie in [minimum, maximum] on rows where ``when_column == when_value``."""

    column: str
    when_column: str
    when_value: str
    minimum: float
    maximum: float

    @property
    def message(self) -> str:
        return (
            f"{self.column} must be between {self.minimum:g} and {self.maximum:g} "
            f"when {self.when_column} is {self.when_value}"
        )


RowCheck = OrderCheck | RangeWhen


@dataclass(frozen=True)
class Table:
    """One canonical table.

    ``primary_key`` identifies a row: re-importing a row with the same key replaces
    it, which is what makes imports idempotent. ``time_column`` is the column that
    places a row in time (used for incremental refresh and for "data as of").
    """

    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    required: bool = False
    time_column: str | None = None
    checks: tuple[RowCheck, ...] = field(default_factory=tuple)
    large: bool = False

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        from csmetrics.errors import SchemaError

        raise SchemaError(f"table {self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(col.name for col in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(col.name for col in self.columns if not col.nullable)

    @property
    def foreign_keys(self) -> tuple[tuple[str, ForeignKey], ...]:
        return tuple((col.name, col.references) for col in self.columns if col.references)

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(col.name, col.type.arrow, nullable=col.nullable) for col in self.columns]
        )

    def ibis_schema(self) -> dict[str, str]:
        return {
            col.name: col.type.ibis if col.nullable else f"!{col.type.ibis}" for col in self.columns
        }

    def create_sql(self, qualified_name: str | None = None) -> str:
        """DDL for the table; keys are enforced by the importer, not the engine."""
        cols = ",\n  ".join(
            f'"{c.name}" {c.type.sql}{"" if c.nullable else " NOT NULL"}' for c in self.columns
        )
        return f'CREATE TABLE IF NOT EXISTS "{qualified_name or self.name}" (\n  {cols}\n)'
