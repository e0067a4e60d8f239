"""Several processes sweeping one PostgreSQL: every step exactly once, nothing sent twice."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session, select

from bench.sweep_bench import LADDER, build_config, insert_leads, overdue_rows
from storage import escalation
from storage.models import Assignment, Event, LeadRow, OutboxMessage
from tests.conftest import TEST_DATABASE_URL

pytestmark = pytest.mark.postgres

LEADS = 400
REPS = 8
ROOT = Path(__file__).resolve().parents[2]


def test_two_processes_take_every_step_of_400_leads_exactly_once(pg_schema, now, tmp_path):
    assert TEST_DATABASE_URL
    engine = pg_schema.engine()
    config = build_config(REPS)
    insert_leads(engine, overdue_rows(LEADS, now, list(config.pools["sales"].members)))
    go = tmp_path / "go"
    arguments = [pg_schema.url, pg_schema.name, now.isoformat(), str(REPS), str(go)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.escalation.sweeper", *arguments],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    go.touch()
    outputs = [worker.communicate(timeout=120) for worker in workers]

    for worker, (_, err) in zip(workers, outputs, strict=True):
        assert worker.returncode == 0, err
    taken = [int(out) for out, _ in outputs]
    steps = len(LADDER)
    assert sum(taken) == LEADS * steps
    assert all(n > 0 for n in taken), f"both processes should have worked: {taken}"

    with Session(engine) as session:
        events = session.exec(select(Event).where(Event.kind == "escalated")).all()
        by_step = Counter((e.lead_id, e.detail["step"]) for e in events)
        assert len(by_step) == LEADS * steps and set(by_step.values()) == {1}
        messages = session.exec(select(OutboxMessage)).all()
        copies = Counter(
            (m.lead_id, m.kind, m.target, json.dumps(m.payload, sort_keys=True)) for m in messages
        )
        assert [key for key, n in copies.items() if n > 1] == []
        assert len(messages) == LEADS * 7  # remind, card update, 2 for the new owner, 3 more
        assert len(session.exec(select(Assignment)).all()) == LEADS, "one pass per lead"
        leads = session.exec(select(LeadRow)).all()
        assert {(lead.escalation_step, lead.escalate_at) for lead in leads} == {(steps, None)}
        assert all(len(lead.previous_owners) == 1 for lead in leads)
    assert escalation.sweep(engine, config, now) == []
    engine.dispose()


def waiting_for_advisory_lock(conn, application_name: str) -> bool:  # type: ignore[no-untyped-def]
    waiting = conn.execute(
        text(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
            "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
        ),
        {"name": application_name},
    ).scalar_one()
    conn.commit()  # pg_stat_activity is a snapshot per transaction
    return waiting > 0


def test_a_sweep_waiting_for_the_routing_lock_holds_no_lead(pg_schema, now):
    """Intake, /away and 'not mine' take the routing lock, then lock leads. A sweep that locked
    leads first and then waited for the routing lock (at a pass) could deadlock with them."""
    engine = pg_schema.engine()
    config = build_config(REPS)
    insert_leads(engine, overdue_rows(5, now, list(config.pools["sales"].members)))
    name = f"sweep-{pg_schema.name}"
    sweeper = pg_schema.engine(name)
    result: list[object] = []

    with engine.connect() as holder, engine.connect() as other:
        holder.execute(text("SELECT pg_advisory_xact_lock(7436501)"))  # as an /away would
        thread = threading.Thread(
            target=lambda: result.append(escalation.sweep(sweeper, config, now))
        )
        thread.start()
        deadline = time.monotonic() + 10
        while not waiting_for_advisory_lock(other, name):
            assert time.monotonic() < deadline, "the sweep never waited for the routing lock"
            time.sleep(0.02)

        # while it waits, the holder can still lock every lead (it would need them to re-route)
        locked = holder.execute(text("SELECT id FROM leads FOR UPDATE NOWAIT")).all()
        assert len(locked) == 5
        holder.rollback()
        thread.join(timeout=30)

    [taken] = result
    assert isinstance(taken, list) and len(taken) == 5 * len(LADDER)
    sweeper.dispose()
    engine.dispose()
