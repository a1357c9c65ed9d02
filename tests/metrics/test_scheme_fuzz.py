"""Malformed schemes: every broken TOML mapping is refused with a SchemeError naming its key.

The default scheme is parsed to a dict and broken in place: one value at a time
replaced by a value of another TOML type, or deleted (an exhaustive sweep), and
random combinations of such edits (hypothesis). Whatever the edit, `parse_scheme`
either accepts the mapping or raises `SchemeError` whose message starts with a key
path in one of the scheme's sections — never a bare IndexError, TypeError or
KeyError from deep inside.
"""

from __future__ import annotations

import copy
import math
import re
import tomllib
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from metrics.scheme import DEFAULT_SCHEME, SchemeError, parse_scheme

BASE: dict[str, Any] = tomllib.loads(DEFAULT_SCHEME.read_text(encoding="utf-8"))
SECTIONS = ("scheme", "pillars", "indicators", "deductions", "bonus", "veto", "grades", "quota",
            "eligibility", "rollup", "uncertainty", "roles")
# the message opens with the key path: `grades[2].max: …`, `pillars.skills …`, `veto."a b": …`
KEY_PATH = re.compile(r'^(?P<section>[a-z_]+)(\.[\w-]+|\."(?:[^"\\]|\\.)*"|\[\d+\])*[: ]')
DELETE = object()
# one value of each TOML kind that is wrong somewhere: text, numbers, a bool, lists, tables
OTHER_KINDS: tuple[Any, ...] = ("", "x", 0, -1, 2.5, math.nan, True, [], ["x"], [{}], {}, {"x": 1})

Path = tuple[str | int, ...]


def _paths(node: Any, prefix: Path = ()) -> Iterator[Path]:
    """Every key path of a parsed TOML value (tables and lists walked)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield prefix + (key,)
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield prefix + (i,)
            yield from _paths(value, prefix + (i,))


PATHS = list(_paths(BASE))


def _edited(data: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    """A deep copy of `data` with the value at `path` replaced (or deleted)."""
    out = copy.deepcopy(data)
    parent: Any = out
    for key in path[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(value)
    return out


def _check(data: dict[str, Any]) -> str | None:
    """Parse; None if accepted, else the SchemeError message (which must name a key path)."""
    try:
        parse_scheme(data)
    except SchemeError as exc:
        message = str(exc)
        match = KEY_PATH.match(message)
        assert match and match["section"] in SECTIONS, message
        return message
    return None


def test_default_scheme_is_accepted_as_a_dict() -> None:
    assert _check(copy.deepcopy(BASE)) is None and len(PATHS) > 200


@pytest.mark.parametrize("value", [DELETE, *OTHER_KINDS], ids=lambda v: "delete" if v is DELETE else repr(v))
def test_every_single_edit_is_accepted_or_refused_naming_a_key(value: Any) -> None:
    """Each key of the default scheme, replaced by `value` (or deleted): no other exception."""
    refused = 0
    for path in PATHS:
        try:
            refused += _check(_edited(BASE, path, value)) is not None
        except SchemeError:
            raise
        except Exception as exc:  # a crash: say which edit caused it
            raise AssertionError(f"{path} = {value!r}: {type(exc).__name__}: {exc}") from exc
    assert refused > len(PATHS) // 4  # most wrong-kind edits are refused, not silently taken


def test_empty_lists_are_refused_naming_the_section() -> None:
    with pytest.raises(SchemeError, match=r"^grades: "):
        parse_scheme(_edited(BASE, ("grades",), []))
    with pytest.raises(SchemeError, match=r"^pillars\.results: no indicators"):
        parse_scheme(_edited(_edited(BASE, ("indicators",), []), ("deductions",), []))


toml_values = st.recursive(
    st.one_of(st.text(max_size=8), st.integers(-10**6, 10**20), st.floats(), st.booleans()),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.sampled_from(["key", "weight", "min", "max", "x", "name_zh"]) |
                                            st.text(max_size=6), inner, max_size=3)),
    max_leaves=6,
)
edits = st.lists(st.tuples(st.sampled_from(PATHS), st.one_of(st.just(DELETE), toml_values)), min_size=1, max_size=4)


@given(changes=edits)
def test_random_edits_are_accepted_or_refused_naming_a_key(changes: list[tuple[Path, Any]]) -> None:
    data = BASE
    for path, value in changes:
        try:
            data = _edited(data, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier edit removed or replaced this path's parent
    _check(data)
