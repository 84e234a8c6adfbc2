"""Fuzzing the config loader: csmetrics.yaml with wrong types, unknown keys, repeated keys,
anchors, damaged text and other encodings.

Property: ``load_config`` returns a Config or raises ConfigError with one line that
starts with the file's name (and, for a problem at a key, names the key and line);
never another exception. A document that is valid YAML and valid config loads to the
same values as the defaults it was derived from, wherever the fuzz left it unchanged.
"""

from __future__ import annotations

import copy
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from csmetrics.config import Config, default_config_text, load_config, parse_config
from csmetrics.config.loader import MAX_BYTES, MAX_DEPTH
from csmetrics.errors import ConfigError

from .budgets import Tally, fuzz_settings

DEFAULTS: dict[str, Any] = yaml.safe_load(default_config_text())


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = []
    if isinstance(value, dict):
        for key, item in value.items():
            out.append((*prefix, key))
            out.extend(_paths(item, (*prefix, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.append((*prefix, index))
            out.extend(_paths(item, (*prefix, index)))
    return out


PATHS = _paths(DEFAULTS)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.sampled_from(["", "1e999", "-1", "0", "yes", "null", "~", "2026-13-45", "USD", "x" * 5000]),
    st.dates(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
    ),
    max_leaves=12,
)


@st.composite
def edited_configs(draw: st.DrawFn) -> dict[str, Any]:
    """The defaults with a few values replaced, keys dropped or unknown keys added."""
    data = copy.deepcopy(DEFAULTS)
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(PATHS))
        parent = data
        for part in path[:-1]:
            if not isinstance(parent, dict | list):
                break
            try:
                parent = parent[part]
            except (KeyError, IndexError, TypeError):
                break
        else:
            if not isinstance(parent, dict | list):
                continue
            action = draw(st.sampled_from(["replace", "replace", "drop", "unknown"]))
            last = path[-1]
            try:
                if action == "replace":
                    parent[last] = draw(VALUES)
                elif action == "drop" and isinstance(parent, dict):
                    parent.pop(last, None)
                elif isinstance(parent, dict):
                    parent[draw(st.text(min_size=1, max_size=10))] = draw(VALUES)
            except (IndexError, TypeError):
                continue
    return data


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def check_loader(text_or_bytes: str | bytes, tally: Tally, label: str) -> Config | None:
    """Write the document as csmetrics.yaml and load it: a Config or one ConfigError line."""
    with tempfile.TemporaryDirectory(prefix="csmetrics-config-") as folder:
        path = Path(folder) / "csmetrics.yaml"
        if isinstance(text_or_bytes, str):
            path.write_text(text_or_bytes, "utf-8")
        else:
            path.write_bytes(text_or_bytes)
        started = time.monotonic()
        try:
            config = load_config(path)
        except ConfigError as exc:
            message = str(exc)
            assert "\n" not in message and "\r" not in message, message
            assert message.startswith(str(path)), message
            assert len(message) < 20_000, "a message lists at most a few problems"
            tally.add(f"config: {label} refused")
            return None
        finally:
            assert time.monotonic() - started < 10, "the loader took too long"
    tally.add(f"config: {label} loaded")
    return config


@fuzz_settings(150)
@given(data=edited_configs())
def test_edited_configs_load_or_name_the_key(data: dict[str, Any], tally: Tally) -> None:
    text = _dump(data)
    try:
        parse_config(text)
    except ConfigError as exc:
        message = str(exc)
        # a problem found by validation names its line and key: "csmetrics.yaml:12: company.name:"
        assert message.startswith("csmetrics.yaml"), message
        assert "\n" not in message
    check_loader(text, tally, "edited documents")


@fuzz_settings(150)
@given(
    data=st.data(),
    how=st.sampled_from(["delete", "insert", "replace", "truncate", "duplicate_line"]),
)
def test_damaged_config_text_is_refused_in_one_line(
    data: st.DataObject, how: str, tally: Tally
) -> None:
    text = default_config_text()
    at = data.draw(st.integers(0, len(text) - 1))
    if how == "delete":
        text = text[:at] + text[at + data.draw(st.integers(1, 40)) :]
    elif how == "insert":
        text = text[:at] + data.draw(st.text(min_size=1, max_size=20)) + text[at:]
    elif how == "replace":
        text = text[:at] + data.draw(st.sampled_from(":-[]{}&*!|>'\"%@`#\t")) + text[at + 1 :]
    elif how == "truncate":
        text = text[:at]
    else:
        lines = text.splitlines(keepends=True)
        index = data.draw(st.integers(0, len(lines) - 1))
        text = "".join([*lines[: index + 1], lines[index], *lines[index + 1 :]])
    check_loader(text, tally, f"damaged text ({how})")


@fuzz_settings(60)
@given(
    encoding=st.sampled_from(["latin-1", "utf-16", "utf-16-le", "utf-8-sig", "cp1252"]),
    name=st.text(min_size=1, max_size=12),
)
def test_other_encodings_are_refused_or_read(encoding: str, name: str, tally: Tally) -> None:
    text = yaml.safe_dump({"company": {"name": name}}, allow_unicode=True)
    try:
        blob = text.encode(encoding)
    except UnicodeEncodeError:
        return
    config = check_loader(blob, tally, f"{encoding} files")
    if config is not None and encoding == "utf-8-sig":
        assert config.company.name == yaml.safe_load(text)["company"]["name"]


@fuzz_settings(40)
@given(blob=st.binary(max_size=4096))
def test_random_bytes_are_refused_in_one_line(blob: bytes, tally: Tally) -> None:
    check_loader(blob, tally, "random bytes")


# -- the shapes a hostile or broken file can take ----------------------------------------

LAUGHS = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}' if i else 'x'] * 9)}]\n" for i in range(9))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (LAUGHS, "anchors expand to more than"),
        (LAUGHS + "adoption:\n  active_event_types: *l8\n", "anchors expand to more than"),
        ("a: &a [*a]\n", "an anchor refers to itself"),
        ("company: " + "[" * 5000 + "]" * 5000 + "\n", f"nested more than {MAX_DEPTH} levels"),
        ("company:\n  name: A\ncompany:\n  name: B\n", ":3: company: key written twice"),
        ("company:\n  name: A\n  name: B\n", ":3: company.name: key written twice"),
        ("x:\n" + "".join(f"  k{i}: v\n" for i in range(300_000)), "too large for a config"),
        ("bogus_" + "x: 1\nbogus_".join(str(i) for i in range(100)) + "x: 1\n", "more problem"),
        ("company:\n  name: [1, 2]\n", ":2: company.name: "),
        ("a: 1\n---\nb: 2\n", "invalid YAML"),
        ("company: \x00\n", "invalid YAML"),
    ],
    ids=[
        "billion-laughs",
        "billion-laughs-in-a-list-key",
        "recursive-anchor",
        "deep-nesting",
        "repeated-section",
        "repeated-key",
        "huge-document",
        "many-unknown-keys",
        "wrong-type",
        "two-documents",
        "control-character",
    ],
)
def test_hostile_documents_are_refused_quickly(text: str, message: str, tally: Tally) -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(text)
    assert time.monotonic() - started < 5
    assert "\n" not in str(info.value) and len(str(info.value)) < 20_000
    tally.add("config: hostile documents refused")


def test_anchors_and_merge_keys_still_work() -> None:
    config = parse_config(
        "company:\n  <<: {name: Acme}\n  reporting_currency: eur\n"
        "adoption:\n  active_event_types: &events [sign_in, report_run]\n"
        "  key_features: *events\n"
    )
    assert config.company.name == "Acme" and config.company.reporting_currency == "EUR"
    assert tuple(config.adoption.key_features) == ("sign_in", "report_run")


def test_a_folder_or_an_oversized_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path)
    big = tmp_path / "csmetrics.yaml"
    big.write_bytes(b"#" * (MAX_BYTES + 1))
    with pytest.raises(ConfigError, match="too large for a config file"):
        load_config(big)
