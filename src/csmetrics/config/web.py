"""The ``web:`` section of csmetrics.yaml: the web app's state store, sessions and snapshots."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class WebConfig(BaseModel):
    """How ``csmetrics serve`` keeps its state and how long a login lasts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # SQLAlchemy URL of the application state (users, sessions, forecasts, saved views,
    # audit log); None = a SQLite file web.sqlite in the workspace folder. A URL with a
    # password belongs in database_url_file or the CSMETRICS_DATABASE_URL variable.
    database_url: str | None = None
    # File holding that URL (mode 0600), relative to the workspace folder.
    database_url_file: str | None = None
    # The most a login lasts, however active.
    session_hours: Annotated[float, Field(gt=0, le=24 * 90)] = 12.0
    # A login ends after this many minutes without a request.
    session_idle_minutes: Annotated[float, Field(gt=0, le=24 * 60 * 90)] = 60.0
    # File holding the key that signs session cookies, relative to the workspace folder;
    # created (readable by its owner only) on first start.
    secret_key_file: str = "web-secret.key"
    # Failed sign-ins for one login within login_window_minutes that lock it for
    # lockout_minutes (counted whether or not the login exists).
    login_max_failures: Annotated[int, Field(ge=1, le=10_000)] = 5
    # Failed sign-ins from one client address within the window that refuse every sign-in
    # from it (429) for lockout_minutes.
    address_max_failures: Annotated[int, Field(ge=1, le=100_000)] = 20
    login_window_minutes: Annotated[float, Field(gt=0, le=24 * 60)] = 15.0
    lockout_minutes: Annotated[float, Field(gt=0, le=24 * 60 * 30)] = 15.0
    # Secure cookies: auto = when the request came over https.
    secure_cookies: Literal["auto", "always", "never"] = "auto"
    # Periods precomputed for the pages (quarters and months ending with the last complete one).
    snapshot_quarters: Annotated[int, Field(ge=1, le=20)] = 8
    snapshot_months: Annotated[int, Field(ge=1, le=36)] = 12

    @field_validator("database_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and "://" not in value:
            raise ValueError(
                "must be a SQLAlchemy URL such as sqlite:///state.sqlite or "
                "postgresql+psycopg://user@host/csmetrics"
            )
        return value
