"""Who may do what to a lead. Pure: decided from the config and the lead's owner and pool.

An actor is a rep id from routing.yml, or a Slack user id for people who are not reps
(managers who take no leads themselves).
"""

from __future__ import annotations

from routing.config import RoutingConfig


def is_manager(config: RoutingConfig, actor: str) -> bool:
    """Listed under `managers:`, or named as the manager of a pool or a rep."""
    rep = config.reps.get(actor)
    names = {actor, rep.slack_id} if rep else {actor}
    if names & set(config.managers):
        return True
    if any(pool.manager in names for pool in config.pools.values()):
        return True
    return any(r.manager in names for r in config.reps.values())


def in_pool(config: RoutingConfig, actor: str, pool_id: str | None) -> bool:
    pool = config.pools.get(pool_id) if pool_id else None
    return pool is not None and actor in pool.members


def may_claim(
    config: RoutingConfig,
    actor: str,
    *,
    owner: str | None,
    pool_id: str | None,
    open_to_pool: bool,
    triage: bool,
) -> bool:
    """The owner claims; once the ladder opens a lead to its pool, any member may; triage is
    open to every rep."""
    if actor == owner:
        return True
    if triage:
        return actor in config.reps
    return open_to_pool and in_pool(config, actor, pool_id)


def may_reassign(
    config: RoutingConfig, actor: str, *, owner: str | None, pool_id: str | None
) -> bool:
    if is_manager(config, actor):
        return True
    if config.permissions.reassign == "managers":
        return False
    return actor == owner or in_pool(config, actor, pool_id)


def may_decline(
    config: RoutingConfig, actor: str, *, owner: str | None, pool_id: str | None
) -> bool:
    return actor == owner or in_pool(config, actor, pool_id) or is_manager(config, actor)


def may_work(config: RoutingConfig, actor: str, *, owner: str | None) -> bool:
    """Mark contacted and record the outcome: the owner, or a manager on their behalf."""
    return actor == owner or is_manager(config, actor)
