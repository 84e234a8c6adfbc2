"""Read csmetrics.yaml into a ``Config``, reporting every problem with its key and line.

A config file is small and reviewed, so anything unusual is refused with one line
rather than guessed at: a key written twice (YAML would silently keep the last),
a document past ``MAX_BYTES`` or nested past ``MAX_DEPTH``, and anchors that
expand past ``MAX_NODES`` values (the "billion laughs" shape).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from csmetrics.config.models import Config
from csmetrics.errors import ConfigError

CONFIG_FILENAME = "csmetrics.yaml"
MAX_BYTES = 1 << 20  # 50 times the full template
MAX_DEPTH = 64
MAX_NODES = 1_000_000
MAX_LISTED = 20  # problems listed in one message; the rest are counted
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def default_config_text() -> str:
    """The commented default file that ``csmetrics init`` writes."""
    return resources.files("csmetrics.config").joinpath("default.yaml").read_text("utf-8")


def load_config(path: Path) -> Config:
    """Parse and validate a config file; raise one ConfigError listing every problem."""
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ConfigError(_too_large(str(path), size))
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{path}: config file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file ({exc.strerror or exc})") from None
    return parse_config(text, source=str(path))


def parse_config(text: str, source: str = CONFIG_FILENAME) -> Config:
    if len(text) > MAX_BYTES:
        raise ConfigError(_too_large(source, len(text)))
    try:
        root = yaml.compose(text.removeprefix("\ufeff"), Loader=_Loader)  # type: ignore[arg-type]
        _check_tree(root, source)
        data = _construct(root)
        if data is None:
            data = {}
        if not isinstance(data, dict):
            raise ConfigError(f"{source}: the top level must be a mapping of sections")
        return Config.model_validate(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(f"{source}{where}: invalid YAML: {_one_line(problem)}") from None
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source, root)) from None
    except RecursionError:
        raise ConfigError(f"{source}: nested too deeply to be a config") from None


def _too_large(source: str, size: int) -> str:
    return (
        f"{source}: {size:,} bytes is too large for a config file "
        f"(at most {MAX_BYTES:,}); is it the right file?"
    )


def _construct(root: yaml.Node | None) -> Any:
    if root is None:
        return None
    loader = _Loader("")  # type: ignore[arg-type]
    try:
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _check_tree(root: yaml.Node | None, source: str) -> None:
    """Refuse repeated keys, deep nesting and alias bombs before building any value.

    Each node is visited once (aliases share nodes), while ``expanded`` counts the
    values the document would have once its aliases are copied out.
    """
    if root is None:
        return
    expanded: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, str, bool]] = [(root, 1, "", False)]
    visited: set[int] = set()
    while stack:
        node, depth, key, done = stack.pop()
        if done:
            children = _children(node)
            if any(id(child) not in expanded for child in children):  # still open: an ancestor
                raise ConfigError(
                    f"{source}:{node.start_mark.line + 1}: {key or '(top level)'}: "
                    "an anchor refers to itself"
                )
            expanded[id(node)] = 1 + sum(expanded[id(child)] for child in children)
            if expanded[id(node)] > MAX_NODES:
                raise ConfigError(
                    f"{source}:{node.start_mark.line + 1}: {key or '(top level)'}: anchors "
                    f"expand to more than {MAX_NODES:,} values; write the values out"
                )
            continue
        if id(node) in visited:
            continue
        if depth > MAX_DEPTH:
            raise ConfigError(
                f"{source}:{node.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep"
            )
        visited.add(id(node))
        stack.append((node, depth, key, True))
        if isinstance(node, yaml.MappingNode):
            _check_repeated_keys(node, source, key)
            for key_node, value_node in node.value:
                name = f"{key}.{key_node.value}" if key else str(key_node.value)
                stack.append((key_node, depth + 1, key, False))
                stack.append((value_node, depth + 1, name, False))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                stack.append((item, depth + 1, f"{key}.{index}" if key else str(index), False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_repeated_keys(node: yaml.MappingNode, source: str, key: str) -> None:
    seen: dict[str, int] = {}
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag.endswith(":merge"):
            continue
        line = key_node.start_mark.line + 1
        name = f"{key}.{key_node.value}" if key else str(key_node.value)
        if key_node.value in seen:
            raise ConfigError(
                f"{source}:{line}: {_one_line(name)}: key written twice (first at line "
                f"{seen[key_node.value]}); keep one"
            )
        seen[key_node.value] = line


def _one_line(text: object) -> str:
    return " ".join(str(text).split())[:200]


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
        problems.append(f"{where}: {_one_line(key)}: {_one_line(message)}")
    more = len(problems) - MAX_LISTED
    shown = "; ".join(problems[:MAX_LISTED])
    return f"{shown}; ... and {more:,} more problem(s)" if more > 0 else shown


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
