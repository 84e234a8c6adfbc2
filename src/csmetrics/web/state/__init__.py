"""Application state of the web app (users, sessions, forecasts, saved views, audit log,
failed sign-ins and lockouts)."""

from __future__ import annotations

from csmetrics.web.state.db import StateStore, state_url
from csmetrics.web.state.models import (
    AuditEntry,
    Lockout,
    LoginFailure,
    SavedView,
    SubmittedForecast,
    User,
    WebSession,
)

__all__ = [
    "AuditEntry",
    "Lockout",
    "LoginFailure",
    "SavedView",
    "StateStore",
    "SubmittedForecast",
    "User",
    "WebSession",
    "state_url",
]
