"""Application state of the web app (users, sessions, forecasts, saved views, audit log)."""

from __future__ import annotations

from csmetrics.web.state.db import StateStore, state_url
from csmetrics.web.state.models import AuditEntry, SavedView, SubmittedForecast, User, WebSession

__all__ = [
    "AuditEntry",
    "SavedView",
    "StateStore",
    "SubmittedForecast",
    "User",
    "WebSession",
    "state_url",
]
