"""Tiny helpers to write DuckDB SQL safely: quoted identifiers and literals."""

from __future__ import annotations


def ident(name: str) -> str:
    """A double-quoted identifier (column names from files can hold any character)."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str) -> str:
    """A single-quoted string literal."""
    return "'" + value.replace("'", "''") + "'"


def num(value: float) -> str:
    """A numeric literal that prints integers without a trailing ``.0``."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))
