"""Callback inputs checked at the boundary: a value no component sends is a 400 naming it.

Dash does not check what a callback request carries: a hand-made request can put a
number where the URL's search string belongs, or a list where the grid sends its
row request. Two checks stop such input before any page code runs:

- `check_request` (a before-request hook on `/_dash-update-component`): the body has
  the shape Dash's renderer sends for a registered callback — the output exists, the
  inputs and states are the callback's own in its order, the changed properties are
  among its inputs, and the URL's properties are text;
- `checked` (a decorator on every callback): each argument matches the callback's
  type annotation (`str | None`, `int | None`, `dict[str, Any] | None`, …).

Either raises `BadInput(name, reason)`, which the app answers with a 400 naming the
input and the reason. Anything else a callback raises is a bug: the app lets it
become a 500 and Flask logs it with its traceback.
"""

from __future__ import annotations

import functools
import inspect
import math
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from dashboard import ids

F = TypeVar("F", bound=Callable[..., Any])

# properties of the URL (dcc.Location): always text or absent
LOCATION_PROPS = ("pathname", "search", "hash", "href")


class BadInput(Exception):
    """A callback input no component of the page would send (the request was made by hand)."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


_KIND_NAMES = {str: "text", bool: "true/false", int: "a whole number", float: "a number",
               dict: "an object", list: "a list", type(None): "nothing (null)"}


def _describe(kind: Any) -> str:
    """Words for an annotation: `str | None` → 'text or nothing (null)'."""
    if kind is Any:
        return "any value"
    args = typing.get_args(kind)
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        return " or ".join(_describe(a) for a in args)
    origin = typing.get_origin(kind) or kind
    if origin is list and args:
        return f"a list of {_describe(args[0]).removeprefix('a ').removeprefix('an ')}s"
    return _KIND_NAMES.get(origin, getattr(origin, "__name__", str(origin)))


def _matches(value: Any, kind: Any) -> bool:
    """Whether a JSON value fits an annotation (bool is not a number; numbers are finite)."""
    if kind is Any:
        return True
    if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
        return any(_matches(value, k) for k in typing.get_args(kind))
    origin = typing.get_origin(kind) or kind
    args = typing.get_args(kind)
    if origin is type(None):
        return value is None
    if origin is bool:
        return isinstance(value, bool)
    if origin is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin is float:
        return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if origin is str:
        return isinstance(value, str)
    if origin is list:
        return isinstance(value, list) and (not args or all(_matches(v, args[0]) for v in value))
    if origin is dict:
        return isinstance(value, dict) and (len(args) < 2 or all(_matches(v, args[1]) for v in value.values()))
    raise TypeError(f"checked: annotation {kind!r} is not a JSON kind")  # a programming error


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def require_kind(name: str, value: Any, kind: Any) -> Any:
    """`value` if it fits `kind`, else `BadInput` naming `name` (for values inside an input)."""
    if not _matches(value, kind):
        raise BadInput(name, f"expected {_describe(kind)}, got {_shown(value)}")
    return value


def checked(fn: F) -> F:
    """Check a callback's positional arguments against its annotations before it runs.

    Examples:
        >>> @checked
        ... def pick(worker_id: str | None, clicks: int | None) -> str:
        ...     return worker_id or "-"
        >>> pick("W1", 2)
        'W1'
        >>> pick(["W1"], 2)
        Traceback (most recent call last):
        ...
        dashboard.callbacks.BadInput: worker_id: expected text or nothing (null), got ['W1']
    """
    hints = typing.get_type_hints(fn)
    names = [p.name for p in inspect.signature(fn).parameters.values()
             if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    kinds = [hints.get(name, Any) for name in names]
    for kind in kinds:  # refuse an annotation the check cannot read when the app starts, not per request
        _matches(None, kind)

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        if len(args) != len(names):
            raise BadInput("inputs", f"expected {len(names)} values, got {len(args)}")
        for name, kind, value in zip(names, kinds, args, strict=True):
            require_kind(name, value, kind)
        return fn(*args)

    return typing.cast(F, wrapper)


def _check_props(where: str, given: Any, declared: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The request's inputs (or states): the callback's own, in its order, URL values as text."""
    if not isinstance(given, list) or len(given) != len(declared):
        raise BadInput(where, f"expected a list of {len(declared)} properties")
    for n, (item, want) in enumerate(zip(given, declared, strict=True)):
        if isinstance(want["id"], dict):  # a pattern-matching input: Dash matches it itself
            continue
        if not isinstance(item, dict) or item.get("id") != want["id"] or item.get("property") != want["property"]:
            raise BadInput(f"{where}[{n}]", f"expected {want['id']}.{want['property']}")
        if item["id"] == ids.LOCATION and item["property"] in LOCATION_PROPS:
            require_kind(f"{item['id']}.{item['property']}", item.get("value"), str | None)
    return given


def check_request(body: Any, callback_map: Mapping[str, Mapping[str, Any]]) -> None:
    """Refuse a `/_dash-update-component` body that Dash's renderer would not send.

    Raises:
        BadInput: naming the part of the body and what was expected.
    """
    if not isinstance(body, dict):
        raise BadInput("body", "expected a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        raise BadInput("output", f"no callback has the output {_shown(output)}")
    callback = callback_map[output]
    inputs = _check_props("inputs", body.get("inputs"), callback["inputs"])
    _check_props("state", body.get("state", []), callback["state"])
    outputs = body.get("outputs", [])
    if not isinstance(outputs, dict | list):
        raise BadInput("outputs", "expected an object or a list")
    changed = body.get("changedPropIds", [])
    known = {f"{i['id']}.{i['property']}" for i in inputs}
    if not isinstance(changed, list) or any(c not in known for c in changed if isinstance(c, str)) \
            or not all(isinstance(c, str) for c in changed):
        raise BadInput("changedPropIds", "expected a list of the callback's input properties")
