"""The event log, fed to outbound webhooks: each subscription reads the events after its
cursor and queues one outbox message per event it wants (kind `webhook`), in order, and the
outbox delivers them like everything else: retried, leased, one process at a time.

Events are read once they are LAG old: an event's id is drawn before its transaction commits,
so a younger event could still be followed by an older id committing late. A new subscription
starts from the events of its first run on, not from the beginning of history. Cursors are
locked while read (SKIP LOCKED), so several replicas feed each event once.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy import Engine, func
from sqlmodel import col, select

from storage import outbox
from storage.db import transaction
from storage.models import Event, EventCursor

LAG = timedelta(seconds=2)
BATCH = 500
EVENT_NAMES = {  # our event kinds -> the names subscribers see (routing.crm_config.EventName)
    "received": "lead.received",
    "assigned": "lead.assigned",
    "claimed": "lead.claimed",
    "reassigned": "lead.reassigned",
    "escalated": "lead.escalated",
    "contacted": "lead.contacted",
    "outcome": "lead.outcome",
}


def feed(engine: Engine, subscriptions: Mapping[str, set[str]], now: datetime) -> int:
    """Queue the new events each subscription wants ({name: {"lead.claimed", …}}); returns
    how many messages were queued."""
    queued = 0
    for name, wanted in subscriptions.items():
        with transaction(engine) as session:
            cursor = session.exec(
                select(EventCursor)
                .where(EventCursor.name == name)
                .with_for_update(skip_locked=True)
            ).first()
            if cursor is None:
                if session.get(EventCursor, name) is not None:
                    continue  # another replica is feeding it right now
                latest = session.exec(select(func.coalesce(func.max(Event.id), 0))).one()
                session.add(EventCursor(name=name, last_event_id=latest, updated_at=now))
                continue
            events = session.exec(
                select(Event)
                .where(col(Event.id) > cursor.last_event_id)
                .where(col(Event.at) <= now - LAG)
                .order_by(col(Event.id))
                .limit(BATCH)
            ).all()
            for event in events:
                kind = EVENT_NAMES.get(event.kind)
                if kind in wanted and event.lead_id is not None:
                    outbox.enqueue(
                        session,
                        outbox.Kind.webhook,
                        now,
                        lead_id=event.lead_id,
                        target=f"webhook:{name}",
                        payload={"event": event.id, "type": kind},
                    )
                    queued += 1
            if events:
                cursor.last_event_id = events[-1].id or cursor.last_event_id
                cursor.updated_at = now
                session.add(cursor)
    return queued
