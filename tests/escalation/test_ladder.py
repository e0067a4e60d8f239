"""The escalation ladder, step by step, as a clock moves (SQLite, and PostgreSQL when set)."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from storage import availability, escalation, intake, lifecycle
from storage.lifecycle import Refused
from storage.models import Availability, Event, LeadRow, Responsiveness
from tests.escalation.ladder import (
    config,
    escalations,
    last_outbox_id,
    lead,
    outbox_since,
)

CONFIG = config()
MINUTE = timedelta(minutes=1)


def assign(engine, now, n=1, cfg=CONFIG):  # type: ignore[no-untyped-def]
    return intake.intake(engine, cfg, lead(n), source="generic", now=now).lead_id


def test_each_step_fires_in_turn_as_the_clock_moves(engine, now):
    lead_id = assign(engine, now)
    assert lifecycle.get_lead(engine, lead_id).owner == "ana"
    mark = last_outbox_id(engine)

    assert escalation.sweep(engine, CONFIG, now + 5 * MINUTE - timedelta(seconds=1)) == []

    # 1. remind: a DM to the owner; every copy of the card is updated (it shows time left)
    [step] = escalation.sweep(engine, CONFIG, now + 5 * MINUTE)
    assert (step.action, step.owner) == ("remind", "ana")
    assert escalations(engine, lead_id) == [("remind", "reminder sent")]
    assert outbox_since(engine, mark) == ["notify:ana:remind", "update_cards"]
    mark = last_outbox_id(engine)

    # 2. pass: Ben gets the lead and its card; the old cards say why it moved
    [step] = escalation.sweep(engine, CONFIG, now + 10 * MINUTE)
    assert (step.action, step.owner) == ("pass", "ana")
    row = lifecycle.get_lead(engine, lead_id)
    assert (row.state, row.owner, row.previous_owners) == ("assigned", "ben", ["ana"])
    assert escalations(engine, lead_id)[-1] == ("pass", "Ana did not claim it in time")
    # the channel's copy from intake has not gone out yet: it will show Ben, so no second post
    assert outbox_since(engine, mark) == ["update_cards", "post_card:dm:ben"]
    assert row.escalate_at == now + 15 * MINUTE, "the ladder keeps its clock after a pass"
    mark = last_outbox_id(engine)

    # 3. open to the pool: the pool channel hears it, the card becomes claimable by anyone
    [step] = escalation.sweep(engine, CONFIG, now + 15 * MINUTE)
    assert step.action == "open_to_pool"
    assert lifecycle.get_lead(engine, lead_id).open_to_pool
    assert escalations(engine, lead_id)[-1] == (
        "open_to_pool",
        "opened to the whole pool: first to claim takes it",
    )
    assert outbox_since(engine, mark) == ["alert:channel:C0SALES", "update_cards"]
    mark = last_outbox_id(engine)

    # 4. manager: the pool's manager gets the card (with its Reassign button) in a DM
    [step] = escalation.sweep(engine, CONFIG, now + 20 * MINUTE)
    assert step.action == "manager"
    assert escalations(engine, lead_id)[-1] == ("manager", "manager asked to step in")
    assert outbox_since(engine, mark) == ["post_card:person:U0BOSS", "update_cards"]
    mark = last_outbox_id(engine)

    # 5. leadership: the card goes to the leadership channel; the ladder is done
    assert escalation.sweep(engine, CONFIG, now + 30 * MINUTE - timedelta(seconds=1)) == []
    [step] = escalation.sweep(engine, CONFIG, now + 30 * MINUTE)
    assert step.action == "leadership"
    assert escalations(engine, lead_id)[-1] == ("leadership", "leadership alerted")
    assert outbox_since(engine, mark) == ["post_card:channel:C0LEADS", "update_cards"]
    assert lifecycle.get_lead(engine, lead_id).escalate_at is None
    assert escalation.sweep(engine, CONFIG, now + timedelta(days=3)) == []


def test_a_claim_stops_the_ladder_at_once(engine, now):
    lead_id = assign(engine, now)
    escalation.sweep(engine, CONFIG, now + 5 * MINUTE)
    lifecycle.claim(engine, CONFIG, lead_id, "ana", now + 7 * MINUTE)
    mark = last_outbox_id(engine)

    assert escalation.sweep(engine, CONFIG, now + timedelta(hours=5)) == []
    assert escalations(engine, lead_id) == [("remind", "reminder sent")]
    assert outbox_since(engine, mark) == []
    assert lifecycle.get_lead(engine, lead_id).owner == "ana"


def test_passes_never_return_to_a_previous_owner_and_end_in_triage(engine, now):
    walker = config(
        {
            "      - {after: 15m, action: open_to_pool}\n": "      - {after: 15m, action: pass}\n",
            "      - {after: 20m, action: manager}\n": "      - {after: 20m, action: pass}\n",
        }
    )
    lead_id = assign(engine, now, cfg=walker)
    owners = []
    for minutes in (10, 15, 20):
        escalation.sweep(engine, walker, now + minutes * MINUTE)
        owners.append(lifecycle.get_lead(engine, lead_id).owner)

    assert owners == ["ben", "chloe", None]
    row = lifecycle.get_lead(engine, lead_id)
    assert row.state == "triage" and row.previous_owners == ["ana", "ben", "chloe"]
    assert row.escalate_at is None, "a lead in triage climbs no further"
    assert [action for action, _ in escalations(engine, lead_id)] == [
        "remind",
        "pass",
        "pass",
        "pass",
    ]
    assert "post_card:triage" in outbox_since(engine)
    assert escalation.sweep(engine, walker, now + timedelta(hours=2)) == []


def test_an_open_lead_is_claimed_by_exactly_one_of_many_pool_members(engine, now):
    lead_id = assign(engine, now)
    with pytest.raises(Refused) as early:
        lifecycle.claim(engine, CONFIG, lead_id, "chloe", now + 14 * MINUTE)
    assert early.value.code == "not_allowed", "before the step, only the owner may claim"
    escalation.sweep(engine, CONFIG, now + 15 * MINUTE)  # remind, pass to Ben, open to pool

    with pytest.raises(Refused) as outsider:
        lifecycle.claim(engine, CONFIG, lead_id, "mia", now + 16 * MINUTE)
    assert outsider.value.code == "not_allowed", "Mia is not in the pool"

    def try_claim(actor: str) -> str:
        try:
            lifecycle.claim(engine, CONFIG, lead_id, actor, now + 16 * MINUTE)
            return "won"
        except Refused as refused:
            return refused.code

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = Counter(pool.map(try_claim, ["ana", "ben", "chloe"] * 8))

    assert results == {"won": 1, "already_claimed": 23}
    row = lifecycle.get_lead(engine, lead_id)
    assert row.state == "claimed" and row.owner in {"ana", "ben", "chloe"}
    assert not row.open_to_pool and row.escalate_at is None
    assert escalation.sweep(engine, CONFIG, now + timedelta(hours=1)) == []


def test_editing_the_config_after_assignment_does_not_change_a_leads_ladder(engine, now):
    old_lead = assign(engine, now)
    edited = config(
        {
            "escalation: full": "escalation: fast",
            "escalation_policies:\n": "escalation_policies:\n"
            "  fast:\n    steps:\n      - {after: 1m, action: manager}\n",
        }
    )
    new_lead = assign(engine, now, n=2, cfg=edited)

    taken = escalation.sweep(engine, edited, now + 2 * MINUTE)
    assert [(s.lead_id, s.action) for s in taken] == [(new_lead, "manager")]
    escalation.sweep(engine, edited, now + 11 * MINUTE)  # old lead: remind, then pass
    assert [a for a, _ in escalations(engine, old_lead)] == ["remind", "pass"]
    row = lifecycle.get_lead(engine, old_lead)
    assert [s["action"] for s in row.escalation] == [
        "remind",
        "pass",
        "open_to_pool",
        "manager",
        "leadership",
    ], "the pass re-routed the lead under the new config but kept the ladder it started with"
    assert row.escalate_at == now + 15 * MINUTE
    escalation.sweep(engine, edited, now + timedelta(hours=1))
    assert [a for a, _ in escalations(engine, old_lead)][2:] == [
        "open_to_pool",
        "manager",
        "leadership",
    ]


def test_a_restart_takes_every_overdue_step_exactly_once_in_order(engine, now):
    lead_id = assign(engine, now)
    mark = last_outbox_id(engine)

    taken = escalation.sweep(engine, CONFIG, now + timedelta(hours=3))  # down for three hours

    assert [(s.action, s.owner) for s in taken] == [
        ("remind", "ana"),
        ("pass", "ana"),
        ("open_to_pool", "ben"),
        ("manager", "ben"),
        ("leadership", "ben"),
    ]
    assert [a for a, _ in escalations(engine, lead_id)] == [s.action for s in taken]
    assert outbox_since(engine, mark) == [
        "notify:ana:remind",
        "update_cards",  # one card update for the whole catch-up
        "post_card:dm:ben",  # the channel's first copy still waits: no second one
        "alert:channel:C0SALES",
        "post_card:person:U0BOSS",
        "post_card:channel:C0LEADS",
    ]
    with Session(engine) as session:
        dues = [
            e.detail["due"]
            for e in session.exec(select(Event).where(Event.kind == "escalated")).all()
        ]
    assert dues == [(now + m * MINUTE).isoformat() for m in (5, 10, 15, 20, 30)]
    assert escalation.sweep(engine, CONFIG, now + timedelta(hours=3)) == []
    assert escalation.sweep(engine, CONFIG, now + timedelta(hours=9)) == []


def test_sweeping_twice_at_the_same_time_does_nothing_the_second_time(engine, now):
    ids = [assign(engine, now, n) for n in range(1, 4)]
    first = escalation.sweep(engine, CONFIG, now + 5 * MINUTE)
    mark = last_outbox_id(engine)

    assert sorted(s.lead_id for s in first) == ids
    assert escalation.sweep(engine, CONFIG, now + 5 * MINUTE) == []
    assert outbox_since(engine, mark) == []
    assert all(escalations(engine, i) == [("remind", "reminder sent")] for i in ids)


def test_a_lead_that_cannot_climb_does_not_stop_the_others(engine, now):
    broken, fine = assign(engine, now, 1), assign(engine, now, 2)
    with Session(engine) as session:  # as if stored by a version with a field we no longer know
        row = session.get(LeadRow, broken)
        assert row is not None
        row.data = {**row.data, "no_such_field": 1}
        session.add(row)
        session.commit()

    taken = escalation.sweep(engine, CONFIG, now + 10 * MINUTE)

    assert [(s.lead_id, s.action) for s in taken] == [
        (broken, "remind"),
        (fine, "remind"),
        (fine, "pass"),
    ]
    # the broken lead's pass rolled back alone: nothing half-done shows, and it stays due
    assert escalations(engine, broken) == [("remind", "reminder sent")]
    row = lifecycle.get_lead(engine, broken)
    assert (row.owner, row.escalate_at) == ("ana", now + 10 * MINUTE)
    assert lifecycle.get_lead(engine, fine).owner == "chloe"


# ------------------------------------------------------------------ slow responders

SLOW = config(
    {
        "escalation_policies:": "slow_responders: {missed_in_a_row: 2}\nescalation_policies:",
    }
)


def give_to_ana(engine, cfg, now, n):  # type: ignore[no-untyped-def]
    lead_id = assign(engine, now, n, cfg)
    if lifecycle.get_lead(engine, lead_id).owner != "ana":
        lifecycle.reassign(engine, cfg, lead_id, "U0BOSS", "ana", "her account", now)
    return lead_id


def away(engine) -> dict[str, Availability]:  # type: ignore[no-untyped-def]
    return availability.away_status(engine)


def streak(engine, rep: str) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        record = session.get(Responsiveness, rep)
        return record.missed_in_a_row if record else 0


def test_a_rep_who_misses_n_slas_in_a_row_is_set_away_and_told_why(engine, now):
    give_to_ana(engine, SLOW, now, 1)
    escalation.sweep(engine, SLOW, now + 10 * MINUTE)
    assert streak(engine, "ana") == 1 and "ana" not in away(engine)

    waiting = give_to_ana(engine, SLOW, now + 11 * MINUTE, 2)  # she will not get to this one
    give_to_ana(engine, SLOW, now + 12 * MINUTE, 3)
    mark = last_outbox_id(engine)
    escalation.sweep(engine, SLOW, now + 21 * MINUTE)  # the second miss in a row

    status = away(engine)
    assert "ana" in status and status["ana"].note == "missed 2 lead SLAs in a row"
    assert status["ana"].until is None, "away until she says /back"
    assert "notify:ana:slow_responder" in outbox_since(engine, mark)
    assert lifecycle.get_lead(engine, waiting).owner != "ana", "her other leads moved on"
    with Session(engine) as session:
        [event] = session.exec(select(Event).where(Event.kind == "away")).all()
    assert event.reason == "missed 2 lead SLAs in a row" and event.detail["rep"] == "ana"


def test_a_claim_resets_the_missed_sla_streak(engine, now):
    give_to_ana(engine, SLOW, now, 1)
    escalation.sweep(engine, SLOW, now + 10 * MINUTE)
    claimed = give_to_ana(engine, SLOW, now + 11 * MINUTE, 2)
    lifecycle.claim(engine, SLOW, claimed, "ana", now + 12 * MINUTE)
    assert streak(engine, "ana") == 0

    give_to_ana(engine, SLOW, now + 13 * MINUTE, 3)
    escalation.sweep(engine, SLOW, now + 23 * MINUTE)

    assert streak(engine, "ana") == 1 and "ana" not in away(engine)


def test_slow_responders_are_never_set_away_unless_configured(engine, now):
    assert CONFIG.slow_responders.missed_in_a_row == 0
    for n in range(1, 5):
        give_to_ana(engine, CONFIG, now + n * 20 * MINUTE, n)
        escalation.sweep(engine, CONFIG, now + (n * 20 + 10) * MINUTE)

    assert streak(engine, "ana") == 4, "misses are counted ..."
    assert "ana" not in away(engine), "... but nobody is set away"


def test_two_misses_by_one_rep_in_one_sweep_count_twice(engine, now):
    give_to_ana(engine, CONFIG, now, 1)
    give_to_ana(engine, CONFIG, now + MINUTE, 2)

    taken = escalation.sweep(engine, CONFIG, now + 11 * MINUTE)

    assert [s.action for s in taken] == ["remind", "pass", "remind", "pass"]
    assert streak(engine, "ana") == 2


def test_a_lead_moved_on_because_its_owner_went_away_restarts_its_ladder(engine, now):
    first = give_to_ana(engine, SLOW, now, 1)
    escalation.sweep(engine, SLOW, now + 10 * MINUTE)  # her first miss
    taker = lifecycle.get_lead(engine, first).owner
    lifecycle.claim(engine, SLOW, first, taker, now + 10 * MINUTE)
    passing = give_to_ana(engine, SLOW, now + 11 * MINUTE, 2)  # reminded at 16, passed at 21
    reminded = give_to_ana(engine, SLOW, now + 15 * MINUTE, 3)  # reminded at 20
    escalation.sweep(engine, SLOW, now + 16 * MINUTE)

    taken = escalation.sweep(engine, SLOW, now + 21 * MINUTE)

    assert [(s.lead_id, s.action) for s in taken] == [
        (reminded, "remind"),
        (passing, "pass"),  # her second miss: she is set away and her leads move on
    ]
    row = lifecycle.get_lead(engine, reminded)
    assert row.owner not in (None, "ana")
    assert (row.escalation_step, row.escalate_at) == (0, now + 26 * MINUTE), (
        "the new owner gets the whole ladder, not the rest of Ana's"
    )
