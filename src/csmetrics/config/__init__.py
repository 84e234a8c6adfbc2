"""Workspace configuration: csmetrics.yaml, validated by frozen Pydantic models."""

from __future__ import annotations

from csmetrics.config.loader import CONFIG_FILENAME, default_config_text, load_config, parse_config
from csmetrics.config.models import Config

__all__ = ["CONFIG_FILENAME", "Config", "default_config_text", "load_config", "parse_config"]
