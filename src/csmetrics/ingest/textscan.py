"""Python scans of text inputs, for the error paths that must name a physical line.

DuckDB numbers what it reads in its own way: JSON-lines records skip blank lines
(and its error messages count one past the record), CSV error lines skip the line
breaks inside quoted fields. A user opens the file in an editor, so a message
names the physical line; these scans turn DuckDB's numbers into that. They run
only when something is wrong, so the usual import never pays for them.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

# Python's csv module refuses fields over 128 KiB by default; DuckDB reads records
# up to ``MAX_LINE_BYTES``, and the scans must read whatever DuckDB read.
MAX_LINE_BYTES = 64 << 20


def open_binary(path: Path) -> io.BufferedIOBase:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return path.open("rb")


def csv_reader(text: io.TextIOBase, delimiter: str) -> Any:
    """The csv module reading like DuckDB does (double quotes, doubled to escape)."""
    if csv.field_size_limit() < MAX_LINE_BYTES:
        csv.field_size_limit(MAX_LINE_BYTES)
    return csv.reader(text, delimiter=delimiter, quotechar='"', doublequote=True)


def jsonl_record_lines(path: Path, records: Iterable[int]) -> dict[int, int]:
    """Physical line (1-based) of each wanted JSON-lines record; blank lines are no record."""
    wanted = sorted(set(records))
    found: dict[int, int] = {}
    if not wanted:
        return found
    target = iter(wanted)
    goal = next(target)
    record = 0
    with open_binary(path) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record += 1
            if record == goal:
                found[goal] = number
                goal = next(target, None)
                if goal is None:
                    break
    return found


def jsonl_repeated_key(path: Path, line: int) -> str | None:
    """The first key that appears twice in the object on ``line`` (None if there is none)."""
    with open_binary(path) as handle:
        text = next(itertools.islice(handle, line - 1, None), None)
    if text is None:
        return None
    repeated: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        seen: set[str] = set()
        for key, _ in items:
            if key in seen and not repeated:
                repeated.append(key)
            seen.add(key)
        return dict(items)

    try:
        json.loads(text, object_pairs_hook=pairs)
    except ValueError:
        return None
    return repeated[0] if repeated else None


def csv_error_line(path: Path, delimiter: str, reported: int) -> int:
    """The physical line of the record DuckDB names in "CSV Error on Line: N".

    DuckDB counts the header, each record and each blank line as one line, but not the
    line breaks inside quoted fields; the csv module counts records and blank lines the
    same way and also knows where each record starts.
    """
    try:
        with io.TextIOWrapper(
            open_binary(path), encoding="utf-8-sig", errors="replace", newline=""
        ) as text:
            reader = csv_reader(text, delimiter)
            previous_end, counted = 0, 0
            for _ in reader:
                start, previous_end = previous_end + 1, reader.line_num
                counted += 1
                if counted == reported:
                    return start
            return previous_end + 1 if counted + 1 == reported else reported
    except (OSError, EOFError, csv.Error):
        return reported
