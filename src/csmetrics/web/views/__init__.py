"""The pages' data, built from ``ScopedData``; importing this package registers every page."""

from __future__ import annotations

from csmetrics.web.views import accounts, activity, overview, people, renewals, risks, scorecard
from csmetrics.web.views.base import PAGES, Page, View

__all__ = [
    "PAGES",
    "Page",
    "View",
    "accounts",
    "activity",
    "overview",
    "people",
    "renewals",
    "risks",
    "scorecard",
]
