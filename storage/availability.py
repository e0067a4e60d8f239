"""Time away: /away and /back, the slow-responder rule's automatic /away, and the end of
`/away until …`. Setting a rep away passes their unclaimed leads on at once (claimed ones stay
theirs), through the lifecycle's re-route, in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from routing import RoutingConfig
from storage import outbox, rows
from storage.db import read_only, transaction
from storage.lifecycle import Refused, reroute_in
from storage.models import Availability, LeadRow, LeadState
from storage.routing_state import Router
from storage.rows import SYSTEM


@dataclass(frozen=True)
class AwayResult:
    until: datetime | None
    rerouted: list[int]


def set_away(
    engine: Engine,
    config: RoutingConfig,
    rep_id: str,
    now: datetime,
    *,
    until: datetime | None = None,
    note: str | None = None,
    actor: str | None = None,
) -> AwayResult:
    """Mark a rep away and pass on their unclaimed leads at once (claimed ones stay theirs)."""
    if rep_id not in config.reps:
        raise Refused("unknown_rep", "you are not a rep in routing.yml")
    with transaction(engine) as session:
        return mark_away_in(session, config, rep_id, now, until=until, note=note, actor=actor)


def mark_away_in(
    session: Session,
    config: RoutingConfig,
    rep_id: str,
    now: datetime,
    *,
    until: datetime | None = None,
    note: str | None = None,
    actor: str | None = None,
    router: Router | None = None,
) -> AwayResult:
    """set_away inside the caller's transaction (the escalation sweep uses it)."""
    current = session.get(Availability, rep_id)
    if current is None:
        current = Availability(rep=rep_id, since=now)
    current.until, current.note, current.set_by = until, note, actor or SYSTEM
    session.add(current)
    rows.add_event(
        session,
        None,
        "away",
        actor or SYSTEM,
        now,
        reason=note or "",
        detail={"rep": rep_id, "until": until.isoformat() if until else None},
    )
    session.flush()
    if router is None:
        router = Router(session, config, now)
    else:
        router.away[rep_id] = until
    unclaimed = session.exec(
        select(LeadRow)
        .where(LeadRow.owner == rep_id)
        .where(LeadRow.state == LeadState.assigned)
        .order_by(col(LeadRow.id))
        .with_for_update()  # a claim committed meanwhile is not overwritten by the re-route
    ).all()
    name = config.reps[rep_id].name
    for row in unclaimed:
        reroute_in(session, router, row, "rerouted", SYSTEM, f"{name} is away")
    return AwayResult(until, [row.id for row in unclaimed if row.id is not None])


def set_back(
    engine: Engine, config: RoutingConfig, rep_id: str, now: datetime, actor: str | None = None
) -> bool:
    """Return from time away. False if the rep was not away."""
    with transaction(engine) as session:
        current = session.get(Availability, rep_id)
        if current is None:
            return False
        session.delete(current)
        rows.add_event(session, None, "back", actor or rep_id, now, detail={"rep": rep_id})
        return True


def end_due_away(engine: Engine, config: RoutingConfig, now: datetime) -> list[str]:
    """Everyone whose `/away until …` has passed is back; they are told so."""
    with transaction(engine) as session:
        due = session.exec(
            select(Availability)
            .where(col(Availability.until).is_not(None))
            .where(col(Availability.until) <= now)
            .with_for_update(skip_locked=True)
        ).all()
        for away in due:
            session.delete(away)
            rows.add_event(
                session,
                None,
                "back",
                SYSTEM,
                now,
                reason="time away ended",
                detail={"rep": away.rep},
            )
            if away.rep in config.reps:
                outbox.enqueue(
                    session,
                    outbox.Kind.notify,
                    now,
                    target=away.rep,
                    payload={"template": "back_automatically"},
                )
        return [away.rep for away in due]


def away_status(engine: Engine) -> dict[str, Availability]:
    with read_only(engine) as session:
        return {a.rep: a for a in session.exec(select(Availability)).all()}
