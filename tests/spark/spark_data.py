"""A small demo workspace, and switching a workspace's engine in its config file."""

from __future__ import annotations

from pathlib import Path

import yaml

from csmetrics.config import CONFIG_FILENAME

DEMO_ARGS = ["--accounts", "240", "--months", "24", "--events-scale", "0.05", "--seed", "3"]
DEMO_ARGS += ["--end-date", "2026-05-01"]


def set_engine(root: Path, engine: dict[str, object]) -> None:
    """Merge ``engine`` into the ``engine:`` section of the workspace's csmetrics.yaml."""
    path = root / CONFIG_FILENAME
    config = yaml.safe_load(path.read_text("utf-8"))
    config["engine"] = {**(config.get("engine") or {}), **engine}
    path.write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
