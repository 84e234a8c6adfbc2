"""Fuzzing every importer: CSV, JSON lines, Parquet and Excel files of contracts.

Well-formed files (any mix of good and bad values, in the layouts exports use:
BOM, CRLF, blank lines, gzip, quoting, typed or text columns, native JSON numbers,
a configured date format or not) must load exactly the good rows and name every
bad one; damaged files (truncated, bytes flipped, stray quotes, a ragged record,
the wrong encoding, random bytes) must load consistently or be refused in one
line with the store untouched. See ``importer_harness`` for the two properties.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from csmetrics.ingest.textscan import MAX_LINE_BYTES

from .budgets import Tally, fuzz_settings
from .contract_cells import COLUMNS, Cell, Row, contract_rows, expected_outcome
from .importer_harness import Store, check_exact, check_robust
from .writers import TextStyle, write_csv, write_excel, write_jsonl, write_parquet


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[bool, Store]]:
    """Two seeded workspaces: without and with a configured date format."""
    made = {
        formats: Store.create(tmp_path_factory.mktemp("fuzz") / "ws", formats)
        for formats in (False, True)
    }
    yield made
    for store in made.values():
        store.ws.close()


STYLES = st.builds(
    TextStyle,
    bom=st.booleans(),
    crlf=st.booleans(),
    blank_every=st.sampled_from([0, 0, 1, 3]),
    gz=st.integers(0, 4).map(lambda n: n == 0),
    quote_all=st.booleans(),
    native=st.booleans(),
)


@st.composite
def cases(draw: st.DrawFn, huge: bool = True) -> tuple[bool, list[Row]]:
    formats = draw(st.booleans())
    return formats, draw(contract_rows(formats, huge))


def _folder() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="csmetrics-fuzz-")


# -- well-formed files: exactly the good rows ------------------------------------------


@fuzz_settings(40)
@given(case=cases(), style=STYLES)
def test_csv_loads_exactly_the_good_rows(
    stores: dict[bool, Store], tally: Tally, case: tuple[bool, list[Row]], style: TextStyle
) -> None:
    formats, rows = case
    store = stores[formats]
    before = store.reset()
    with _folder() as folder:
        path, places = write_csv(rows, Path(folder), style)
        check_exact(store, path, expected_outcome(rows), places, before, rows)
    tally.add("csv: well-formed files")
    tally.add("csv: rows", len(rows))


@fuzz_settings(30)
@given(case=cases(), style=STYLES)
def test_json_lines_load_exactly_the_good_rows(
    stores: dict[bool, Store], tally: Tally, case: tuple[bool, list[Row]], style: TextStyle
) -> None:
    formats, rows = case
    store = stores[formats]
    before = store.reset()
    with _folder() as folder:
        path, places = write_jsonl(rows, Path(folder), style)
        if style.bom:  # JSON text must not start with a BOM (RFC 8259): a clear refusal
            message = str(store.attempt(path))
            assert message.startswith(f"{path}: starts with a byte order mark"), message
            assert store.reset() == before
            tally.add("jsonl: files with a BOM refused")
            return
        check_exact(store, path, expected_outcome(rows), places, before, rows)
    tally.add("jsonl: well-formed files")
    tally.add("jsonl: rows", len(rows))


@fuzz_settings(30)
@given(case=cases(), typed=st.booleans())
def test_parquet_loads_exactly_the_good_rows(
    stores: dict[bool, Store], tally: Tally, case: tuple[bool, list[Row]], typed: bool
) -> None:
    formats, rows = case
    store = stores[formats]
    before = store.reset()
    with _folder() as folder:
        path, places = write_parquet(rows, Path(folder), typed)
        check_exact(store, path, expected_outcome(rows), places, before, rows)
    tally.add("parquet: well-formed files")
    tally.add("parquet: rows", len(rows))


@fuzz_settings(20)
@given(case=cases(huge=False))
def test_excel_loads_exactly_the_good_rows(
    stores: dict[bool, Store], tally: Tally, case: tuple[bool, list[Row]]
) -> None:
    formats, rows = case
    store = stores[formats]
    before = store.reset()
    with _folder() as folder:
        path, written, places = write_excel(rows, Path(folder))
        check_exact(store, path, expected_outcome(written), places, before, written)
    tally.add("excel: well-formed files")
    tally.add("excel: rows", len(rows))


# -- damaged files: consistent load or a one-line refusal -------------------------------

DAMAGE = st.sampled_from(["truncate", "flip", "splice", "quote", "none"])


def damaged(data: bytes, how: str, draw: st.DrawFn) -> bytes:
    """``data`` cut short, with bytes flipped, random bytes spliced in, or a stray quote."""
    if not data or how == "none":
        return data
    at = draw(st.integers(0, len(data) - 1))
    if how == "truncate":
        return data[:at]
    if how == "flip":
        flips = draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=8))
        out = bytearray(data)
        for index in flips:
            out[index] ^= draw(st.integers(1, 255))
        return bytes(out)
    if how == "splice":
        return data[:at] + draw(st.binary(min_size=1, max_size=64)) + data[at:]
    return data[:at] + b'"' + data[at:]


@fuzz_settings(60)
@given(
    kind=st.sampled_from(["csv", "jsonl", "parquet", "excel"]),
    case=cases(huge=False),
    how=DAMAGE,
    data=st.data(),
)
def test_damaged_files_load_consistently_or_are_refused_in_one_line(
    stores: dict[bool, Store],
    tally: Tally,
    kind: str,
    case: tuple[bool, list[Row]],
    how: str,
    data: st.DataObject,
) -> None:
    formats, rows = case
    store = stores[formats]
    before = store.reset()
    with _folder() as folder:
        path = _written(kind, rows, Path(folder), data)
        path.write_bytes(damaged(path.read_bytes(), how, data.draw))
        outcome = check_robust(store, path, before)
    tally.add(f"{kind}: damaged files ({how})")
    tally.add(f"{kind}: damaged files {outcome}")


def _written(kind: str, rows: list[Row], folder: Path, data: st.DataObject) -> Path:
    if kind == "csv":
        return write_csv(rows, folder, data.draw(STYLES.map(lambda s: _plain(s))))[0]
    if kind == "jsonl":
        return write_jsonl(rows, folder, data.draw(STYLES.map(lambda s: _plain(s))))[0]
    if kind == "parquet":
        return write_parquet(rows, folder, data.draw(st.booleans()))[0]
    return write_excel(rows, folder)[0]


def _plain(style: TextStyle) -> TextStyle:
    """Damage is applied to the bytes DuckDB reads, so not inside a gzip stream."""
    return TextStyle(style.bom, style.crlf, style.blank_every, False, style.quote_all, style.native)


@fuzz_settings(30)
@given(
    kind=st.sampled_from(["csv", "csv.gz", "tsv", "jsonl", "parquet", "xlsx"]),
    blob=st.one_of(
        st.binary(max_size=2048),
        st.text(max_size=512).map(lambda t: t.encode("utf-8")),
        st.sampled_from([b"", b"\n", b"\xef\xbb\xbf", b"PAR1", b"PK\x03\x04", b"{}", b"[]"]),
    ),
)
def test_random_bytes_are_refused_in_one_line(
    stores: dict[bool, Store], tally: Tally, kind: str, blob: bytes
) -> None:
    store = stores[False]
    before = store.reset()
    with _folder() as folder:
        path = Path(folder) / f"contracts.{kind}"
        path.write_bytes(blob)
        outcome = check_robust(store, path, before)
    tally.add(f"{kind.split('.')[0].replace('tsv', 'csv').replace('xlsx', 'excel')}: random bytes")
    tally.add(f"random bytes {outcome}")


# -- the structural faults a text file can have, each named at its line -----------------


@fuzz_settings(25)
@given(case=cases(huge=False), style=STYLES, data=st.data())
def test_a_ragged_record_is_refused_at_its_line(
    stores: dict[bool, Store], tally: Tally, case: tuple[bool, list[Row]], style: TextStyle, data
) -> None:
    formats, rows = case
    if not rows:
        return
    store = stores[formats]
    before = store.reset()
    index = data.draw(st.integers(0, len(rows) - 1))
    cells = data.draw(st.sampled_from([-3, -1, 1, 2]))
    with _folder() as folder:
        path, places = write_csv(rows, Path(folder), style, ragged=(index, cells))
        result = store.attempt(path)
    message = str(result)
    assert message.startswith(f"{path}:{places[index]}: cannot read: "), message
    assert "Expected Number of Columns" in message and "\n" not in message
    assert store.reset() == before
    tally.add("csv: ragged records")


@fuzz_settings(25)
@given(
    kind=st.sampled_from(["csv", "jsonl"]),
    encoding=st.sampled_from(["latin-1", "utf-16", "utf-16-le", "utf-16-be", "cp1252"]),
    case=cases(huge=False),
    style=STYLES,
)
def test_other_encodings_are_refused_or_loaded_alike(
    stores: dict[bool, Store],
    tally: Tally,
    kind: str,
    encoding: str,
    case: tuple[bool, list[Row]],
    style: TextStyle,
) -> None:
    """Text in another encoding is refused naming the file; pure ASCII in latin-1 is UTF-8."""
    formats, rows = case
    store = stores[formats]
    before = store.reset()
    with _folder() as folder:
        style = _plain(style)
        writer = write_csv if kind == "csv" else write_jsonl
        path, places = writer(rows, Path(folder), style)
        text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
        try:
            encoded = text.encode(encoding)
        except UnicodeEncodeError:
            return
        path.write_bytes(encoded)
        if encoded == text.encode("utf-8"):
            check_exact(store, path, expected_outcome(rows), places, before, rows)
            tally.add(f"{kind}: {encoding} files read as ASCII")
            return
        if _is_utf8(encoded):  # the bytes happen to spell other UTF-8 text: it loads as that
            check_robust(store, path, before)
            tally.add(f"{kind}: {encoding} files that are valid UTF-8")
            return
        result = store.attempt(path)
    message = str(result)
    assert message.startswith(str(path)) and "\n" not in message, message
    assert any(word in message for word in ("UTF-8", "UTF-16", "utf-8", "unicode")), message
    assert store.reset() == before
    tally.add(f"{kind}: {encoding} files refused")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# -- a single line of tens of megabytes ----------------------------------------------------


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_line_of_tens_of_megabytes_loads_whole(
    stores: dict[bool, Store], tally: Tally, kind: str
) -> None:
    store = stores[False]
    before = store.reset()
    product = "p" * (30 << 20)
    rows = [
        Row(
            {
                **{c: Cell(v, v) for c, v in zip(COLUMNS, ("K1", "A1", product), strict=False)},
                "start_date": Cell("2026-01-01", dt.date(2026, 1, 1)),
                "end_date": Cell(None, None),
                "arr": Cell("12.5", 12.5),
                "currency": Cell("USD", "USD"),
                "licenses": Cell(None, None),
                "billing_term": Cell("annual", "annual"),
            }
        )
    ]
    with _folder() as folder:
        writer = write_csv if kind == "csv" else write_jsonl
        path, places = writer(rows, Path(folder), TextStyle())
        check_exact(store, path, expected_outcome(rows), places, before, rows)
    tally.add(f"{kind}: 30 MB lines loaded")


def test_a_csv_record_past_the_line_limit_is_refused_at_its_line(
    stores: dict[bool, Store], tally: Tally
) -> None:
    store = stores[False]
    before = store.reset()
    with _folder() as folder:
        path = Path(folder) / "contracts.csv"
        path.write_text(
            ",".join(COLUMNS) + "\nK1,A1,p,2026-01-01,,1,USD,,annual\n"
            f"K2,A1,{'p' * (MAX_LINE_BYTES + 10)},2026-01-01,,1,USD,,annual\n"
        )
        message = str(store.attempt(path))
    assert message.startswith(f"{path}:3: cannot read: Maximum line size"), message[:300]
    assert "\n" not in message and len(message) < 600
    assert store.reset() == before
    tally.add("csv: over-long lines refused")
