"""Build routing configs, leads and states in code, so each test states only what it is about.

Reps work around the clock unless a test gives them hours, so a test about rotation is not
silently about the clock. `NOW` is a Wednesday in January (no daylight saving anywhere north).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from routing import Decision, Lead, RoutingConfig, RoutingState, decide

NOW = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)


def rep(name: str, **fields: Any) -> dict[str, Any]:
    """A rep entry for `make_config(reps=[...])`; `name` doubles as the id when none is given."""
    return {"name": name, **fields}


def make_config(
    reps: Iterable[str | Mapping[str, Any]],
    pools: Mapping[str, Any] | None = None,
    rules: Iterable[Mapping[str, Any]] = (),
    **extra: Any,
) -> RoutingConfig:
    """A valid RoutingConfig.

    reps: names ("ana") or dicts from `rep()`; ids are the lowercased first word of the name
    unless `id` is given, and slack ids are made up. pools: id -> member list or pool dict.
    """
    rep_map: dict[str, dict[str, Any]] = {}
    for index, entry in enumerate(reps):
        spec = {"name": entry} if isinstance(entry, str) else dict(entry)
        rep_id = spec.pop("id", None) or spec["name"].split()[0].lower()
        spec.setdefault("slack_id", f"U{index:06d}")
        rep_map[rep_id] = spec
    pool_map = {
        key: {"members": list(value)} if isinstance(value, list | tuple) else dict(value)
        for key, value in (pools or {}).items()
    }
    data: dict[str, Any] = {
        "hours": "always",
        "reps": rep_map,
        "pools": pool_map,
        "rules": list(rules),
        **extra,
    }
    return RoutingConfig.model_validate(data)


def lead(**fields: Any) -> Lead:
    return Lead(**fields)


def state(**fields: Any) -> RoutingState:
    return RoutingState(**fields)


def route_many(
    leads: Iterable[Lead],
    config: RoutingConfig,
    *,
    now: datetime = NOW,
    away: Mapping[str, datetime | None] | None = None,
    open_leads: Mapping[str, int] | None = None,
    rotation: dict[str, dict[str, int]] | None = None,
    performance: Mapping[str, float] | None = None,
) -> list[Decision]:
    """Route leads one after another as the app does: each decision's credits are saved.

    Pass `rotation` to keep the credits across calls (it is updated in place).
    """
    credits = rotation if rotation is not None else {}
    decisions = []
    for item in leads:
        current = RoutingState(
            rotation=credits,
            open_leads=open_leads or {},
            away=away or {},
            performance=performance or {},
        )
        decision = decide(item, config, current, now)
        if decision.rotation is not None and decision.pool is not None:
            credits[decision.pool.id] = dict(decision.rotation)
        decisions.append(decision)
    return decisions


def owners(decisions: Iterable[Decision]) -> list[str | None]:
    return [d.owner_id for d in decisions]
