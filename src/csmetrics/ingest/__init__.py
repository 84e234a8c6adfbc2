"""Import: read files or frames, map columns, validate every row, quarantine, load atomically."""

from __future__ import annotations

from csmetrics.ingest.report import ImportReport, Rejection

__all__ = ["ImportReport", "Rejection", "import_files", "load_data"]


def import_files(*args, **kwargs):  # replaced by the real importer
    raise NotImplementedError


def load_data(*args, **kwargs):  # replaced by the real importer
    raise NotImplementedError
