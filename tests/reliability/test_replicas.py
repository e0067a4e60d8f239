"""Two `leadrouter serve` replicas on one PostgreSQL: leads and clicks spread over both, one
claim winner, and every escalation step once even with both schedulers sweeping."""

from __future__ import annotations

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlmodel import Session, col, select

from bot.slack.ids import Action
from storage.models import Event, LeadRow
from tests.reliability.conftest import (
    PEOPLE,
    SALES,
    LeadPoster,
    Serve,
    Servers,
    card_lead,
    cards_posted,
    pending_outbox,
    slack_requests,
    texts_posted,
)
from tests.support.waiting import wait_until

ON_POSTGRES = pytest.mark.parametrize(
    "database", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
LEADS = 20  # their channel copies go at Slack's pace, one a second (bot.slack.pacing)
CLICKS = 50
LADDER_LEADS = 12


@ON_POSTGRES
def test_two_replicas_share_leads_claims_and_escalations(
    servers: Servers, db, poster: LeadPoster
) -> None:  # type: ignore[no-untyped-def]
    slack = servers.standin
    # Started together on an empty database, as a deploy would: both migrate it.
    worker = servers.serve("worker", start=False)
    web = servers.serve("web", scheduler=False, start=False)
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(Serve.start, [worker, web]))
    engine = db()
    dm = {rep: slack.dm_channel(user) for user, rep in PEOPLE.items()}

    # Webhooks over both replicas: one rotation, each card once (delivered by the worker).
    def send(n: int) -> int:
        server = (worker, web)[n % 2]
        body = {"email": f"buyer{n}@replica{n}.example", "company": f"Replica {n}", "employees": 50}
        response = poster.post(server.url, body, key=f"replica-{n}")
        assert response.status_code == 202, response.text
        return response.json()["lead_id"]

    with ThreadPoolExecutor(8) as pool:
        lead_ids = list(pool.map(send, range(LEADS)))
    wait_until(lambda: pending_outbox(engine) == 0, 60, "the worker to deliver every card")
    with Session(engine) as session:
        owners = Counter(row.owner for row in session.exec(select(LeadRow)).all())
    assert owners == {rep: LEADS // len(SALES) for rep in SALES}
    posted = cards_posted(slack)
    with Session(engine) as session:
        for row in session.exec(select(LeadRow)).all():
            assert posted[(row.id, dm[row.owner])] == 1 and posted[(row.id, "C0SALES")] == 1
    assert len(set(lead_ids)) == LEADS
    # The replacement of `web` (with the scheduler this time) boots while the claims race.
    booting = ThreadPoolExecutor(1)
    rebooted = booting.submit(servers.serve("web-scheduled", start=False).start)

    # 50 simultaneous Claim clicks on a triage card (any rep may claim it), over both replicas.
    body = {"email": "race@claims.example", "employees": 50}  # no company: no rule, triage
    race_id = poster.post(worker.url, body).json()["lead_id"]

    def triage_card():  # type: ignore[no-untyped-def]
        return next((m for m in slack.messages("C0TRIAGE") if card_lead(m.blocks) == race_id), None)

    card = wait_until(triage_card, 10, "the triage card")
    clients = [slack_requests(worker, slack), slack_requests(web, slack)]
    reps = [user for user, rep in PEOPLE.items() if rep != "boss"]
    start = threading.Barrier(CLICKS)

    def click(n: int) -> int:
        start.wait()
        return clients[n % 2].click(reps[n % len(reps)], card, Action.claim.value).status_code

    with ThreadPoolExecutor(CLICKS) as pool:
        assert set(pool.map(click, range(CLICKS))) == {200}
    wait_until(lambda: len(slack.responses()) >= CLICKS - 1, 20, "every loser to hear why")
    with Session(engine) as session:
        race = session.get(LeadRow, race_id)
        claims = session.exec(
            select(Event).where(Event.lead_id == race_id).where(Event.kind == "claimed")
        ).all()
    assert race is not None and race.state == "claimed"
    assert len(claims) == 1 and claims[0].actor == race.claimed_by
    told = [r.get("text", "") for r in slack.responses()]
    assert len(told) == CLICKS - 1
    assert all(text.startswith("Already claimed by") for text in told), Counter(told)

    # Both replicas run the scheduler now; unclaimed leads climb a 1s/3s/5s ladder.
    web.stop()
    web = rebooted.result()
    booting.shutdown()
    with ThreadPoolExecutor(4) as pool:
        ladder_ids = list(pool.map(_ladder_lead(poster, (worker, web)), range(LADDER_LEADS)))

    def climbed() -> bool:
        with Session(engine) as session:
            rows = session.exec(select(LeadRow).where(col(LeadRow.id).in_(ladder_ids))).all()
        return all(row.escalation_step == 3 for row in rows) and pending_outbox(engine) == 0

    wait_until(climbed, 40, "every ladder to reach its top and its messages to go out")
    with Session(engine) as session:
        events = session.exec(
            select(Event).where(col(Event.lead_id).in_(ladder_ids)).where(Event.kind == "escalated")
        ).all()
        rows = {row.id: row for row in session.exec(select(LeadRow)).all()}
    steps = Counter((e.lead_id, e.detail["step"], e.detail["action"]) for e in events)
    expected_steps = {(lead, step, action) for lead in ladder_ids for step, action in _LADDER}
    assert set(steps) == expected_steps and set(steps.values()) == {1}, steps

    reminders = texts_posted(slack, "⏰ Reminder:")
    posted = cards_posted(slack)
    for lead_id in ladder_ids:
        row = rows[lead_id]
        first_owner = next(
            e.detail["owner"] for e in events if e.lead_id == lead_id and e.detail["step"] == 0
        )
        assert row.state == "assigned" and row.owner != first_owner
        assert row.previous_owners == [first_owner]
        title = f"{row.email} — {row.company}"
        for owner in (first_owner, row.owner):  # reminded before and after the pass, once each
            mine = {text: n for (channel, text), n in reminders.items() if channel == dm[owner]}
            assert [n for text, n in mine.items() if title in text] == [1], (lead_id, owner, mine)
        # the new owner got the card once; the channel still has its one copy
        assert posted[(lead_id, dm[row.owner])] == 1 and posted[(lead_id, "C0LADDER")] == 1
    # each step counted once, by whichever replica took it
    taken = Counter(action for _lead, _step, action in steps)
    assert _escalations(worker) + _escalations(web) == taken
    assert worker.errors() == [] and web.errors() == []


def _escalations(server: Serve) -> Counter[str]:
    """leadrouter_escalations_total by action, from the server's /metrics."""
    found: Counter[str] = Counter()
    for line in httpx.get(f"{server.url}/metrics", timeout=10).text.splitlines():
        match = re.match(r'leadrouter_escalations_total\{action="(\w+)"\} ([0-9.]+)', line)
        if match:
            found[match[1]] += int(float(match[2]))
    return found


_LADDER = [(0, "remind"), (1, "pass"), (2, "remind")]


def _ladder_lead(poster: LeadPoster, replicas: tuple[Serve, Serve]):  # type: ignore[no-untyped-def]
    def send(n: int) -> int:
        body = {"email": f"slow{n}@ladder{n}.example", "company": f"Ladder {n}", "employees": 50}
        response = poster.post(replicas[n % 2].url, body)
        assert response.status_code == 202, response.text
        return response.json()["lead_id"]

    return send
