"""The notification outbox: written in the transaction that causes it, delivered afterwards.

Rows are intents ("post the card of lead 12 to Ana"), not Slack payloads: the delivery worker
renders the card from the lead's state at send time, so a late delivery shows the truth.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.models import OutboxMessage, OutboxStatus


class Kind(StrEnum):
    post_card = "post_card"  # target "dm:<rep id>" or "channel:<channel id>"
    update_cards = "update_cards"  # re-render every posted copy of the lead's card
    notify = "notify"  # a DM to a rep: payload {"text": ...}
    alert = "alert"  # a post to a channel (triage, leadership): payload {"text": ...}


def enqueue(
    session: Session,
    kind: Kind,
    now: datetime,
    *,
    lead_id: int | None = None,
    target: str | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboxMessage:
    message = OutboxMessage(
        lead_id=lead_id,
        kind=kind,
        target=target,
        payload=payload or {},
        next_attempt_at=now,
        created_at=now,
    )
    session.add(message)
    return message


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
