"""Strict reading of JSON from disk: no duplicate keys, no NaN, no unknown fields, exact types.

Used by project files and the recovery journal so that a damaged or hostile file is refused with a
sentence that says what is wrong, and nothing in it is ever executed.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

MAX_DEPTH = 64  # no Verbatim file nests deeper than ~5; bounded so a hostile file cannot exhaust the stack
MAX_INT_DIGITS = 20  # checked before int(): Python refuses (slowly, with ValueError) past 4300 digits
_STRUCTURE = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class Invalid(Exception):
    """A detail of what is wrong in a project's data (turned into a ProjectError sentence)."""


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Raise Invalid when JSON `text` nests objects/arrays deeper than `limit` (strings are skipped)."""
    depth = 0
    for m in _STRUCTURE.finditer(text):
        c = m.group(0)
        if c in "[{":
            depth += 1
            if depth > limit:
                raise Invalid(f"it is nested more than {limit} levels deep")
        elif c in "]}":
            depth -= 1


def _bounded_int(s: str) -> int:
    if len(s.lstrip("-")) > MAX_INT_DIGITS:
        raise Invalid(f"it holds a number with {len(s.lstrip('-'))} digits")
    return int(s)


def _finite_float(s: str) -> float:
    if len(s) > 400:
        raise Invalid("it holds a number written with hundreds of digits")
    value = float(s)
    if not math.isfinite(value):
        raise Invalid(f"it holds the number {s[:20]}, which is too large")
    return value


def loads_bounded(text: str, object_pairs_hook: Any = None) -> Any:
    """`json.loads` with nesting, integer length and float range bounded; Invalid or JSONDecodeError."""
    check_depth(text)
    try:
        return json.loads(text, object_pairs_hook=object_pairs_hook, parse_int=_bounded_int,
                          parse_float=_finite_float, parse_constant=_no_constant)
    except RecursionError:
        raise Invalid("it is nested too deeply") from None


def _no_constant(name: str) -> Any:
    raise Invalid(f"it holds {name}, which is not a number")


def parse_json_strict(raw: bytes) -> Any:
    """Parse JSON bytes, refusing duplicate keys, NaN and Infinity. Raises Invalid."""

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        d: dict[str, Any] = {}
        for k, v in pairs:
            if k in d:
                raise Invalid(f"the key {k!r} appears twice in one object")
            d[k] = v
        return d

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("it is not UTF-8 text") from None
    try:
        return loads_bounded(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as exc:
        raise Invalid(f"not valid JSON at line {exc.lineno}") from None


def check_keys(d: dict[str, Any], allowed: set[str], where: str, required: Iterable[str] = ()) -> None:
    """Refuse unknown keys (a `__class__` key is as unwelcome as a typo) and report missing ones."""
    for k in d:
        if k not in allowed:
            raise Invalid(f"{where or 'the project'} has an unexpected field {k!r}")
    for k in sorted(required):
        if k not in d:
            raise Invalid(f"{where or 'the project'} lacks the field {k!r}")


def _name(where: str, key: str) -> str:
    return f"{where}.{key}" if where else f"the field {key!r}"


def get_object(d: dict[str, Any], key: str, where: str, optional: bool = False) -> dict[str, Any] | None:
    v = d.get(key)
    if v is None and optional:
        return None
    if not isinstance(v, dict):
        raise Invalid(f"{_name(where, key)} is not an object")
    return v


def get_list(d: dict[str, Any], key: str, where: str, optional: bool = False) -> list[Any]:
    v = d.get(key)
    if v is None and optional:
        return []
    if not isinstance(v, list):
        raise Invalid(f"{_name(where, key)} is not a list")
    return v


def get_int(d: dict[str, Any], key: str, where: str, optional: bool = False) -> Any:
    v = d.get(key)
    if v is None and optional:
        return None
    if type(v) is not int:  # bool and float are refused on purpose
        raise Invalid(f"{_name(where, key)} is not a whole number")
    return v


def valid_text(s: str) -> str:
    """`s` with any lone UTF-16 surrogate (legal in JSON, not in UTF-8) replaced by U+FFFD, so the text
    can be saved and exported again."""
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def get_str(d: dict[str, Any], key: str, where: str, default: str | None = None) -> str:
    v = d.get(key, default)
    if not isinstance(v, str):
        raise Invalid(f"{_name(where, key)} is not text")
    return valid_text(v)


def get_opt_str(d: dict[str, Any], key: str, where: str) -> str | None:
    v = d.get(key)
    if v is not None and not isinstance(v, str):
        raise Invalid(f"{_name(where, key)} is not text")
    return valid_text(v) if v is not None else None
