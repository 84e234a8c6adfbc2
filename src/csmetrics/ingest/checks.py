"""Row-level checks as SQL: one ``{column, reason}`` struct per problem, NULL when fine.

The checks come from the schema declaration (required, allowed values, minimum and
maximum, money non-negative and finite, ``OrderCheck``, ``RangeWhen``), so adding a
constraint to a table adds it to the importer and to ``csmetrics validate`` alike.
Each check is written against a reference to the typed value (``typed``) and, for
cast errors, the raw value (``raw``) so the message can quote what the file held.
"""

from __future__ import annotations

from collections.abc import Callable

from csmetrics.ingest.casting import cast_error
from csmetrics.ingest.sql import ident, lit, num, printable
from csmetrics.schema import Column, ColumnType, OrderCheck, RangeWhen, Table

Ref = Callable[[str], str]
_NUMERIC = (ColumnType.INTEGER, ColumnType.FLOAT, ColumnType.MONEY)


def problem(column: str, condition: str, reason_sql: str) -> str:
    """A struct naming the column and reason when ``condition`` holds, else NULL."""
    return f"CASE WHEN {condition} THEN {{'column': {lit(column)}, 'reason': {reason_sql}}} END"


def shown(value: str) -> str:
    """SQL text quoting a value for a message, e.g. ``'-5'``."""
    return f"'''' || {printable(value)} || ''''"


def cast_problems(col: Column, raw: str, typed: str, date_formats: tuple[str, ...]) -> list[str]:
    """Missing required values and values that are not of the column's type."""
    problems = [
        problem(
            col.name,
            f"{raw} IS NOT NULL AND {typed} IS NULL",
            cast_error(raw, col.type, date_formats),
        )
    ]
    if col.required:
        problems.append(problem(col.name, f"{raw} IS NULL", lit("required value is missing")))
    return problems


def value_problems(col: Column, typed: str, display: str | None = None) -> list[str]:
    """Checks of a typed value on its own: finite, allowed, within minimum/maximum.

    ``display`` is what the message quotes (the raw value as read, when there is one).
    """
    value = shown(display or typed)
    problems: list[str] = []
    if col.type in (ColumnType.FLOAT, ColumnType.MONEY):
        problems.append(
            problem(col.name, f"NOT isfinite({typed})", f"{value} || ' is not a finite number'")
        )
    if col.allowed:
        allowed = ", ".join(lit(v) for v in col.allowed)
        problems.append(
            problem(
                col.name,
                f"{typed} NOT IN ({allowed})",
                f"{value} || {lit(' is not one of ' + ', '.join(col.allowed))}",
            )
        )
    if col.type in _NUMERIC and col.minimum is not None:
        reason = (
            " must not be negative"
            if col.minimum == 0 and col.type is ColumnType.MONEY
            else f" is below the minimum {num(col.minimum)}"
        )
        problems.append(
            problem(col.name, f"{typed} < {num(col.minimum)}", f"{value} || {lit(reason)}")
        )
    if col.type in _NUMERIC and col.maximum is not None:
        problems.append(
            problem(
                col.name,
                f"{typed} > {num(col.maximum)}",
                f"{value} || {lit(f' is above the maximum {num(col.maximum)}')}",
            )
        )
    return problems


def row_problems(table: Table, typed: Ref) -> list[str]:
    """The table's cross-column checks (OrderCheck, RangeWhen) over typed values."""
    problems = []
    for check in table.checks:
        if isinstance(check, OrderCheck):
            earlier, later = typed(check.earlier), typed(check.later)
            bad = f"{later} <= {earlier}" if check.strict else f"{later} < {earlier}"
            reason = (
                f"{lit(check.message + ' (' + check.earlier + ' ')} || CAST({earlier} AS VARCHAR) || "
                f"{lit(', ' + check.later + ' ')} || CAST({later} AS VARCHAR) || ')'"
            )
            problems.append(problem(check.later, bad, reason))
        elif isinstance(check, RangeWhen):
            value = typed(check.column)
            bad = (
                f"{typed(check.when_column)} = {lit(check.when_value)} AND "
                f"({value} < {num(check.minimum)} OR {value} > {num(check.maximum)})"
            )
            problems.append(
                problem(check.column, bad, f"{shown(value)} || {lit(': ' + check.message)}")
            )
    return problems


def problem_list(problems: list[str]) -> str:
    """SQL for the list of the problem structs that fired (empty for a clean row)."""
    if not problems:
        return '[]::STRUCT("column" VARCHAR, reason VARCHAR)[]'
    items = ",\n    ".join(problems)
    return f"list_filter([\n    {items}\n  ], lambda p: p IS NOT NULL)"


def stored_row_problems(table: Table) -> list[str]:
    """The value and row checks over a stored table's columns (for the store audit)."""
    problems: list[str] = []
    for col in table.columns:
        problems.extend(value_problems(col, ident(col.name)))
    problems.extend(row_problems(table, ident))
    return problems
