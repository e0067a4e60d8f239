"""Named reads for the adapters (the App Home, /back, /routing-stats, card delivery): they ask
these instead of writing SQL, so each question is answered the same way everywhere."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from storage import load
from storage.db import read_only
from storage.models import (
    OPEN_STATES,
    UNCLAIMED_STATES,
    Availability,
    CrmLink,
    Event,
    LeadRow,
    OutboxKind,
    OutboxMessage,
    OutboxStatus,
    SlackMessage,
)


def open_leads_of(engine: Engine, rep_id: str) -> list[LeadRow]:
    """A rep's open leads (assigned, claimed, contacted), oldest assignment first."""
    with read_only(engine) as session:
        return list(
            session.exec(
                select(LeadRow)
                .where(LeadRow.owner == rep_id)
                .where(col(LeadRow.state).in_(OPEN_STATES))
                .order_by(col(LeadRow.assigned_at))
            ).all()
        )


def away_of(engine: Engine, rep_id: str) -> Availability | None:
    with read_only(engine) as session:
        return session.get(Availability, rep_id)


@dataclass(frozen=True)
class Board:
    """The team board of the App Home: who is away, open leads per rep, the oldest unclaimed."""

    away: dict[str, Availability]
    open_leads: dict[str, int]
    unclaimed: list[LeadRow]
    reps: frozenset[str] | None = None  # the reps shown (None: everyone in routing.yml)


def board(
    engine: Engine,
    pools: Collection[str] | None = None,
    reps: Collection[str] | None = None,
    limit: int = 50,
) -> Board:
    """The board of these pools and reps (None: all of them): their unclaimed leads (triage's
    too when it is everything), who is away and open leads per rep."""
    with read_only(engine) as session:
        unclaimed = select(LeadRow).where(col(LeadRow.state).in_(UNCLAIMED_STATES))
        if pools is not None or reps is not None:
            unclaimed = unclaimed.where(
                col(LeadRow.pool).in_(sorted(pools or ()))
                | col(LeadRow.owner).in_(sorted(reps or ()))
            )
        return Board(
            away={a.rep: a for a in session.exec(select(Availability)).all()},
            open_leads=load.read(session.connection()),
            unclaimed=list(
                session.exec(unclaimed.order_by(col(LeadRow.created_at)).limit(limit)).all()
            ),
            reps=frozenset(reps) if reps is not None else None,
        )


@dataclass(frozen=True)
class CardState:
    lead: LeadRow
    events: list[Event]
    # updates of its cards queued, and committed, before the lead was read: a card rendered
    # from this state says everything they would
    pending_updates: list[int]
    link: CrmLink | None = None  # its record in the CRM: the card links to it


def card_state(engine: Engine, lead_id: int) -> CardState | None:
    """What a lead's card is rendered from, or None if the lead is gone. The pending updates
    are read first, so on PostgreSQL too every one of them is reflected in the lead read after."""
    with read_only(engine) as session:
        pending = _pending(session, lead_id, OutboxKind.update_cards)
        lead = session.get(LeadRow, lead_id)
        if lead is None:
            return None
        events = session.exec(
            select(Event).where(Event.lead_id == lead_id).order_by(col(Event.id))
        ).all()
        return CardState(lead, list(events), pending, session.get(CrmLink, lead_id))


def card_copies(engine: Engine, lead_id: int) -> list[SlackMessage]:
    """Every posted copy of a lead's card (the owner's DM, the channel, triage, …)."""
    with read_only(engine) as session:
        return list(session.exec(select(SlackMessage).where(SlackMessage.lead_id == lead_id)))


def first_card_copies(engine: Engine, lead_ids: Collection[int]) -> dict[int, SlackMessage]:
    """One posted copy of each of these leads' cards (for a permalink), where there is one."""
    if not lead_ids:
        return {}
    with read_only(engine) as session:
        found: dict[int, SlackMessage] = {}
        for copy in session.exec(
            select(SlackMessage)
            .where(col(SlackMessage.lead_id).in_(sorted(lead_ids)))
            .order_by(col(SlackMessage.id))
        ):
            found.setdefault(copy.lead_id, copy)
        return found


def event_with_lead(engine: Engine, event_id: int) -> tuple[Event, LeadRow, CrmLink | None] | None:
    """An event, its lead and the lead's CRM record (what an outbound webhook sends)."""
    with read_only(engine) as session:
        event = session.get(Event, event_id)
        lead = session.get(LeadRow, event.lead_id) if event and event.lead_id else None
        if event is None or lead is None:
            return None
        return event, lead, session.get(CrmLink, lead.id)


def crm_state(
    engine: Engine, lead_id: int, message_id: int
) -> tuple[LeadRow, CrmLink | None, list[int]] | None:
    """What a CRM sync writes from: the lead, its CRM record, and the other pending syncs of
    the lead that this one covers (read first, as card_state does); None when this message
    was covered meanwhile or the lead is gone."""
    with read_only(engine) as session:
        pending = _pending(session, lead_id, OutboxKind.crm_sync)
        lead = session.get(LeadRow, lead_id)
        if message_id not in pending or lead is None:
            return None
        covered = [i for i in pending if i != message_id]
        return lead, session.get(CrmLink, lead_id), covered


def _pending(session: Session, lead_id: int, kind: OutboxKind) -> list[int]:
    """The lead's pending messages of a kind, read before the lead (see card_state)."""
    found = session.exec(
        select(OutboxMessage.id)
        .where(OutboxMessage.lead_id == lead_id)
        .where(OutboxMessage.kind == kind)
        .where(OutboxMessage.status == OutboxStatus.pending)
    ).all()
    return [i for i in found if i is not None]
