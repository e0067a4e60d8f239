"""Who may do what to a lead, in which state: one table, used by the card (which buttons it
shows), the listeners (whether a modal opens) and storage (whether a change happens). Pure:
decided from the config and the lead's state, owner and pool. The sentences people read when
something is refused are bot.slack's (bot/slack/wording.py); here are reasons as codes.

An actor is a rep id from routing.yml, or a Slack user id for people who are not reps (managers
who take no leads themselves).

Who counts as what, for one lead:
- owner: the rep the lead is offered to, or who claimed it;
- member: a rep of the lead's pool other than its owner;
- rep: any rep of routing.yml (every rep may claim from triage);
- manager: a top-level `managers:` entry (every lead), the lead's pool's `manager`, or the
  owner's own `manager`.

The rules, by stage of the lead (see RULES):
- Claim: the owner, while it is offered; once the ladder opens it to the pool, any member too;
  in triage any rep. Managers claim only what they could claim as reps.
- Not mine: the owner only. ("Not mine" from anyone else used to hand the lead to whoever
  pressed it.) A manager moves a lead with Reassign.
- Reassign: managers always; the owner; members only once the lead is open to the pool (then
  to themselves too), and any rep in triage. So nobody takes a colleague's offered lead by
  reassigning it to themselves and claiming it. With `permissions: {reassign: managers}`, only
  managers. The new owner must be an active rep who does not own it already.
- Mark contacted and the outcome: the owner, or a manager on their behalf.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from routing.config import RoutingConfig


class Action(StrEnum):
    claim = "claim"
    decline = "decline"  # "Not mine"
    reassign = "reassign"
    contacted = "contacted"
    outcome = "outcome"


class Stage(StrEnum):
    offered = "offered"  # assigned, waiting for its owner's claim
    open = "open"  # assigned, and the ladder opened it to the whole pool
    triage = "triage"
    claimed = "claimed"
    contacted = "contacted"
    nurture = "nurture"
    closed = "closed"  # won, lost, disqualified


class Role(StrEnum):
    owner = "owner"
    member = "member"
    rep = "rep"
    manager = "manager"


OWNER, MEMBER, REP, MANAGER = Role.owner, Role.member, Role.rep, Role.manager
RULES: dict[tuple[Stage, Action], frozenset[Role]] = {
    (Stage.offered, Action.claim): frozenset({OWNER}),
    (Stage.offered, Action.decline): frozenset({OWNER}),
    (Stage.offered, Action.reassign): frozenset({OWNER, MANAGER}),
    (Stage.open, Action.claim): frozenset({OWNER, MEMBER}),
    (Stage.open, Action.decline): frozenset({OWNER}),
    (Stage.open, Action.reassign): frozenset({OWNER, MEMBER, MANAGER}),
    (Stage.triage, Action.claim): frozenset({REP}),
    (Stage.triage, Action.reassign): frozenset({REP, MANAGER}),
    (Stage.claimed, Action.contacted): frozenset({OWNER, MANAGER}),
    (Stage.claimed, Action.outcome): frozenset({OWNER, MANAGER}),
    (Stage.claimed, Action.reassign): frozenset({OWNER, MANAGER}),
    (Stage.contacted, Action.outcome): frozenset({OWNER, MANAGER}),
    (Stage.contacted, Action.reassign): frozenset({OWNER, MANAGER}),
    (Stage.nurture, Action.reassign): frozenset({MANAGER}),
}


def stage(state: str, open_to_pool: bool = False) -> Stage:
    if state == "assigned":
        return Stage.open if open_to_pool else Stage.offered
    if state in ("won", "lost", "disqualified"):
        return Stage.closed
    return Stage(state)


def actions(state: str, open_to_pool: bool = False) -> list[Action]:
    """What somebody may do in this stage (the buttons a card shows; each click is checked)."""
    here = stage(state, open_to_pool)
    return [action for action in Action if (here, action) in RULES]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    # why not: "wrong_state", "offered_to_owner", "only_owner_declines", "managers_only",
    # "owner_or_manager"; "" when allowed
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def roles(
    config: RoutingConfig, actor: str, *, owner: str | None, pool_id: str | None
) -> frozenset[Role]:
    found: set[Role] = set()
    if owner is not None and actor == owner:
        found.add(Role.owner)
    if actor in config.reps:
        found.add(Role.rep)
        pool = config.pools.get(pool_id or "")
        if pool is not None and actor in pool.members and actor != owner:
            found.add(Role.member)
    if manages_lead(config, actor, pool_id=pool_id, owner=owner):
        found.add(Role.manager)
    return frozenset(found)


def check(
    config: RoutingConfig,
    actor: str,
    action: Action,
    *,
    state: str,
    open_to_pool: bool = False,
    owner: str | None,
    pool_id: str | None,
) -> Verdict:
    """May `actor` do `action` to a lead in this state now?"""
    here = stage(state, open_to_pool)
    allowed = RULES.get((here, action))
    if allowed is None:
        return Verdict(False, "wrong_state")
    if action is Action.reassign and config.permissions.reassign == "managers":
        allowed = allowed & {Role.manager}
    if roles(config, actor, owner=owner, pool_id=pool_id) & allowed:
        return Verdict(True)
    if action is Action.claim and here is Stage.offered:
        return Verdict(False, "offered_to_owner")
    if action is Action.decline:
        return Verdict(False, "only_owner_declines")
    if action is Action.reassign and config.permissions.reassign == "managers":
        return Verdict(False, "managers_only")
    return Verdict(False, "owner_or_manager")


# ---------------------------------------------------------------- managers


def _names(config: RoutingConfig, actor: str) -> set[str]:
    """An actor and the other name they go by in routing.yml (rep id and Slack id)."""
    rep = config.reps.get(actor) or config.rep_by_slack_id(actor)
    return {actor, rep.id, rep.slack_id} if rep else {actor}


def manages_everything(config: RoutingConfig, actor: str) -> bool:
    """Listed under the top-level `managers:`."""
    return bool(_names(config, actor) & set(config.managers))


def managed_pools(config: RoutingConfig, actor: str) -> set[str] | None:
    """The pools whose leads, reps and stats `actor` manages; None means every pool."""
    if manages_everything(config, actor):
        return None
    names = _names(config, actor)
    return {pool_id for pool_id, pool in config.pools.items() if pool.manager in names}


def managed_reps(config: RoutingConfig, actor: str) -> set[str] | None:
    """The reps `actor` manages (of their pools, or with `manager:` set to them); None: all."""
    pools = managed_pools(config, actor)
    if pools is None:
        return None
    names = _names(config, actor)
    reps = {rep_id for rep_id, rep in config.reps.items() if rep.manager in names}
    for pool_id in pools:
        reps.update(config.pools[pool_id].members)
    return reps


def is_manager(config: RoutingConfig, actor: str) -> bool:
    """Manages anything: the top-level list, a pool, or a rep."""
    if manages_everything(config, actor):
        return True
    names = _names(config, actor)
    if any(pool.manager in names for pool in config.pools.values()):
        return True
    return any(rep.manager in names for rep in config.reps.values())


def manages_lead(
    config: RoutingConfig, actor: str, *, pool_id: str | None, owner: str | None
) -> bool:
    """A top-level manager, the manager of the lead's pool, or the owner's manager."""
    if manages_everything(config, actor):
        return True
    names = _names(config, actor)
    pool = config.pools.get(pool_id or "")
    if pool is not None and pool.manager in names:
        return True
    rep = config.reps.get(owner or "")
    return rep is not None and rep.manager in names
