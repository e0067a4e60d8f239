"""What intake adds to a routing decision: the answers it could not read, and the lead that
nobody can reach. Pure, like the engine: a Decision in, a Decision out.

The notes go where a rep and a manager look: the card's "Why" line (the decision's reason) and
the routing trace ("employees 'Prefer not to say' not understood"), so a lead routed on part of
its answers says which part was missing.
"""

from __future__ import annotations

from dataclasses import replace

from routing.config import Priority, RoutingConfig
from routing.engine import Decision

NO_CONTACT = "no email or phone: nobody can reach this lead as sent"


def with_notes(decision: Decision, notes: tuple[str, ...]) -> Decision:
    """The decision, its reason and trace ending with what intake could not read."""
    if not notes:
        return decision
    return replace(
        decision,
        reason="; ".join((decision.reason, *notes)),
        trace=(*decision.trace, *notes),
    )


def unreachable(config: RoutingConfig) -> Decision:
    """Triage for a lead with neither email nor phone: stored, shown to humans, not routed."""
    steps = (NO_CONTACT, f"{config.triage.name} queue")
    return Decision(
        outcome="triage",
        owner=None,
        pool=None,
        rule=None,
        priority=Priority.normal,
        sla=config.sla_for(None, None),
        reason=" → ".join(steps),
        trace=steps,
        exclusions=(),
    )
