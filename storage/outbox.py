"""The notification outbox: written in the transaction that causes it, delivered afterwards.

Rows are intents ("post the card of lead 12 to Ana"), not Slack payloads: the delivery worker
renders the card from the lead's state at send time, so a late delivery shows the truth.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, update
from sqlmodel import Session, col, select

from storage import rows
from storage.db import serialize_routing, transaction
from storage.models import Event, OutboxKind, OutboxMessage, OutboxStatus

Kind = OutboxKind


def enqueue(
    session: Session,
    kind: Kind,
    now: datetime,
    *,
    lead_id: int | None = None,
    target: str | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    message = OutboxMessage(**rows.message(kind, now, lead_id, target, payload))
    session.add(message)
    return message


def enqueue_once(
    engine: Engine,
    key: str,
    now: datetime,
    notices: list[tuple[Kind, str | None, dict[str, Any]]],
    *,
    event_kind: str = "digest",
) -> bool:
    """Queue `notices` (kind, target, payload) unless an event `event_kind` with reason `key`
    says they were queued before; True if queued now. The routing lock makes the first of
    several replicas win and the others find its event (the weekly digest, once a week)."""
    with transaction(engine) as session:
        serialize_routing(session)
        sent = session.exec(
            select(Event.id).where(Event.kind == event_kind).where(Event.reason == key)
        ).first()
        if sent is not None:
            return False
        session.add(
            Event(**rows.event(None, event_kind, rows.SYSTEM, now, (None,) * 5, reason=key))
        )
        for kind, target, payload in notices:
            enqueue(session, kind, now, target=target, payload=payload)
    return True


def lease_due(
    session: Session, now: datetime, lease: timedelta, limit: int = 50
) -> list[OutboxMessage]:
    """Take up to `limit` due messages for `lease`: other workers (other replicas too) skip them
    until the lease runs out, so a worker that dies mid-delivery only delays its messages.

    The lease is written in this short transaction; Slack is called after it commits, so a slow
    Slack never holds a database lock.
    """
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.pending)
        .where(OutboxMessage.next_attempt_at <= now)
        .order_by(col(OutboxMessage.next_attempt_at), col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    due = list(session.exec(query).all())
    for message in due:
        message.next_attempt_at = now + lease
        session.add(message)
    return due


def mark_sent(session: Session, message_id: int, now: datetime) -> None:
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(status=OutboxStatus.sent, sent_at=now, attempts=OutboxMessage.attempts + 1)
    )


def mark_retry(
    session: Session, message_id: int, at: datetime, error: str, *, attempt: bool = True
) -> None:
    values: dict[str, Any] = {"next_attempt_at": at, "last_error": error[:500]}
    if attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    session.execute(
        update(OutboxMessage).where(col(OutboxMessage.id) == message_id).values(**values)
    )


def mark_dead(session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(
            status=OutboxStatus.dead, last_error=error[:500], attempts=OutboxMessage.attempts + 1
        )
    )


def backlog(session: Session, now: datetime) -> dict[str, int]:
    """Pending (and how many of those are overdue by a minute) and dead messages, for metrics."""
    rows = session.exec(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = {status: count for status, count in rows}
    overdue = session.exec(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.pending)
        .where(OutboxMessage.created_at < now - timedelta(minutes=1))
    ).one()
    return {
        "pending": counts.get(OutboxStatus.pending, 0),
        "dead": counts.get(OutboxStatus.dead, 0),
        "overdue": overdue,
    }
