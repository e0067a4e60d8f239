"""Intake's fast path writes the rows the rest of the lifecycle expects, and a delivery sent
many times at once still makes one lead."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlmodel import Session, col, select

from routing import Lead
from storage import intake
from storage.models import Assignment, Event, IdempotencyKey, LeadRow, OutboxMessage, Rotation
from tests.support.team import team

CONFIG = team()


def test_a_new_lead_gets_its_events_trace_cards_rotation_and_delivery_record(engine, now):
    person = Lead(email="a@ex.com", company="Ex")
    result = intake.intake(
        engine, CONFIG, person, source="typeform", now=now, idempotency_key="evt-9"
    )

    with Session(engine) as session:
        lead = session.get(LeadRow, result.lead_id)
        assert lead is not None
        assert (lead.state, lead.owner, lead.pool, lead.rule) == (
            "assigned", "ana", "sales", "Everyone else",
        )  # fmt: skip
        assert lead.created_at == lead.assigned_at == now and lead.touches == 1
        assert Lead.model_validate(lead.data) == person and lead.email == "a@ex.com"
        assert [s["action"] for s in lead.escalation] == ["remind", "pass"]
        events = session.exec(select(Event).order_by(col(Event.id))).all()
        assert [
            (e.kind, e.actor, e.from_state, e.to_state, e.owner, e.pool, e.reason, e.detail)
            for e in events
        ] == [
            ("received", "leadrouter", "triage", "triage", None, None, "from typeform", {}),
            (
                "assigned", "leadrouter", "triage", "assigned", "ana", "sales", result.reason,
                {"via": "intake"},
            ),
        ]  # fmt: skip
        messages = session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))).all()
        assert [(m.kind, m.target, m.status, m.attempts, m.next_attempt_at) for m in messages] == [
            ("post_card", "dm:ana", "pending", 0, now),
            ("post_card", "channel:C0SALES", "pending", 0, now),
        ]
        trace = session.exec(select(Assignment)).one()
        assert (trace.lead_id, trace.kind, trace.outcome, trace.owner) == (
            result.lead_id, "intake", "assigned", "ana",
        )  # fmt: skip
        assert session.get(Rotation, "sales") is not None
        key = session.get(IdempotencyKey, "typeform:evt-9")
        assert key is not None and key.lead_id == result.lead_id
        assert intake.IntakeResult(**key.response) == result


def test_a_repeat_touch_writes_its_event_and_notifications(engine, now):
    first = intake.intake(engine, CONFIG, Lead(email="a@ex.com"), source="generic", now=now)
    later = now + timedelta(minutes=3)
    intake.intake(
        engine, CONFIG, Lead(email="a@ex.com", message="hi again"), source="generic", now=later,
        idempotency_key="k2",
    )  # fmt: skip

    with Session(engine) as session:
        touch = session.exec(select(Event).where(Event.kind == "repeat_touch")).one()
        assert (touch.lead_id, touch.from_state, touch.to_state, touch.owner) == (
            first.lead_id, "assigned", "assigned", "ana",
        )  # fmt: skip
        assert touch.detail["lead"]["message"] == "hi again"
        notify = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "notify")).one()
        assert notify.target == "ana" and notify.payload["message"] == "hi again"
        key = session.get(IdempotencyKey, "generic:k2")
        assert key is not None and key.response["duplicate"] is True


@pytest.mark.parametrize("same_body", [True, False], ids=["same body", "body changed"])
def test_one_delivery_sent_twelve_times_at_once_makes_one_lead(engine, now, same_body):
    # (with the same body the later copies meet an open lead of the same person; with a body
    # that changed they try to insert a second lead and lose on the key)
    def deliver(n: int) -> intake.IntakeResult:
        person = Lead(email="same@ex.com" if same_body else f"v{n}@ex.com")
        return intake.intake(
            engine, CONFIG, person, source="typeform", now=now, idempotency_key="evt-same"
        )

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(deliver, range(12)))

    assert len({r.lead_id for r in results}) == 1
    assert sum(not r.replayed for r in results) == 1
    assert len({repr(r.response()) for r in results}) == 1
    with Session(engine) as session:
        assert len(session.exec(select(LeadRow)).all()) == 1
