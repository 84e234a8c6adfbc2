"""Coverage-guided fuzzing of one importer with atheris (soak only).

    python -m reliability.atheris_importers csv -max_total_time=600   (from tests/)

Each input is written as a file of the chosen kind and imported into a seeded
workspace. The property is the suite's ``robust`` one: the import returns a report
whose counts add up, or raises a ``CsMetricsError`` with one line naming the file
and leaves the store as it was; any other exception is a finding (atheris stops,
prints it and saves the input).
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["csmetrics"]):
    from reliability.importer_harness import Store, check_robust

SUFFIX = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet", "excel": ".xlsx"}


def main() -> None:
    kind = sys.argv.pop(1)
    folder = Path(tempfile.mkdtemp(prefix="csmetrics-atheris-"))
    store = Store.create(folder / "ws", date_formats=False)
    path = folder / f"contracts{SUFFIX[kind]}"

    def one_input(data: bytes) -> None:
        before = store.reset()
        path.write_bytes(data)
        check_robust(store, path, before)

    atheris.Setup(sys.argv, one_input)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
