"""Find the first matching rule without testing every rule.

Most rules pin a plain lead field to a few values (`country: [DE, FR]`, `industry: retail`) at
the top of their `when`. For each such field the index keeps, per folded value, a bit mask of
the rules that could still match a lead with that value: the rules that do not pin the field,
and those whose pinned values include it. ANDing the masks of a lead's values leaves a few
candidates, tried in rule order with their compiled conditions, so the first match is the one
a plain loop over `config.rules` finds.

A pinning test only rules a rule out if the plain loop would reach that test and fail it
without raising first; tests that can raise (an `in`/`not_in` on a custom field, which may hold
a list) stop the collection of pins for that rule.

A config builds its index once, on first use, and keeps it (`RoutingConfig.rule_index`, a
cached property: configs are frozen, so the rules it indexes never change under it).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from routing.conditions import All, Condition, FieldTest, Predicate, compile_condition, field_tests
from routing.lead import Lead

if TYPE_CHECKING:
    from routing.config import Rule

# More pinned fields narrow further, but each costs a lookup per lead.
MAX_INDEXED_FIELDS = 6


class RuleIndex:
    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        # the whole condition, for leads the index cannot look up
        self.predicates: tuple[Predicate | None, ...] = tuple(
            None if rule.when is None else compile_condition(rule.when) for rule in self.rules
        )
        everyone = (1 << len(self.rules)) - 1
        pinned = [_pins(rule.when) for rule in self.rules]
        pins: dict[str, dict[int, frozenset[Any]]] = {}
        for position, rule_pins in enumerate(pinned):
            for _, name, allowed in rule_pins:
                held = pins.setdefault(name, {})
                held[position] = held[position] & allowed if position in held else allowed
        # the fields that pin the most rules narrow the most
        chosen = sorted(pins, key=lambda name: (-len(pins[name]), name))[:MAX_INDEXED_FIELDS]
        self.fields: tuple[tuple[str, dict[Any, int], int], ...] = tuple(
            (name, *_field_masks(pins[name], everyone)) for name in chosen
        )
        self.everyone = everyone
        # A candidate's pinned tests on indexed fields are known to pass; taking a passing test
        # out of an `all` changes nothing, so only the rest is run.
        self.rest: tuple[Predicate | None, ...] = tuple(
            _rest(rule.when, {test for test, name, _ in rule_pins if name in chosen})
            for rule, rule_pins in zip(self.rules, pinned, strict=True)
        )

    def candidates(self, lead: Lead) -> int:
        """Bit i set: rule i may match `lead`; clear: it certainly does not."""
        mask = self.everyone
        for name, masks, unpinned in self.fields:
            value = getattr(lead, name)
            if value is None:
                mask &= unpinned
            else:
                mask &= masks.get(value.casefold() if isinstance(value, str) else value, unpinned)
            if not mask:
                break
        return mask

    def first_match(self, lead: Lead) -> Rule | None:
        try:
            mask = self.candidates(lead)
        except TypeError:  # an unhashable value, which no validated Lead holds: test everything
            return self._first_of(self.everyone, self.predicates, lead)
        return self._first_of(mask, self.rest, lead)

    def _first_of(
        self, mask: int, predicates: Sequence[Predicate | None], lead: Lead
    ) -> Rule | None:
        while mask:
            lowest = mask & -mask
            position = lowest.bit_length() - 1
            predicate = predicates[position]
            if predicate is None or predicate(lead):
                return self.rules[position]
            mask ^= lowest
        return None


def _rest(when: Condition | None, known: set[int]) -> Predicate | None:
    """The rule's condition without the tests in `known` (by id); None if nothing is left."""
    if when is None:
        return None
    rest = [part for part in _conjuncts(when) if id(part) not in known]
    if not rest:
        return None
    return compile_condition(rest[0] if len(rest) == 1 else All(tuple(rest)))


def _field_masks(pinned: dict[int, frozenset[Any]], everyone: int) -> tuple[dict[Any, int], int]:
    unpinned = everyone
    for position in pinned:
        unpinned &= ~(1 << position)
    masks: dict[Any, int] = {}
    for position, allowed in pinned.items():
        for value in allowed:
            masks[value] = masks.get(value, unpinned) | (1 << position)
    return masks, unpinned


def _pins(when: Condition | None) -> list[tuple[int, str, frozenset[Any]]]:
    """(id of the test, field, values) for each top-level eq/in test on a plain lead field
    that the plain evaluation reaches without risking an exception first."""
    found: list[tuple[int, str, frozenset[Any]]] = []
    if when is None:
        return found
    for part in _conjuncts(when):
        if isinstance(part, FieldTest) and "." not in part.field:
            if part.op == "in":
                found.append((id(part), part.field, part.operand))
            elif part.op == "eq" and _hashable(part.operand) and part.operand == part.operand:
                found.append((id(part), part.field, frozenset([part.operand])))
        if any(
            test.op in ("in", "not_in") and test.field.startswith("custom.")
            for test in field_tests(part)
        ):
            break
    return found


def _conjuncts(condition: Condition) -> Iterator[Condition]:
    """The parts of a top-level `all`, flattened, in evaluation order."""
    if isinstance(condition, All):
        for part in condition.parts:
            yield from _conjuncts(part)
    else:
        yield condition


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True
