"""Connections to analytics engines and execution; knows no KPI."""

from __future__ import annotations

from csmetrics.engine.connection import Engine

__all__ = ["Engine"]
