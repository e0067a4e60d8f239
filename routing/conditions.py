"""Rule conditions: a small query language over lead fields, written as YAML mappings.

    when:
      employees: {gte: 1000}          # numeric range: gt, gte, lt, lte, between: [a, b]
      country: [DE, FR, Switzerland]  # a list means "in"; names are normalised like the lead's
      industry: healthcare            # a scalar means "equals" (case-insensitive)
      any:                            # all / any / not combine conditions
        - product: {contains: api}
        - custom.plan: {regex: "^ent"}
      email: {exists: true}

Sibling keys are combined with "all". Operators: eq, in, not_in, gt, gte, lt, lte, between,
contains, regex, exists.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from routing import normalize
from routing.lead import LEAD_FIELDS, NUMERIC_FIELDS, Lead

OPERATORS = (
    "eq",
    "in",
    "not_in",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "contains",
    "regex",
    "exists",
)
_COMBINATORS = ("all", "any", "not")


class ConditionError(ValueError):
    """A condition that cannot be read; `path` locates it below the rule's `when`."""

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.path = path

    def __str__(self) -> str:
        where = ".".join(str(p) for p in self.path)
        return f"{where}: {self.message}" if where else self.message


def _operand_normaliser(name: str) -> Callable[[Any], Any]:
    """Rule values are read the way lead values are, so `country: Germany` matches 'DE'."""
    if name == "country":
        return lambda v: normalize.country_code(str(v))
    if name == "language":
        return lambda v: normalize.language_code(str(v))
    if name == "employees":
        return normalize.employee_count
    if name == "annual_revenue":
        return normalize.money_amount
    if name in NUMERIC_FIELDS:
        return float
    return lambda v: v


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


@dataclass(frozen=True)
class FieldTest:
    """One operator applied to one lead field."""

    field: str
    op: str
    operand: Any
    test: Callable[[Any], bool] = field(compare=False, repr=False)

    def matches(self, lead: Lead) -> bool:
        value = lead.value(self.field)
        if self.op == "exists":
            return (value is not None and value != "") == self.operand
        if value is None:
            return self.op == "not_in"
        return self.test(value)

    def describe(self) -> str:
        return f"{self.field} {self.op} {self.operand!r}"


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]

    def matches(self, lead: Lead) -> bool:
        return all(part.matches(lead) for part in self.parts)


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def matches(self, lead: Lead) -> bool:
        return any(part.matches(lead) for part in self.parts)


@dataclass(frozen=True)
class Not:
    part: Condition

    def matches(self, lead: Lead) -> bool:
        return not self.part.matches(lead)


Condition = FieldTest | All | AnyOf | Not


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        number = float(str(value).replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _field_test(name: str, op: str, raw: Any, path: tuple[str | int, ...]) -> FieldTest:
    norm = _operand_normaliser(name)
    numeric = name in NUMERIC_FIELDS or name.startswith("custom.")
    try:
        if op == "exists":
            if not isinstance(raw, bool):
                raise ConditionError("exists takes true or false", path)
            return FieldTest(name, op, raw, lambda v: True)
        if op == "eq":
            want = _fold(norm(raw))
            return FieldTest(name, op, want, lambda v: _fold(v) == want)
        if op in ("in", "not_in"):
            if not isinstance(raw, list):
                raise ConditionError(f"{op} takes a list", path)
            wanted = frozenset(_fold(norm(v)) for v in raw)
            if op == "in":
                return FieldTest(name, op, wanted, lambda v: _fold(v) in wanted)
            return FieldTest(name, op, wanted, lambda v: _fold(v) not in wanted)
        if op in ("gt", "gte", "lt", "lte", "between"):
            if not numeric:
                raise ConditionError(
                    f"{op} compares numbers; {name} is text (use eq, in, contains or regex)", path
                )
            if op == "between":
                if not isinstance(raw, list) or len(raw) != 2:
                    raise ConditionError("between takes [low, high] (both included)", path)
                low, high = (_numeric_operand(name, norm, v, path) for v in raw)
                if low > high:
                    raise ConditionError(f"between [{low}, {high}] is empty", path)
                return FieldTest(name, op, (low, high), _range_test(low, high, False, False))
            bound = _numeric_operand(name, norm, raw, path)
            lows = {"gt": (bound, math.inf, True, False), "gte": (bound, math.inf, False, False)}
            highs = {"lt": (-math.inf, bound, False, True), "lte": (-math.inf, bound, False, False)}
            low, high, open_low, open_high = {**lows, **highs}[op]
            return FieldTest(name, op, bound, _range_test(low, high, open_low, open_high))
        if op == "contains":
            needles = tuple(str(v).casefold() for v in (raw if isinstance(raw, list) else [raw]))
            return FieldTest(name, op, needles, lambda v: _contains(v, needles))
        if op == "regex":
            try:
                pattern = re.compile(str(raw), re.IGNORECASE)
            except re.error as exc:
                raise ConditionError(f"bad regular expression {raw!r}: {exc}", path) from None
            return FieldTest(
                name, op, pattern.pattern, lambda v: pattern.search(str(v)) is not None
            )
    except ConditionError:
        raise
    except (ValueError, TypeError) as exc:
        raise ConditionError(str(exc), path) from None
    raise ConditionError(f"unknown operator {op!r} (use one of {', '.join(OPERATORS)})", path)


def _numeric_operand(name: str, norm: Callable[[Any], Any], raw: Any, path: tuple) -> float:
    value = norm(raw) if name in NUMERIC_FIELDS else _number(raw)
    if value is None or isinstance(value, str):
        raise ConditionError(f"{raw!r} is not a number", path)
    return float(value)


def _range_test(low: float, high: float, open_low: bool, open_high: bool) -> Callable[[Any], bool]:
    def test(value: Any) -> bool:
        number = _number(value)
        if number is None:
            return False
        above = number > low if open_low else number >= low
        below = number < high if open_high else number <= high
        return above and below

    test.bounds = (low, high, open_low, open_high)  # type: ignore[attr-defined]
    return test


def _contains(value: Any, needles: tuple[str, ...]) -> bool:
    if isinstance(value, list | tuple | set | frozenset):
        items = {str(v).casefold() for v in value}
        return any(n in items for n in needles)
    text = str(value).casefold()
    return any(n in text for n in needles)


def _check_field(name: str, path: tuple[str | int, ...]) -> None:
    if name in LEAD_FIELDS:
        return
    if name.startswith("custom.") and len(name) > len("custom."):
        return
    raise ConditionError(
        f"unknown lead field {name!r} (use one of {', '.join(LEAD_FIELDS)}, or custom.<name>)",
        path,
    )


def parse_condition(raw: Any, path: tuple[str | int, ...] = ()) -> Condition:
    """Read a `when:` block into a condition tree; ConditionError names the offending key."""
    if isinstance(raw, list):
        return All(tuple(parse_condition(item, (*path, i)) for i, item in enumerate(raw)))
    if not isinstance(raw, dict) or not raw:
        raise ConditionError("a condition is a mapping such as {country: US}", path)
    parts: list[Condition] = []
    for key, spec in raw.items():
        key = str(key)
        here = (*path, key)
        if key in ("all", "any"):
            if not isinstance(spec, list) or not spec:
                raise ConditionError(f"{key} takes a non-empty list of conditions", here)
            children = tuple(parse_condition(item, (*here, i)) for i, item in enumerate(spec))
            parts.append(All(children) if key == "all" else AnyOf(children))
        elif key == "not":
            parts.append(Not(parse_condition(spec, here)))
        else:
            _check_field(key, here)
            parts.extend(_field_tests(key, spec, here))
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _field_tests(name: str, spec: Any, path: tuple[str | int, ...]) -> list[FieldTest]:
    if isinstance(spec, list):
        return [_field_test(name, "in", spec, path)]
    if isinstance(spec, dict):
        if not spec:
            raise ConditionError("an empty operator mapping matches nothing", path)
        return [_field_test(name, str(op), value, (*path, str(op))) for op, value in spec.items()]
    if spec is None:
        raise ConditionError(f"no value for {name} (write {{exists: true}} to test presence)", path)
    return [_field_test(name, "eq", spec, path)]


def field_tests(condition: Condition) -> list[FieldTest]:
    """Every field test in a condition tree, for analysis and explanations."""
    if isinstance(condition, FieldTest):
        return [condition]
    if isinstance(condition, Not):
        return field_tests(condition.part)
    return [test for part in condition.parts for test in field_tests(part)]


# --- compiled predicates ------------------------------------------------------------------------

Predicate = Callable[[Lead], bool]
_PLAIN_NUMBERS = (int, float)


def compile_condition(condition: Condition) -> Predicate:
    """One function answering `condition.matches(lead)` without per-node method dispatch.

    The same tests run in the same order with the same short-circuits (a lead that makes a test
    raise still raises); only `matches`, `Lead.value` and `_fold` are inlined. Meant for trees
    built by `parse_condition`, whose `operand` is exactly what each test compares against.
    """
    if isinstance(condition, FieldTest):
        return _compile_test(condition)
    if isinstance(condition, Not):
        inner = compile_condition(condition.part)
        return lambda lead: not inner(lead)
    parts = tuple(compile_condition(part) for part in condition.parts)
    if isinstance(condition, All):
        if len(parts) == 2:
            first, second = parts
            return lambda lead: bool(first(lead) and second(lead))

        def all_of(lead: Lead) -> bool:
            for part in parts:  # noqa: SIM110 - a plain loop skips building a generator
                if not part(lead):
                    return False
            return True

        return all_of

    def any_of(lead: Lead) -> bool:
        for part in parts:  # noqa: SIM110 - a plain loop skips building a generator
            if part(lead):
                return True
        return False

    return any_of


def _getter(name: str) -> Callable[[Lead], Any]:
    """`Lead.value(name)` for one fixed field."""
    if not name.startswith("custom."):
        return attrgetter(name)
    path = tuple(name.split(".")[1:])

    def custom(lead: Lead) -> Any:
        current: Any = lead.custom
        for part in path:
            if not isinstance(current, dict) or part not in current:
                return None
            current = current[part]
        return current

    return custom


def _compile_test(test: FieldTest) -> Predicate:
    get = _getter(test.field)
    op, operand = test.op, test.operand
    if op == "exists":

        def exists(lead: Lead) -> bool:
            value = get(lead)
            return (value is not None and value != "") == operand

        return exists
    if op == "eq":

        def eq(lead: Lead) -> bool:
            value = get(lead)
            if value is None:
                return False
            return (value.casefold() if isinstance(value, str) else value) == operand

        return eq
    if op == "in":

        def is_in(lead: Lead) -> bool:
            value = get(lead)
            if value is None:
                return False
            return (value.casefold() if isinstance(value, str) else value) in operand

        return is_in
    if op == "not_in":

        def not_in(lead: Lead) -> bool:
            value = get(lead)
            if value is None:
                return True
            return (value.casefold() if isinstance(value, str) else value) not in operand

        return not_in
    bounds = getattr(test.test, "bounds", None)
    if bounds is not None:
        low, high, open_low, open_high = bounds

        def in_range(lead: Lead) -> bool:
            value = get(lead)
            if value is None:
                return False
            # _number's own first step for plain ints and floats (bool is neither class)
            number = float(value) if value.__class__ in _PLAIN_NUMBERS else _number(value)
            if number is None:
                return False
            above = number > low if open_low else number >= low
            return above and (number < high if open_high else number <= high)

        return in_range
    check = test.test

    def other(lead: Lead) -> bool:
        value = get(lead)
        if value is None:
            return op == "not_in"
        return check(value)

    return other
