"""Read csmetrics.yaml into a ``Config``, reporting every problem with its key and line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from csmetrics.config.models import Config
from csmetrics.errors import ConfigError

CONFIG_FILENAME = "csmetrics.yaml"


def default_config_text() -> str:
    """The commented default file that ``csmetrics init`` writes."""
    return resources.files("csmetrics.config").joinpath("default.yaml").read_text("utf-8")


def load_config(path: Path) -> Config:
    """Parse and validate a config file; raise one ConfigError listing every problem."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return parse_config(text, source=str(path))


def parse_config(text: str, source: str = CONFIG_FILENAME) -> Config:
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}{where}: invalid YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: the top level must be a mapping of sections")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, root)) from None


def _describe(exc: ValidationError, source: str, root: yaml.Node | None) -> str:
    problems = []
    for err in exc.errors():
        loc = tuple(part for part in err["loc"] if not str(part).startswith("function-"))
        key = ".".join(str(part) for part in loc) or "(top level)"
        line = _line_of(root, loc)
        where = f"{source}:{line}" if line else source
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown key (check the spelling; csmetrics init writes every valid key)"
        problems.append(f"{where}: {key}: {message}")
    return "; ".join(problems)


def _line_of(node: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """The 1-based line of the deepest key of ``loc`` found in the YAML tree."""
    line = None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node.value == str(part):
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                return line
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
