"""The notification outbox: written in the transaction that causes it, delivered afterwards.

Rows are intents ("post the card of lead 12 to Ana"), not Slack payloads: the delivery worker
renders the card from the lead's state at send time, so a late delivery shows the truth.
"""

from __future__ import annotations

from collections.abc import Collection
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


def enqueue_card(session: Session, now: datetime, lead_id: int, target: str | None) -> None:
    """Post the lead's card to `target`, unless a post there still waits or is being delivered
    (perhaps by another replica): that one renders the card as it is when it goes out, so a
    second would only put the card in the conversation twice (a pass back to the pool channel
    while its first copy is still on its way)."""
    waiting = session.exec(
        select(OutboxMessage.id)
        .where(OutboxMessage.lead_id == lead_id)
        .where(OutboxMessage.kind == Kind.post_card)
        .where(OutboxMessage.target == target)
        .where(OutboxMessage.status == OutboxStatus.pending)
    ).first()
    if waiting is None:
        enqueue(session, Kind.post_card, now, lead_id=lead_id, target=target)


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
    session: Session, now: datetime, lease: timedelta, limit: int = 50, owner: str = ""
) -> list[OutboxMessage]:
    """Take up to `limit` due messages, the most urgent first (priority, then due time), for
    `lease`: other workers (other replicas too) skip them until the lease runs out. The
    holder renews the lease while it works (`renew`), so a lease can be short and a process
    that dies is taken over within `lease`. A message whose earlier lease ran out without a
    result is marked in doubt: its holder may have reached Slack before it died.

    The lease is written in this short transaction; Slack is called after it commits, so a slow
    Slack never holds a database lock.
    """
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.pending)
        .where(OutboxMessage.next_attempt_at <= now)
        .order_by(
            col(OutboxMessage.priority), col(OutboxMessage.next_attempt_at), col(OutboxMessage.id)
        )
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    due = list(session.exec(query).all())
    for message in due:
        if message.lease_owner is not None:  # the last holder never said how it went
            message.in_doubt = True
        message.lease_owner = owner
        message.next_attempt_at = now + lease
        session.add(message)
    return due


def renew(session: Session, ids: Collection[int], owner: str, until: datetime) -> int:
    """Extend the leases `owner` still holds (the heartbeat of a live process)."""
    if not ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(sorted(ids)))
        .where(col(OutboxMessage.lease_owner) == owner)
        .where(col(OutboxMessage.status) == OutboxStatus.pending)
        .values(next_attempt_at=until)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def mark_sent(session: Session, message_id: int, now: datetime, note: str | None = None) -> None:
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(
            status=OutboxStatus.sent,
            sent_at=now,
            attempts=OutboxMessage.attempts + 1,
            lease_owner=None,
            last_error=note,
        )
    )


def mark_retry(
    session: Session,
    message_id: int,
    at: datetime,
    error: str,
    *,
    attempt: bool = True,
    in_doubt: bool = False,
) -> None:
    """Due again at `at`. `attempt=False` for waits that are not failures (a rate limit, a
    paused token); `in_doubt` when Slack may have done it (a timeout, a 5xx)."""
    values: dict[str, Any] = {"next_attempt_at": at, "last_error": error[:500], "lease_owner": None}
    if attempt:
        values["attempts"] = OutboxMessage.attempts + 1
    if in_doubt:
        values["in_doubt"] = True
    session.execute(
        update(OutboxMessage).where(col(OutboxMessage.id) == message_id).values(**values)
    )


def mark_dead(session: Session, message_id: int, error: str) -> None:
    session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id) == message_id)
        .values(
            status=OutboxStatus.dead,
            last_error=error[:500],
            attempts=OutboxMessage.attempts + 1,
            lease_owner=None,
        )
    )


def coalesce(session: Session, ids: Collection[int], now: datetime) -> int:
    """Mark these pending card updates done: a later render already said what they would."""
    if not ids:
        return 0
    result = session.execute(
        update(OutboxMessage)
        .where(col(OutboxMessage.id).in_(sorted(ids)))
        .where(col(OutboxMessage.status) == OutboxStatus.pending)
        .values(status=OutboxStatus.sent, sent_at=now, last_error="coalesced", lease_owner=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def is_pending(session: Session, message_id: int) -> bool:
    status = session.exec(
        select(OutboxMessage.status).where(col(OutboxMessage.id) == message_id)
    ).first()
    return status == OutboxStatus.pending


def channel_backlog(session: Session, target: str) -> int:
    """Cards waiting to be posted to one channel (target "channel:<channel>")."""
    return int(
        session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.pending)
            .where(OutboxMessage.kind == Kind.post_card)
            .where(OutboxMessage.target == target)
        ).one()
    )


def summarise_channel(session: Session, target: str, now: datetime, current: int) -> list[int]:
    """Take the cards waiting for this channel off the queue, to be told in one summary
    message instead: `current` (the message being delivered) and those nobody holds (a card
    another worker is delivering goes its own way) and no attempt may have posted already (a
    card in doubt is looked for first, by its own delivery); returns their leads."""
    waiting = session.exec(
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.pending)
        .where(OutboxMessage.kind == Kind.post_card)
        .where(OutboxMessage.target == target)
        .where(
            (col(OutboxMessage.lease_owner).is_(None) & ~col(OutboxMessage.in_doubt))
            | (col(OutboxMessage.id) == current)
        )
        .with_for_update(skip_locked=True)
    ).all()
    leads = []
    for message in waiting:
        message.status, message.sent_at = OutboxStatus.sent, now
        message.last_error, message.lease_owner = "summarised: the channel was flooded", None
        session.add(message)
        if message.lead_id is not None:
            leads.append(message.lead_id)
    return leads


def backlog(session: Session, now: datetime) -> dict[str, int]:
    """Pending (and how many of those are overdue by a minute) and dead messages, for metrics."""
    rows_ = session.exec(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = {status: count for status, count in rows_}
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


def queue_by_priority(session: Session) -> dict[int, int]:
    """Pending messages per priority (0 DM cards, 1 card changes, 2 the rest)."""
    found = session.exec(
        select(OutboxMessage.priority, func.count())
        .where(OutboxMessage.status == OutboxStatus.pending)
        .group_by(OutboxMessage.priority)
    ).all()
    return {0: 0, 1: 0, 2: 0, **dict(found)}


def next_due(session: Session) -> datetime | None:
    """When the soonest pending message falls due (a paced post, a retry, a lease's end)."""
    return session.exec(
        select(func.min(OutboxMessage.next_attempt_at)).where(
            OutboxMessage.status == OutboxStatus.pending
        )
    ).one()


def oldest_dm_card(session: Session) -> datetime | None:
    """When the oldest DM card still waiting was queued."""
    return session.exec(
        select(func.min(OutboxMessage.created_at))
        .where(OutboxMessage.status == OutboxStatus.pending)
        .where(OutboxMessage.priority == 0)
    ).one()


def retry_dead(
    session: Session, now: datetime, *, ids: Collection[int] = (), kind: str | None = None
) -> int:
    """Dead messages (these ids, or of this kind, or all) due again now, as if new: for after
    a human fixed what they died of (a CRM token, a webhook's URL)."""
    query = update(OutboxMessage).where(col(OutboxMessage.status) == OutboxStatus.dead)
    if ids:
        query = query.where(col(OutboxMessage.id).in_(sorted(ids)))
    if kind:
        query = query.where(col(OutboxMessage.kind) == kind)
    result = session.execute(
        query.values(status=OutboxStatus.pending, attempts=0, next_attempt_at=now, lease_owner=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def listing(
    session: Session, *, status: str | None = None, kind: str | None = None, limit: int = 50
) -> list[OutboxMessage]:
    """The newest messages (of a status, of a kind), for `leadrouter outbox list`."""
    query = select(OutboxMessage).order_by(col(OutboxMessage.id).desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    if kind:
        query = query.where(OutboxMessage.kind == kind)
    return list(session.exec(query).all())
