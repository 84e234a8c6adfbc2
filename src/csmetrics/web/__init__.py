"""The csmetrics web app: ``create_app(workspace_dir)`` (FastAPI), run by ``csmetrics serve``."""

from __future__ import annotations

from csmetrics.web.app import create_app

__all__ = ["create_app"]
