"""Reason about rule conditions: can a `when` ever match, does one `when` imply another?

Both answers are sound but incomplete: True is always right, False may mean "could not tell".
Conditions are rewritten with negations pushed down to the field tests (`not eq` becomes
`not_in`, which is exact because a missing value fails eq/in and passes not_in), split on
`any` into conjunctions (up to a budget), and each conjunction is read per field: eq/in/not_in
as sets of folded values, gt/gte/lt/lte/between as intervals, exists, and a `not` of a test
as a contradiction with the rest. The subtleties of the engine are respected: a missing value
passes only not_in, the empty string counts as absent for `exists`, text that is no number
fails a range, and a lead equal to 1 may be `true` (which fails a range).

Not covered (never reported): integer gaps (`gt: 5` with `lt: 6`), implications through regex
or substring semantics beyond identical tests, ranges implied by a numeric `eq` on a custom
field, and anything past the case-split budget.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from routing.conditions import All as AllOf
from routing.conditions import AnyOf, Condition, FieldTest, Not
from routing.lead import NUMERIC_FIELDS

# --- conditions in negation normal form ------------------------------------------------------


@dataclass(frozen=True)
class Lit:
    """One field test, reduced to what the analysis needs."""

    field: str
    op: str
    operand: Any


@dataclass(frozen=True)
class Neg:
    """A negated test with no positive equivalent (not a range, not a regex, ...)."""

    lit: Lit


@dataclass(frozen=True)
class And:
    parts: tuple[Form, ...]


@dataclass(frozen=True)
class Or:
    parts: tuple[Form, ...]


Form = Lit | Neg | And | Or
TRUE = And(())

_RANGE_OPS = ("gt", "gte", "lt", "lte", "between")
_SPLIT_BUDGET = 256  # most conjunctions examined when splitting on `any`


def normal_form(condition: Condition | None, negate: bool = False) -> Form:
    """Push `not` down to the tests; `not` of eq/in/not_in/exists becomes the opposite test."""
    if condition is None:
        return TRUE
    if isinstance(condition, Not):
        return normal_form(condition.part, not negate)
    if isinstance(condition, AllOf | AnyOf):
        parts = tuple(normal_form(part, negate) for part in condition.parts)
        conjunction = isinstance(condition, AllOf) != negate
        return And(parts) if conjunction else Or(parts)
    lit = _lit(condition)
    if not negate:
        return lit
    # A missing value fails eq/in and passes not_in, so these complements are exact.
    if lit.op == "eq":
        return Lit(lit.field, "not_in", frozenset([lit.operand]))
    if lit.op == "in":
        return Lit(lit.field, "not_in", lit.operand)
    if lit.op == "not_in":
        return Lit(lit.field, "in", lit.operand)
    if lit.op == "exists":
        return Lit(lit.field, "exists", not lit.operand)
    return Neg(lit)


def _lit(test: FieldTest) -> Lit:
    operand = test.operand
    try:
        hash(operand)
    except TypeError:  # `eq: [a, b]` on a custom field: only an identical test implies it
        return Lit(test.field, f"opaque {test.op}", repr(operand))
    if test.op in _RANGE_OPS:
        operand = _interval(test.op, operand)
    elif test.op == "contains":
        operand = frozenset(operand)
    return Lit(test.field, "range" if test.op in _RANGE_OPS else test.op, operand)


# Interval: (low, high, low_open, high_open)
Interval = tuple[float, float, bool, bool]
_ALL_NUMBERS: Interval = (-math.inf, math.inf, False, False)


def _interval(op: str, operand: Any) -> Interval:
    if op == "between":
        return (operand[0], operand[1], False, False)
    return {
        "gt": (operand, math.inf, True, False),
        "gte": (operand, math.inf, False, False),
        "lt": (-math.inf, operand, False, True),
        "lte": (-math.inf, operand, False, False),
    }[op]


def _intersect(a: Interval, b: Interval) -> Interval:
    if a[0] == b[0]:
        low, low_open = a[0], a[2] or b[2]
    else:
        low, low_open = (a[0], a[2]) if a[0] > b[0] else (b[0], b[2])
    if a[1] == b[1]:
        high, high_open = a[1], a[3] or b[3]
    else:
        high, high_open = (a[1], a[3]) if a[1] < b[1] else (b[1], b[3])
    return (low, high, low_open, high_open)


def _empty(i: Interval) -> bool:
    return i[0] > i[1] or (i[0] == i[1] and (i[2] or i[3]))


def _within(inner: Interval, outer: Interval) -> bool:
    low_ok = outer[0] < inner[0] or (outer[0] == inner[0] and (inner[2] or not outer[2]))
    high_ok = inner[1] < outer[1] or (inner[1] == outer[1] and (inner[3] or not outer[3]))
    return low_ok and high_ok


def _in_interval(number: float, i: Interval) -> bool:
    above = number > i[0] if i[2] else number >= i[0]
    below = number < i[1] if i[3] else number <= i[1]
    return above and below


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _matches_empty(lit: Lit) -> bool:
    """Whether a positive test can pass for the empty string (which `exists` treats as absent)."""
    if lit.op == "eq":
        return lit.operand == ""
    if lit.op == "in":
        return "" in lit.operand
    if lit.op == "contains":
        return "" in lit.operand
    if lit.op == "regex":
        return re.search(lit.operand, "", re.IGNORECASE) is not None
    return lit.op != "range"  # numbers never match "", not_in and exists are not positive


# --- what a conjunction of tests says about one field -----------------------------------------


@dataclass
class _Facts:
    """Everything a conjunction of tests guarantees about one field of the lead."""

    values: frozenset | None = None  # the folded value is one of these (None: not restricted)
    interval: Interval | None = None  # the value is a number in here
    excluded: frozenset = frozenset()  # the folded value is none of these (or absent)
    exists: bool | None = None
    present: bool = False  # some positive test guarantees a non-empty value
    lits: frozenset[Lit] = frozenset()
    negs: frozenset[Lit] = frozenset()
    contradiction: bool = False


def _facts(parts: list[Lit | Neg], field: str) -> _Facts:
    facts = _Facts()
    lits = [p for p in parts if isinstance(p, Lit) and p.field == field]
    facts.lits = frozenset(lits)
    facts.negs = frozenset(p.lit for p in parts if isinstance(p, Neg) and p.lit.field == field)
    for lit in lits:
        if lit.op == "eq" or lit.op == "in":
            allowed = frozenset([lit.operand]) if lit.op == "eq" else lit.operand
            facts.values = allowed if facts.values is None else facts.values & allowed
        elif lit.op == "not_in":
            facts.excluded |= lit.operand
        elif lit.op == "range":
            facts.interval = (
                lit.operand if facts.interval is None else _intersect(facts.interval, lit.operand)
            )
        elif lit.op == "exists":
            if facts.exists is not None and facts.exists != lit.operand:
                facts.contradiction = True
            facts.exists = lit.operand
        elif lit.op == "contains" and not lit.operand:
            facts.contradiction = True  # no needles: matches nothing
        if lit.op != "exists" and lit.op != "not_in" and not _matches_empty(lit):
            facts.present = True
    if facts.exists is True:
        facts.present = True
    if facts.values is not None:
        facts.values = frozenset(v for v in facts.values - facts.excluded if _kept(v, facts))
        if not facts.values:
            facts.contradiction = True
    if facts.interval is not None and _empty(facts.interval):
        facts.contradiction = True
    if facts.exists is False and facts.present:
        facts.contradiction = True
    return facts


def _kept(value: Any, facts: _Facts) -> bool:
    """Whether a lead whose folded value equals `value` could pass the other tests on the field.

    Only drops a value when the answer is certainly no.
    """
    if facts.exists is False and value != "":
        return False
    if facts.interval is not None and not isinstance(value, bool):
        # A lead equal to a text value is that text, and text that is no number fails a range;
        # a lead equal to a number is that number (or a bool, which fails a range too).
        number = _string_number(value) if isinstance(value, str) else _as_number(value)
        if isinstance(value, str) and number is None:
            return False
        if number is not None and not _in_interval(number, facts.interval):
            return False
    for lit in facts.lits:
        contains = lit.op == "contains" and isinstance(value, str)
        if contains and not any(needle in value for needle in lit.operand):
            return False
    return True


def _exact_number(value: Any, field: str) -> float | None:
    """The number a lead equal to `value` certainly has, if it certainly has one.

    On a custom field a lead equal to 1 may be `true`, which is no number, so only text values
    (and numbers on the numeric lead fields) qualify.
    """
    if isinstance(value, str):
        return _string_number(value)
    return _as_number(value) if field in NUMERIC_FIELDS else None


def _string_number(text: str) -> float | None:
    try:
        number = float(text.replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _implied(facts: _Facts, goal: Lit) -> bool:
    """Whether every lead passing the facts' tests passes `goal` (same field)."""
    if facts.contradiction or goal in facts.lits:
        return True
    values = facts.values
    if goal.op == "exists":
        return facts.present if goal.operand else facts.exists is False
    if goal.op == "eq":
        return values is not None and values <= {goal.operand}
    if goal.op == "in":
        return values is not None and values <= goal.operand
    if goal.op == "not_in":
        if goal.operand <= facts.excluded:
            return True
        if values is not None and not values & goal.operand:
            return True
        return facts.exists is False and "" not in goal.operand
    if goal.op == "range":
        if facts.interval is not None and _within(facts.interval, goal.operand):
            return True
        if values is not None:
            numbers = [_exact_number(v, goal.field) for v in values]
            return all(n is not None and _in_interval(n, goal.operand) for n in numbers)
        return False
    if goal.op == "contains":
        if any(lit.op == "contains" and lit.operand <= goal.operand for lit in facts.lits):
            return True
        return values is not None and all(
            isinstance(v, str) and any(needle in v for needle in goal.operand) for v in values
        )
    return False  # regex: only an identical test, handled above


# --- satisfiability and implication -----------------------------------------------------------


def _conjunctions(form: Form) -> list[list[Lit | Neg]] | None:
    """The form as a disjunction of conjunctions of tests; None past the budget."""
    if isinstance(form, Lit | Neg):
        return [[form]]
    branches = [_conjunctions(part) for part in form.parts]
    if any(b is None for b in branches):
        return None
    if isinstance(form, Or):
        result = [conj for b in branches for conj in b]  # type: ignore[union-attr]
        return result if len(result) <= _SPLIT_BUDGET else None
    result: list[list[Lit | Neg]] = [[]]
    for b in branches:
        result = [[*left, *right] for left in result for right in b]  # type: ignore[union-attr]
        if len(result) > _SPLIT_BUDGET:
            return None
    return result


def _conflict(parts: list[Lit | Neg]) -> str | None:
    """The field whose tests contradict each other in this conjunction, if one does."""
    fields = dict.fromkeys(p.field if isinstance(p, Lit) else p.lit.field for p in parts)
    for field in fields:
        facts = _facts(parts, field)
        if facts.contradiction or any(_implied(facts, neg) for neg in facts.negs):
            return field
    return None


def contradiction(form: Form) -> str | None:
    """A field that makes the form unsatisfiable, or None if no contradiction was proven."""
    conjunctions = _conjunctions(form)
    if not conjunctions:  # over the budget (an empty disjunction cannot be written)
        return None
    fields = [_conflict(c) for c in conjunctions]
    return fields[0] if all(fields) else None


def never_matches(form: Form) -> bool:
    """True only if no lead can satisfy the form."""
    return contradiction(form) is not None


def implies(hypothesis: Form, goal: Form) -> bool:
    """True only if every lead satisfying `hypothesis` satisfies `goal`."""
    conjunctions = _conjunctions(hypothesis)
    if conjunctions is None:
        return False
    return all(_conjunction_implies(c, goal) for c in conjunctions)


def _conjunction_implies(parts: list[Lit | Neg], goal: Form) -> bool:
    if isinstance(goal, And):
        return all(_conjunction_implies(parts, g) for g in goal.parts)
    if isinstance(goal, Or):
        return any(_conjunction_implies(parts, g) for g in goal.parts)
    if isinstance(goal, Neg):
        # hypothesis implies not-X exactly when hypothesis and X cannot both hold
        return goal in parts or _conflict([*parts, goal.lit]) is not None
    return _implied(_facts(parts, goal.field), goal)


def values_of(form: Form, field: str) -> frozenset | None:
    """The folded values `field` can have in a lead matching `form`, from its top-level tests.

    None when those tests do not restrict the field to a set of values.
    """
    return _facts(_top_tests(form), field).values


def _top_tests(form: Form) -> list[Lit | Neg]:
    """The tests every matching lead passes, leaving out those under an `any`."""
    if isinstance(form, And):
        return [test for part in form.parts for test in _top_tests(part)]
    return [form] if isinstance(form, Lit | Neg) else []
