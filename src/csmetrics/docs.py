"""The reference documents generated from code, and nothing else (a test keeps them current)."""

from __future__ import annotations

from csmetrics.kpis.reference import kpis_markdown
from csmetrics.schema.render import data_model_markdown


def generated_docs() -> dict[str, str]:
    """File name -> content of every generated reference document."""
    return {"data-model.md": data_model_markdown(), "kpis.md": kpis_markdown()}
