"""Outbox leases: most urgent first, renewed by their holder, taken over when it dies (and then
in doubt), coalesced updates."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from routing import Lead
from storage import intake, lifecycle, outbox, queries
from storage.db import transaction
from storage.models import OutboxMessage
from tests.support.team import team

CONFIG = team()
LEASE = timedelta(seconds=10)


def queue(engine, now, *specs):  # type: ignore[no-untyped-def]
    with transaction(engine) as session:
        for kind, target in specs:
            outbox.enqueue(session, kind, now, lead_id=None, target=target)


def test_the_owners_dm_card_goes_first_then_card_changes_then_the_rest(engine, now):
    K = outbox.Kind
    queue(engine, now, (K.alert, "channel:C1"), (K.post_card, "channel:C1"),
          (K.update_cards, None), (K.post_card, "dm:ana"), (K.post_card, "triage"))  # fmt: skip
    with transaction(engine) as session:
        taken = outbox.lease_due(session, now, LEASE, 10, owner="a")
    assert [(m.kind, m.target) for m in taken][:3] == [
        ("post_card", "dm:ana"),
        ("update_cards", None),
        ("post_card", "triage"),
    ]


def test_a_lease_is_renewed_by_its_holder_only(engine, now):
    queue(engine, now, (outbox.Kind.post_card, "dm:ana"))
    with transaction(engine) as session:
        [message] = outbox.lease_due(session, now, LEASE, 10, owner="a")
    with transaction(engine) as session:
        assert outbox.renew(session, [message.id], "b", now + LEASE * 3) == 0
        assert outbox.renew(session, [message.id], "a", now + LEASE * 3) == 1
    with transaction(engine) as session:  # still held when the first lease would have ended
        assert outbox.lease_due(session, now + LEASE * 2, LEASE, 10, owner="b") == []


def test_a_dead_holders_message_is_taken_over_in_doubt(engine, now):
    queue(engine, now, (outbox.Kind.post_card, "dm:ana"))
    with transaction(engine) as session:
        [first] = outbox.lease_due(session, now, LEASE, 10, owner="a")
    assert not first.in_doubt
    with transaction(engine) as session:  # "a" died: no renewal, no result
        [again] = outbox.lease_due(session, now + LEASE, LEASE, 10, owner="b")
    assert again.id == first.id and again.in_doubt and again.lease_owner == "b"


def test_a_result_ends_the_lease(engine, now):
    queue(engine, now, (outbox.Kind.post_card, "dm:ana"))
    with transaction(engine) as session:
        [message] = outbox.lease_due(session, now, LEASE, 10, owner="a")
    with transaction(engine) as session:
        outbox.mark_retry(session, message.id, now, "ratelimited", attempt=False)
    with transaction(engine) as session:
        [again] = outbox.lease_due(session, now, LEASE, 10, owner="a")
    assert not again.in_doubt  # the first holder said how it went


def test_coalesced_updates_are_done_and_only_pending_ones_count(engine, now):
    lead_id = intake.intake(engine, CONFIG, Lead(email="kim@acme.io"), source="t", now=now).lead_id
    with transaction(engine) as session:
        for _ in range(3):
            outbox.enqueue(session, outbox.Kind.update_cards, now, lead_id=lead_id)
    state = queries.card_state(engine, lead_id)
    assert state is not None and len(state.pending_updates) == 3
    with transaction(engine) as session:
        assert outbox.coalesce(session, state.pending_updates[:2], now) == 2
        assert outbox.coalesce(session, state.pending_updates[:2], now) == 0  # done already
        assert not outbox.is_pending(session, state.pending_updates[0])
        assert outbox.is_pending(session, state.pending_updates[2])


def test_a_lead_passed_on_before_its_channel_copy_went_out_is_posted_there_once(engine, now):
    """The ladder's pass (or "not mine") queues the new owner's card and a channel copy; when the
    first copy is still waiting, or on its way from another replica, one post covers both."""
    lead_id = intake.intake(engine, CONFIG, Lead(email="kim@acme.io"), source="t", now=now).lead_id
    with transaction(engine) as session:  # another replica is posting the first channel copy
        leased = outbox.lease_due(session, now, LEASE, 10, owner="other")
    assert ("post_card", "channel:C0SALES") in {(m.kind, m.target) for m in leased}
    lifecycle.reroute(engine, CONFIG, lead_id, "no answer", now + timedelta(seconds=3))
    with transaction(engine) as session:
        posts = session.exec(
            select(OutboxMessage.target)
            .where(OutboxMessage.lead_id == lead_id)
            .where(OutboxMessage.kind == "post_card")
        ).all()
    assert sorted(posts) == ["channel:C0SALES", "dm:ana", "dm:ben"]
