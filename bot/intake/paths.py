"""Reading a value out of a delivery by a configured path (the syntax: routing.field_mapping).

    data.contact.email                                    keys
    answers.0.value   answers[-1].value                   list items by position
    fields[name=email].value                              the list item whose `name` is email
    questions_and_answers[question="Company size"].answer (compared ignoring case, punctuation)
    1.3   ["1.3"]                                         a key that has a dot in it
    rawRequest.q4_email                                   into a JSON text (Jotform's rawRequest)

A path that a delivery does not have is MISSING, never an error: forms change, and one absent
answer must not cost the lead.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.intake.body import check_document
from bot.intake.errors import PayloadError
from routing.field_mapping import Index, Key, Match, Step, normalise_name, parse_path

MISSING: Any = object()


def resolve_path(document: Any, path: str, memo: dict[int, Any] | None = None) -> Any:
    """The value at `path`, or MISSING. `memo` keeps JSON texts decoded once per delivery."""
    steps = parse_path(path)
    current = document
    at = 0
    while at < len(steps):
        step = steps[at]
        if isinstance(current, str) and current[:1] in "{[":
            current = _decoded(current, memo)
        if isinstance(step, Key):
            current, used = _key(current, steps, at)
            at += used
        elif isinstance(step, Index):
            current = _position(current, step.position)
            at += 1
        else:
            current = _matching(current, step)
            at += 1
        if current is MISSING:
            return MISSING
    return current


def path_value(document: Any, path: str) -> Any:
    """Like resolve_path, but None when the path is missing."""
    found = resolve_path(document, path)
    return None if found is MISSING else found


def _key(current: Any, steps: tuple[Step, ...], at: int) -> tuple[Any, int]:
    """A key (joined with the next ones when the body's key has dots: '1.3'), or a position."""
    name = steps[at].name  # type: ignore[union-attr]
    if isinstance(current, Mapping):
        if name in current:
            return current[name], 1
        joined, used = name, 1
        while at + used < len(steps) and isinstance(steps[at + used], Key):
            joined += "." + steps[at + used].name  # type: ignore[union-attr]
            used += 1
            if joined in current:
                return current[joined], used
        return MISSING, 1
    if isinstance(current, list):
        try:
            return _position(current, int(name)), 1
        except ValueError:
            return MISSING, 1
    return MISSING, 1


def _position(current: Any, position: int) -> Any:
    if not isinstance(current, list):
        return MISSING
    try:
        return current[position]
    except IndexError:
        return MISSING


def _matching(current: Any, step: Match) -> Any:
    if isinstance(current, Mapping):
        items = list(current.values())
    elif isinstance(current, list):
        items = current
    else:
        return MISSING
    wanted = normalise_name(step.value)
    for item in items:
        if isinstance(item, Mapping) and step.field in item:
            value = item[step.field]
            if isinstance(value, str | int | float) and normalise_name(str(value)) == wanted:
                return item
    return MISSING


def _decoded(text: str, memo: dict[int, Any] | None) -> Any:
    if memo is not None and id(text) in memo:
        return memo[id(text)]
    try:
        value = check_document(json.loads(text))
    except (ValueError, RecursionError, PayloadError):
        value = text  # not JSON after all (or not storable): the text as it is
    if memo is not None:
        memo[id(text)] = value
    return value
