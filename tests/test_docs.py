"""Generated references stay current: the docs folder equals what the code generates."""

from __future__ import annotations

from pathlib import Path

import pytest

from csmetrics import schema
from csmetrics.docs import generated_docs

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize("name", sorted(generated_docs()))
def test_generated_doc_is_current(name):
    on_disk = (DOCS / name).read_text("utf-8") if (DOCS / name).exists() else ""
    assert on_disk == generated_docs()[name], f"docs/{name} is stale: run `make docs`"


def test_data_model_documents_every_column():
    text = generated_docs()["data-model.md"]
    for spec in schema.TABLES:
        assert f"## {spec.name}" in text
        for col in spec.columns:
            assert f"| `{col.name}` |" in text
