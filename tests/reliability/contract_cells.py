"""Contract rows for the importer fuzz tests, each cell drawn with the value it must load as.

A ``Cell`` is what a file holds (``text``, and where a format has a native type,
``native``: a float, an int or a date) plus ``expected``: the canonical value the
importer must store, or ``BAD`` when the row must be rejected for this cell. The
oracle (``expected_outcome``) applies the table's rules on top (a row loads when
every cell is good, its account exists, its end is after its start, and no earlier
loadable row has its key), so a test can compare the store with what was written.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

BAD = object()
"""``Cell.expected`` of a value the importer must reject."""

COLUMNS = (
    "contract_id",
    "account_id",
    "product",
    "start_date",
    "end_date",
    "arr",
    "currency",
    "licenses",
    "billing_term",
)
ACCOUNTS = ("A1", "A2")  # seeded; anything else is an orphan
DATE_FORMAT = "%d/%m/%Y"  # configured in half of the workspaces


@dataclass(frozen=True)
class Cell:
    text: str | None  # None: the cell is empty / the key is absent
    expected: Any
    native: Any = None  # the same value as a typed cell (Parquet, Excel, JSON number)
    has_native: bool = False


@dataclass
class Row:
    cells: dict[str, Cell]

    def good(self) -> bool:
        return all(c.expected is not BAD for c in self.cells.values())

    def blank(self) -> bool:
        return all(_blank(c.text) for c in self.cells.values())

    def expected(self) -> tuple[Any, ...]:
        return tuple(self.cells[c].expected for c in COLUMNS)


@dataclass
class Outcome:
    """What a correct import of ``rows`` does: rows read, stored rows, rejected rows."""

    read: int
    stored: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    rejected: list[int] = field(default_factory=list)  # indexes into the row list


# The importer trims the space separators (Unicode Zs: space, no-break space, ...), not
# tabs or line breaks, from text cells; an empty result is no value.
SPACES = "".join(
    ch for ch in map(chr, range(sys.maxunicode + 1)) if unicodedata.category(ch) == "Zs"
)


def trimmed(text: str) -> str:
    return text.strip(SPACES)


def _blank(text: str | None) -> bool:
    return text is None or trimmed(text) == ""


# -- cells --------------------------------------------------------------------------


def _text(value: str | None, expected: Any) -> Cell:
    return Cell(value, expected)


def _typed(value: str, expected: Any, native: Any) -> Cell:
    return Cell(value, expected, native, True)


IDS = st.one_of(
    st.integers(0, 400).map(lambda n: f"K{n}"),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=8)
    .map(lambda t: "K" + t)
    .filter(lambda t: trimmed(t) == t),
)

PRODUCT_ALPHABET = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r")


@st.composite
def product_cell(draw: st.DrawFn, huge: bool) -> Cell:
    if huge:  # past the csv module's 128 KiB field limit, and DuckDB's 2 MB line default
        text = "p" * draw(st.sampled_from([70_000, 300_000, 2_500_000]))
        return _text(text, text)
    text = draw(
        st.one_of(
            st.sampled_from(["router", "router, pro", 'the "big" one', "café ☕", " padded  "]),
            st.text(PRODUCT_ALPHABET, max_size=12),
            st.text(st.sampled_from(' ab,";\n\t'), max_size=8),
        )
    )
    stripped = trimmed(text)
    return _text(text, stripped if stripped else BAD)


@st.composite
def date_cell(draw: st.DrawFn, formats: bool, required: bool) -> Cell:
    if not required and draw(st.integers(0, 3)) == 0:
        return _text(draw(st.sampled_from([None, "", "  "])), None)
    day = draw(st.dates(dt.date(1990, 1, 1), dt.date(2099, 12, 31)))
    choice = draw(st.integers(0, 9))
    if choice == 0:
        return _text(day.strftime("%d/%m/%Y"), day if formats else BAD)
    if choice == 1:
        return _text(
            draw(
                st.sampled_from(
                    [
                        "2026-02-30",
                        "2026-13-01",
                        "yesterday",
                        "20261301",
                        "2026-1-32",
                        "0000-00-00",
                        "2026-01-01\nx",
                    ]
                )
            ),
            BAD,
        )
    if choice == 2:
        return _text(day.isoformat() + " 00:00:00", day)
    if choice == 3:
        return _text(day.isoformat() + "T12:30:00Z", day)
    if choice == 4:
        return _text(day.isoformat() + "T12:00:00+02:00", day)  # 10:00 UTC, same day
    if choice == 5 and not required:
        return _text("", None)
    return _typed(day.isoformat(), day, day)


GOOD_MONEY = st.one_of(
    st.integers(0, 10**9).map(lambda n: n / 100),
    st.floats(0, 1e12, allow_nan=False, allow_infinity=False),
)


@st.composite
def money_cell(draw: st.DrawFn) -> Cell:
    if draw(st.integers(0, 3)) == 0:
        text = draw(
            st.sampled_from(
                [
                    "-5",
                    "-0.01",
                    "NaN",
                    "nan",
                    "inf",
                    "-inf",
                    "Infinity",
                    "1e400",
                    "abc",
                    "$12",
                    "12,50",
                    "",
                    "  ",
                    "1.2.3",
                    "1\n2",
                ]
            )
        )
        native = {"-5": -5.0, "-0.01": -0.01, "NaN": math.nan, "inf": math.inf, "-inf": -math.inf}
        if text in native and draw(st.booleans()):
            return Cell(text, BAD, native[text], True)
        return _text(text, BAD)
    value = draw(GOOD_MONEY)
    shape = draw(st.integers(0, 3))
    # numbers may be wrapped in any whitespace (a tab, a line break): it is not part of them
    text = repr(value) if shape else draw(st.sampled_from([f" {value!r} ", f"\t{value!r}\r\n"]))
    if shape == 3:
        text = f"{value:.6e}"
        value = float(text)
    return _typed(text, value, value)


@st.composite
def licenses_cell(draw: st.DrawFn) -> Cell:
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return _text(draw(st.sampled_from([None, ""])), None)
    if choice == 1:
        text = draw(st.sampled_from(["2.5", "-1", "abc", "99999999999999999999", "1e30"]))
        native = {"2.5": 2.5, "-1": -1}
        if text in native and draw(st.booleans()):
            return Cell(text, BAD, native[text], True)
        return _text(text, BAD)
    n = draw(st.integers(0, 10**6))
    text = draw(st.sampled_from([str(n), f"{n}.0", f" {n} "]))
    return _typed(text, n, n)


@st.composite
def term_cell(draw: st.DrawFn) -> Cell:
    if draw(st.integers(0, 4)) == 0:
        return _text(draw(st.sampled_from(["weekly", "", "annuall", "année", "an\nnual"])), BAD)
    term = draw(st.sampled_from(["monthly", "annual", "multi_year"]))
    text = draw(st.sampled_from([term, term.upper(), term.capitalize(), f" {term} "]))
    return _text(text, term)


@st.composite
def contract_rows(draw: st.DrawFn, formats: bool, huge: bool = True) -> list[Row]:
    """Up to 30 rows, roughly half of them with some problem."""
    n = draw(st.integers(0, 30))
    huge_at = draw(st.integers(0, 8 * n)) if huge and n else -1  # one in eight files has one
    rows: list[Row] = []
    for index in range(n):
        if rows and draw(st.integers(0, 7)) == 0:
            contract_id = draw(st.sampled_from([r.cells["contract_id"].text for r in rows]))
        else:
            contract_id = draw(IDS)
        account = draw(st.sampled_from([*ACCOUNTS, *ACCOUNTS, "A9", "a1", ""]))
        currency = draw(st.sampled_from(["USD", "EUR", " usd ", ""]))
        cells = {
            "contract_id": _text(contract_id, contract_id if trimmed(contract_id) else BAD),
            "account_id": _text(account, account if account in ACCOUNTS else BAD),
            "product": draw(product_cell(index == huge_at)),
            "start_date": draw(date_cell(formats, required=True)),
            "end_date": draw(date_cell(formats, required=False)),
            "arr": draw(money_cell()),
            "currency": _text(currency, trimmed(currency) or BAD),
            "licenses": draw(licenses_cell()),
            "billing_term": draw(term_cell()),
        }
        rows.append(Row(cells))
    return rows


def expected_outcome(rows: list[Row]) -> Outcome:
    """The oracle: the importer's documented rules applied to ``rows`` in order."""
    outcome = Outcome(read=0)
    for index, row in enumerate(rows):
        if row.blank():
            continue
        outcome.read += 1
        start, end = row.cells["start_date"].expected, row.cells["end_date"].expected
        ordered = not isinstance(start, dt.date) or not isinstance(end, dt.date) or end > start
        key = row.cells["contract_id"].expected
        if row.good() and ordered and key not in outcome.stored:
            outcome.stored[key] = row.expected()
        else:
            outcome.rejected.append(index)
    return outcome
