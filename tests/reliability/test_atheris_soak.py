"""The soak campaign's coverage-guided part: atheris on each importer (``make soak``).

Each format runs ``atheris_importers`` in its own process for
``CSMETRICS_ATHERIS_SECONDS`` (300 unless set), seeded with well-formed files from the
fuzz writers; the process exits non-zero on the first finding, which fails the test
with atheris' report (the input that broke the property is saved beside it).
"""

from __future__ import annotations

import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from .budgets import Tally
from .contract_cells import contract_rows
from .writers import TextStyle, write_csv, write_excel, write_jsonl, write_parquet

SECONDS = int(os.environ.get("CSMETRICS_ATHERIS_SECONDS", "300"))


def seed_corpus(kind: str, folder: Path, count: int = 8) -> Path:
    corpus = folder / "corpus"
    corpus.mkdir()
    for index in range(count):
        with warnings.catch_warnings():  # .example() is meant for exploring; a seed is that
            warnings.simplefilter("ignore")
            rows = contract_rows(formats=False, huge=False).example()
        scratch = folder / f"seed{index}"
        scratch.mkdir()
        if kind == "csv":
            path = write_csv(rows, scratch, TextStyle())[0]
        elif kind == "jsonl":
            path = write_jsonl(rows, scratch, TextStyle(native=True))[0]
        elif kind == "parquet":
            path = write_parquet(rows, scratch, typed=True)[0]
        else:
            path = write_excel(rows, scratch)[0]
        (corpus / f"seed{index}").write_bytes(path.read_bytes())
    return corpus


@pytest.mark.soak
@pytest.mark.parametrize("kind", ["csv", "jsonl", "parquet", "excel"])
def test_atheris_finds_nothing(kind: str, tmp_path: Path, tally: Tally) -> None:
    pytest.importorskip("atheris", reason="pip install -e '.[soak]' (a wheel for CPython/Linux)")
    corpus = seed_corpus(kind, tmp_path)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "reliability.atheris_importers",
            kind,
            str(corpus),
            f"-max_total_time={SECONDS}",
            f"-artifact_prefix={tmp_path}/",
        ],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        timeout=SECONDS + 600,
    )
    report = [line for line in done.stderr.splitlines() if not line.startswith("INFO: Instr")]
    assert done.returncode == 0, "\n".join(report[-60:])
    runs = [line for line in report if line.startswith("Done ")]
    if runs:  # "Done 244 runs in 31 second(s)"
        tally.add(f"{kind}: atheris inputs", int(runs[-1].split()[1]))
