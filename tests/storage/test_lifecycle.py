"""The lead lifecycle against a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from routing import Lead
from storage import availability, intake, lifecycle
from storage.lifecycle import Refused
from storage.models import Assignment, Event, LeadRow, LeadState, OutboxMessage
from tests.support.team import team

CONFIG = team()


def lead(n: int = 1, **fields: object) -> Lead:
    return Lead(email=f"buyer{n}@example{n}.com", company=f"Example {n}", employees=50, **fields)


def events(engine, lead_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        rows = session.exec(select(Event).where(Event.lead_id == lead_id).order_by(col(Event.id)))
        return [e.kind for e in rows]


def outbox_targets(engine, lead_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.lead_id == lead_id)
            .order_by(col(OutboxMessage.id))
        )
        return [f"{m.kind}:{m.target}" if m.target else m.kind for m in rows]


def test_intake_stores_the_lead_its_decision_and_its_notifications(engine, now):
    result = intake.intake(engine, CONFIG, lead(), source="generic", now=now)

    assert result.owner == "ana" and result.state == "assigned"
    assert result.reason == "Everyone else → pool sales → round robin: Ana was next"
    row = lifecycle.get_lead(engine, result.lead_id)
    assert row.claim_due_at == now + timedelta(minutes=30)
    assert row.escalate_at == now + timedelta(minutes=5), "first ladder step is due in 5 min"
    assert events(engine, result.lead_id) == ["received", "assigned"]
    assert outbox_targets(engine, result.lead_id) == [
        "post_card:dm:ana",
        "post_card:channel:C0SALES",
    ]
    with Session(engine) as session:
        trace = session.exec(select(Assignment)).one()
        assert trace.trace == ["Everyone else", "pool sales", "round robin: Ana was next"]


def test_a_retried_delivery_returns_the_first_answer_and_stores_one_lead(engine, now):
    first = intake.intake(
        engine, CONFIG, lead(), source="typeform", now=now, idempotency_key="evt-1"
    )
    again = intake.intake(
        engine, CONFIG, lead(), source="typeform", now=now, idempotency_key="evt-1"
    )

    assert again.replayed and again.response() == first.response()
    with Session(engine) as session:
        assert len(session.exec(select(LeadRow)).all()) == 1


def test_the_same_key_from_another_provider_is_another_delivery(engine, now):
    a = intake.intake(engine, CONFIG, lead(1), source="typeform", now=now, idempotency_key="k")
    b = intake.intake(engine, CONFIG, lead(2), source="tally", now=now, idempotency_key="k")
    assert a.lead_id != b.lead_id


def test_a_repeat_from_the_same_email_joins_the_open_lead_and_tells_its_owner(engine, now):
    first = intake.intake(engine, CONFIG, lead(), source="generic", now=now)
    repeat = intake.intake(
        engine, CONFIG, lead(message="me again"), source="generic", now=now + timedelta(hours=1)
    )

    assert repeat.duplicate and repeat.lead_id == first.lead_id and repeat.owner == "ana"
    assert lifecycle.get_lead(engine, first.lead_id).touches == 2
    assert "notify:ana" in outbox_targets(engine, first.lead_id)
    # the rotation did not move: the next new lead goes to Ben
    assert intake.intake(engine, CONFIG, lead(2), source="generic", now=now).owner == "ben"


def test_a_repeat_after_the_duplicate_window_is_a_new_lead(engine, now):
    first = intake.intake(engine, CONFIG, lead(), source="generic", now=now)
    later = intake.intake(engine, CONFIG, lead(), source="generic", now=now + timedelta(days=31))
    assert later.lead_id != first.lead_id and not later.duplicate


def test_nurture_leads_are_stored_but_not_routed(engine, now):
    result = intake.intake(
        engine, CONFIG, Lead(email="a@tiny.io", employees=2), source="generic", now=now
    )
    assert result.state == "nurture" and result.owner is None
    assert outbox_targets(engine, result.lead_id) == []


def test_with_everyone_away_a_lead_goes_to_triage_and_the_triage_channel_hears(engine, now):
    for rep in CONFIG.reps:
        availability.set_away(engine, CONFIG, rep, now)
    result = intake.intake(engine, CONFIG, lead(), source="generic", now=now)

    assert result.state == "triage" and result.owner is None
    assert outbox_targets(engine, result.lead_id) == ["post_card:triage"]
    assert "Ana away" in result.reason and result.reason.endswith("triage queue")


def test_fifty_simultaneous_claims_have_exactly_one_winner(engine, now):
    config, threads = CONFIG, 50
    lead_id = intake.intake(engine, config, lead(), source="generic", now=now).lead_id
    with engine.begin() as conn:  # open it to the pool so every member may try
        conn.exec_driver_sql(f"UPDATE leads SET open_to_pool = true WHERE id = {lead_id}")
    claimers = ["ana", "ben", "chloe", "dev"] * (threads // 4 + 1)

    def try_claim(actor: str) -> str:
        try:
            lifecycle.claim(engine, config, lead_id, actor, now + timedelta(seconds=40))
            return "won"
        except Refused as refused:
            return refused.code

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = Counter(pool.map(try_claim, claimers[:threads]))

    assert results == {"won": 1, "already_claimed": threads - 1}
    assert events(engine, lead_id).count("claimed") == 1


def test_only_the_owner_may_claim_until_the_lead_is_opened_to_the_pool(engine, now):
    lead_id = intake.intake(engine, CONFIG, lead(), source="generic", now=now).lead_id
    with pytest.raises(Refused) as refused:
        lifecycle.claim(engine, CONFIG, lead_id, "ben", now)
    assert refused.value.code == "not_allowed"
    row = lifecycle.claim(engine, CONFIG, lead_id, "ana", now + timedelta(seconds=134))
    assert row.state == "claimed" and row.claimed_by == "ana" and row.escalate_at is None
    with pytest.raises(Refused) as again:
        lifecycle.claim(engine, CONFIG, lead_id, "ana", now + timedelta(seconds=140))
    assert again.value.code == "already_claimed"


def test_two_hundred_concurrent_leads_split_exactly_fifty_each(engine, now):
    with ThreadPoolExecutor(max_workers=16) as pool:
        owners = list(
            pool.map(
                lambda n: intake.intake(engine, CONFIG, lead(n), source="generic", now=now).owner,
                range(200),
            )
        )
    assert Counter(owners) == {"ana": 50, "ben": 50, "chloe": 50, "dev": 50}


def test_capacity_comes_from_open_leads_in_the_database(engine, now):
    config = team({"name: Ana, capacity: 100": "name: Ana, capacity: 1"})
    first = intake.intake(engine, config, lead(1), source="generic", now=now)
    assert first.owner == "ana"
    owners = [
        intake.intake(engine, config, lead(n), source="generic", now=now).owner for n in range(2, 6)
    ]
    assert "ana" not in owners
    assert "Ana at capacity 1/1" in lifecycle.get_lead(engine, 3).reason
    lifecycle.claim(engine, config, first.lead_id, "ana", now)
    lifecycle.set_outcome(engine, config, first.lead_id, "ana", LeadState.won, now)
    # her lead closed, so she has room again: one lead per round, no catch-up burst
    owners = [
        intake.intake(engine, config, lead(n), source="generic", now=now).owner
        for n in range(10, 14)
    ]
    assert Counter(owners) == {"ana": 1, "ben": 1, "chloe": 1, "dev": 1}


def test_not_mine_passes_the_lead_on_and_never_back(engine, now):
    lead_id = intake.intake(engine, CONFIG, lead(), source="generic", now=now).lead_id
    row = lifecycle.decline(engine, CONFIG, lead_id, "ana", "wrong territory", now)
    assert row.owner == "ben" and row.previous_owners == ["ana"]
    row = lifecycle.decline(engine, CONFIG, lead_id, "ben", "", now)
    row = lifecycle.decline(engine, CONFIG, lead_id, "chloe", "", now)
    row = lifecycle.decline(engine, CONFIG, lead_id, "dev", "", now)
    assert row.owner == "mia", "the whole pool declined, so the fallback pool takes it"
    assert events(engine, lead_id).count("declined") == 4


def test_reassign_moves_the_lead_and_records_who_and_why(engine, now):
    lead_id = intake.intake(engine, CONFIG, lead(), source="generic", now=now).lead_id
    row = lifecycle.reassign(engine, CONFIG, lead_id, "U0BOSS", "chloe", "speaks French", now)
    assert row.owner == "chloe" and row.state == "assigned"
    assert "speaks French" in row.reason
    with pytest.raises(Refused):
        lifecycle.reassign(engine, CONFIG, lead_id, "mia", "ben", "mine now", now)


def test_reassign_can_be_restricted_to_managers(engine, now):
    config = team({"managers: [U0BOSS]": "managers: [U0BOSS]\npermissions: {reassign: managers}"})
    lead_id = intake.intake(engine, config, lead(), source="generic", now=now).lead_id
    with pytest.raises(Refused) as refused:
        lifecycle.reassign(engine, config, lead_id, "ana", "ben", "busy", now)
    assert refused.value.reason == "managers_only"  # worded by bot.slack.wording


def test_going_away_passes_on_unclaimed_leads_but_keeps_claimed_ones(engine, now):
    a = intake.intake(engine, CONFIG, lead(1), source="generic", now=now).lead_id
    for n in range(2, 5):
        intake.intake(engine, CONFIG, lead(n), source="generic", now=now)
    b = intake.intake(engine, CONFIG, lead(5), source="generic", now=now).lead_id
    lifecycle.claim(engine, CONFIG, a, "ana", now)

    result = availability.set_away(engine, CONFIG, "ana", now, until=now + timedelta(hours=2))

    assert result.rerouted == [b]
    assert lifecycle.get_lead(engine, a).owner == "ana"
    moved = lifecycle.get_lead(engine, b)
    assert moved.owner != "ana" and "ana" in moved.previous_owners
    assert availability.end_due_away(engine, CONFIG, now + timedelta(hours=1)) == []
    assert availability.end_due_away(engine, CONFIG, now + timedelta(hours=2)) == ["ana"]


def test_contacted_then_outcome_closes_the_lead(engine, now):
    lead_id = intake.intake(engine, CONFIG, lead(), source="generic", now=now).lead_id
    with pytest.raises(Refused):
        lifecycle.mark_contacted(engine, CONFIG, lead_id, "ana", now)  # not claimed yet
    lifecycle.claim(engine, CONFIG, lead_id, "ana", now)
    lifecycle.mark_contacted(engine, CONFIG, lead_id, "ana", now + timedelta(minutes=3))
    row = lifecycle.set_outcome(engine, CONFIG, lead_id, "ana", LeadState.lost, now)
    assert row.state == "lost" and row.closed_at == now
    assert events(engine, lead_id) == ["received", "assigned", "claimed", "contacted", "outcome"]


def test_a_rule_can_give_its_leads_a_ladder_and_the_default_covers_the_rest(engine, now):
    config = team(
        {
            "  - name: Everyone else\n    pool: sales": (
                "  - name: VIP\n    when: {score: {gte: 90}}\n    rep: dev\n    escalation: fast"
                "\n  - name: Everyone else\n    pool: overflow"
            ),
            "escalation_policies:": "escalation: standard\nescalation_policies:\n  fast:\n"
            "    steps:\n      - {after: 1m, action: manager}",
        }
    )
    vip = intake.intake(engine, config, lead(1, score=95), source="generic", now=now)
    other = intake.intake(engine, config, lead(2), source="generic", now=now)
    assert lifecycle.get_lead(engine, vip.lead_id).escalate_at == now + timedelta(minutes=1)
    assert lifecycle.get_lead(engine, other.lead_id).escalate_at == now + timedelta(minutes=5)
