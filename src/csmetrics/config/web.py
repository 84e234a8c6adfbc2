"""The ``web:`` section of csmetrics.yaml: the web app's state store, sessions and snapshots."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class WebConfig(BaseModel):
    """How ``csmetrics serve`` keeps its state and how long a login lasts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # SQLAlchemy URL of the application state (users, sessions, forecasts, saved views,
    # audit log); None = a SQLite file web.sqlite in the workspace folder.
    database_url: str | None = None
    session_hours: Annotated[float, Field(gt=0, le=24 * 90)] = 12.0
    # File holding the key that signs session cookies, relative to the workspace folder;
    # created (readable by its owner only) on first start.
    secret_key_file: str = "web-secret.key"
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
