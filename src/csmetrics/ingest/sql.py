"""Tiny helpers to write DuckDB SQL safely: quoted identifiers and literals."""

from __future__ import annotations

import duckdb


def ident(name: str) -> str:
    """A double-quoted identifier (column names from files can hold any character)."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """A single-quoted string literal."""
    return "'" + value.replace("'", "''") + "'"


def printable(expr: str) -> str:
    """SQL for a value as message text: line breaks and tabs written as \\n, \\r, \\t, so a
    message about a cell that holds them stays one line."""
    text = f"CAST({expr} AS VARCHAR)"
    for code, escape in ((13, "\\r"), (10, "\\n"), (9, "\\t")):
        text = f"replace({text}, chr({code}), {lit(escape)})"
    return text


def num(value: float) -> str:
    """A numeric literal that prints integers without a trailing ``.0``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def register(con: duckdb.DuckDBPyConnection, name: str, data: object) -> None:
    """``con.register`` after settling any result left half-read (``fetchone`` of a query):
    DuckDB refuses to register while one is pending, whoever left it."""
    con.execute("SELECT 1").fetchall()
    con.register(name, data)
