"""SQL that turns a source value into its canonical type, and says why when it cannot.

Every value is cast with ``TRY_CAST``-style expressions, so a bad value becomes NULL
plus a message instead of failing the whole statement; the staging step then
reports "raw value present, typed value NULL" as a cast error. Text sources (CSV,
JSON lines, mixed in-memory columns) go through the lenient text parsers below;
typed sources (Parquet, Arrow) are cast directly, with guards where DuckDB would
silently round or drop information.
"""

from __future__ import annotations

from csmetrics.ingest.sql import lit, printable
from csmetrics.schema import ColumnType

TEXT_TYPES = frozenset({"VARCHAR", "JSON"})
_FRACTIONAL = ("FLOAT", "DOUBLE", "REAL", "DECIMAL")
_TRUE = ("true", "t", "yes", "y", "1")
_FALSE = ("false", "f", "no", "n", "0")
# An explicit UTC offset after a time of day: TRY_CAST(... AS TIMESTAMP) would drop it.
_OFFSET = r"[T ]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)$"


def is_text(source_type: str) -> bool:
    return source_type.upper() in TEXT_TYPES


def normalized_raw(expr: str, source_type: str) -> str:
    """The raw value with blanks as NULL: an empty CSV cell means "no value"."""
    if is_text(source_type):
        return f"nullif(trim(CAST({expr} AS VARCHAR)), '')"
    return expr


def typed(raw: str, source_type: str, kind: ColumnType, date_formats: tuple[str, ...]) -> str:
    """SQL for ``raw`` cast to ``kind``; NULL when the value cannot be read as that type."""
    if is_text(source_type):
        return _from_text(raw, kind, date_formats)
    return _from_typed(raw, source_type.upper(), kind)


def cast_error(raw: str, kind: ColumnType, date_formats: tuple[str, ...]) -> str:
    """SQL for the message shown when ``raw`` is present but could not be cast."""
    shown = f"'''' || left({printable(raw)}, 60) || ''''"
    return f"{shown} || {lit(' ' + _expected(kind, date_formats))}"


def _expected(kind: ColumnType, date_formats: tuple[str, ...]) -> str:
    extra = "".join(f" or {fmt}" for fmt in date_formats)
    return {
        ColumnType.STRING: "is not text",
        ColumnType.INTEGER: "is not a whole number",
        ColumnType.FLOAT: "is not a number",
        ColumnType.MONEY: "is not a number",
        ColumnType.DATE: f"is not a date (expected YYYY-MM-DD{extra})",
        ColumnType.TIMESTAMP: f"is not a timestamp (expected YYYY-MM-DD HH:MM:SS{extra})",
        ColumnType.BOOLEAN: "is not true/false (expected true, false, yes, no, 1 or 0)",
    }[kind]


def _from_text(raw: str, kind: ColumnType, date_formats: tuple[str, ...]) -> str:
    if kind is ColumnType.STRING:
        return raw
    if kind is ColumnType.INTEGER:
        # DuckDB rounds '12.5' to 13; accept only integral text ('12', '12.0', '1e3').
        as_double = f"TRY_CAST({raw} AS DOUBLE)"
        return (
            f"CASE WHEN {as_double} = trunc({as_double}) "
            f"THEN coalesce(TRY_CAST({raw} AS BIGINT), TRY_CAST({as_double} AS BIGINT)) END"
        )
    if kind in (ColumnType.FLOAT, ColumnType.MONEY):
        return f"TRY_CAST({raw} AS DOUBLE)"
    if kind is ColumnType.BOOLEAN:
        low = f"lower({raw})"
        return (
            f"CASE WHEN {low} IN ({_list(_TRUE)}) THEN true "
            f"WHEN {low} IN ({_list(_FALSE)}) THEN false END"
        )
    stamp = _text_timestamp(raw, date_formats)
    if kind is ColumnType.DATE:
        return f"coalesce(TRY_CAST({raw} AS DATE), CAST({stamp} AS DATE))"
    return stamp


def _text_timestamp(raw: str, date_formats: tuple[str, ...]) -> str:
    """ISO 8601 first (an explicit offset converted to UTC), then the configured formats."""
    options = [
        f"CASE WHEN regexp_matches({raw}, {lit(_OFFSET)}) "
        f"THEN timezone('UTC', TRY_CAST({raw} AS TIMESTAMPTZ)) "
        f"ELSE TRY_CAST({raw} AS TIMESTAMP) END"
    ]
    for fmt in date_formats:
        parsed = f"try_strptime({raw}, {lit(fmt)})"
        if "%z" in fmt or "%Z" in fmt:
            parsed = f"timezone('UTC', {parsed})"
        options.append(parsed)
    return options[0] if len(options) == 1 else f"coalesce({', '.join(options)})"


def _from_typed(raw: str, source_type: str, kind: ColumnType) -> str:
    if kind is ColumnType.STRING:
        return f"nullif(trim(CAST({raw} AS VARCHAR)), '')"
    if kind is ColumnType.INTEGER and source_type.startswith(_FRACTIONAL):
        return f"CASE WHEN {raw} = trunc({raw}) THEN TRY_CAST({raw} AS BIGINT) END"
    if kind is ColumnType.BOOLEAN and source_type != "BOOLEAN":
        return f"CASE WHEN {raw} = 1 THEN true WHEN {raw} = 0 THEN false END"
    if source_type.startswith("TIMESTAMP WITH TIME ZONE") and kind in (
        ColumnType.DATE,
        ColumnType.TIMESTAMP,
    ):
        return f"CAST(timezone('UTC', {raw}) AS {kind.sql})"
    return f"TRY_CAST({raw} AS {kind.sql})"


def _list(values: tuple[str, ...]) -> str:
    return ", ".join(lit(v) for v in values)
