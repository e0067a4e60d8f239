"""kill -9 in the middle of a burst of leads, restart on the same database: every lead that got
a 202 is stored, routed and carded; a lead whose request failed is absent, or present once, and
its retried delivery (same Idempotency-Key) never makes a second one.

Cards are posted once, even the one a process had in flight when it died (Slack took it, the
process never recorded it): the restarted delivery finds it in the conversation by its metadata
(bot.slack.post_once) instead of posting it again. The second test pins that case exactly."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlmodel import Session, select

from bot.slack.delivery import FLOOD
from bot.slack.pacing import PER_CHANNEL
from storage.models import (
    Assignment,
    IdempotencyKey,
    LeadRow,
    OutboxMessage,
    SlackMessage,
)
from tests.reliability.conftest import (
    PEOPLE,
    LeadPoster,
    Servers,
    cards_posted,
    pending_described,
    pending_outbox,
)
from tests.support.waiting import wait_until

BURST = 300
THREADS = 6
KILL_AFTER = 100  # accepted leads before the kill
ROUTED = {"assigned", "triage", "nurture"}


def lead(n: int) -> dict[str, object]:
    # every fifth is tiny (nurture), every seventh has no company (triage), the rest round robin
    body: dict[str, object] = {"email": f"buyer{n}@crash{n}.example", "employees": 50}
    if n % 7:
        body["company"] = f"Crash {n} Ltd"
    if n % 5 == 0:
        body["employees"] = 2
    return body


def test_a_server_killed_mid_burst_keeps_every_accepted_lead_and_posts_each_card_once(
    servers: Servers, db, poster: LeadPoster
) -> None:  # type: ignore[no-untyped-def]
    first = servers.serve("first")
    outcome: dict[int, str] = {}  # accepted (202), refused (no connection), cut (no answer)
    accepted = threading.Event()
    lock = threading.Lock()

    def send(n: int) -> None:
        try:
            response = poster.post(first.url, lead(n), key=f"crash-{n}")
        except httpx.ConnectError:
            result = "refused"
        except httpx.TransportError:
            result = "cut"
        else:
            assert response.status_code == 202, response.text
            result = "accepted"
        with lock:
            outcome[n] = result
            if sum(r == "accepted" for r in outcome.values()) >= KILL_AFTER:
                accepted.set()

    killer = threading.Thread(target=lambda: (accepted.wait(60), first.kill()), daemon=True)
    killer.start()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(send, range(BURST)))
    killer.join()

    counts = Counter(outcome.values())
    assert counts["accepted"] >= KILL_AFTER and counts["refused"] > 0, counts
    engine = db()
    with Session(engine) as session:
        stored = {row.email: row for row in session.exec(select(LeadRow)).all()}
    for n, result in outcome.items():
        if result == "accepted":  # a 202 means committed: the kill cannot take it back
            assert lead(n)["email"] in stored, n
        if result == "refused":  # never reached the server
            assert lead(n)["email"] not in stored, n
    assert sum(lead(n)["email"] in stored for n, r in outcome.items() if r == "cut") <= THREADS

    # Messages the dead process had leased come back when their lease runs out
    # (bot.slack.delivery.LEASE, 10 s: the heartbeat that renewed them died with it).
    second = servers.serve("second")
    failed = [n for n, result in outcome.items() if result != "accepted"]

    def retry(n: int) -> bool:  # the form provider retries a failed delivery with its key
        response = poster.post(second.url, lead(n), key=f"crash-{n}")
        assert response.status_code == 202, response.text
        return response.headers.get("Idempotent-Replay") == "true"

    with ThreadPoolExecutor(THREADS) as pool:
        replays = sum(pool.map(retry, failed))
    assert replays == sum(lead(n)["email"] in stored for n in failed)

    # up to FLOOD channel copies may wait for C0SALES (more are summarised), and Slack takes
    # them at one a second (PER_CHANNEL): about a minute and a bit, plus the lease
    drain = FLOOD / PER_CHANNEL + 30
    try:
        wait_until(lambda: pending_outbox(engine) == 0, drain, "the outbox to drain after restart")
    except AssertionError as gave_up:
        raise AssertionError(
            f"{gave_up}\n{pending_described(engine)}\n{second.log()[-3000:]}"
        ) from None

    with Session(engine) as session:
        leads = session.exec(select(LeadRow)).all()
        routed = Counter(a.lead_id for a in session.exec(select(Assignment)).all())
        copies = Counter((c.lead_id, c.kind) for c in session.exec(select(SlackMessage)).all())
        keys = session.exec(select(IdempotencyKey)).all()
        dead = session.exec(select(OutboxMessage).where(OutboxMessage.status == "dead")).all()
        summarised = {  # a flooded channel gets a summary instead (bot.slack.delivery)
            m.lead_id
            for m in session.exec(select(OutboxMessage)).all()
            if (m.last_error or "").startswith("summarised")
        }
    assert dead == []
    assert Counter(row.email for row in leads) == Counter(lead(n)["email"] for n in range(BURST))
    assert len(keys) == BURST
    by_id = {row.id: row for row in leads}
    for row in leads:
        assert row.state in ROUTED, (row.id, row.state)
        assert routed[row.id] == 1, row.id
    posted = cards_posted(servers.standin)
    dm_channels = {rep: servers.standin.dm_channel(user) for user, rep in PEOPLE.items()}
    doubled = []
    for row in leads:
        expected, kinds = {}, {}
        if row.state == "assigned" and row.id in summarised:
            expected, kinds = {dm_channels[row.owner]: 1}, {"dm": 1}
        elif row.state == "assigned":
            expected = {dm_channels[row.owner]: 1, "C0SALES": 1}
            kinds = {"dm": 1, "channel": 1}
        elif row.state == "triage":
            expected, kinds = {"C0TRIAGE": 1}, {"triage": 1}
        got = {channel: count for (lead_id, channel), count in posted.items() if lead_id == row.id}
        assert got.keys() == expected.keys(), (row.id, row.state, got)
        doubled += [(row.id, channel) for channel, count in got.items() if count > 1]
        recorded = {kind: n for (lead_id, kind), n in copies.items() if lead_id == row.id}
        assert recorded == kinds, (row.id, row.state, recorded)
    assert {lead_id for lead_id, _channel in posted} <= set(by_id)
    # Exactly once, even for the posts the dead process had in flight: Slack took them and the
    # process died before recording them; the second server looks for them before posting.
    assert doubled == []
    assert second.errors() == []


def test_a_card_in_flight_when_the_server_dies_is_not_posted_twice(
    servers: Servers, db, poster: LeadPoster
) -> None:  # type: ignore[no-untyped-def]
    slack = servers.standin
    slack.slow("chat.postMessage", 2.0, channel="C0SALES")  # Slack is slow, then takes the post
    first = servers.serve("first")
    body = {"email": "kim@inflight.example", "company": "Inflight Ltd", "employees": 50}
    lead_id = poster.post(first.url, body, key="inflight").json()["lead_id"]
    wait_until(lambda: not slack.faults.pending(), 10, "the channel post to reach Slack")
    first.kill()  # while Slack is still working on the post
    wait_until(lambda: cards_posted(slack)[(lead_id, "C0SALES")], 10, "Slack to finish the post")

    engine = db()
    assert pending_outbox(engine) >= 1  # the post is still leased to the dead process
    servers.serve("second")
    # taken over when the dead process's lease runs out (10 s), not minutes later
    wait_until(lambda: pending_outbox(engine) == 0, 20, "the outbox to drain after the restart")

    assert cards_posted(slack)[(lead_id, "C0SALES")] == 1
