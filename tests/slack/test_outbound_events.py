"""Signed outbound webhooks: each subscribed event once, in order, signed as documented;
retried when the receiver fails, given up when it refuses."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import Session, select

from bot.jobs.scheduler import feed_events
from routing.loader import parse_config
from storage import lifecycle
from storage.models import OutboxMessage
from tests.support.slack_bot import make_bot
from tests.support.team import TEAM_YAML

SECRET = "zapier-signing-secret-for-tests"


class Receiver:
    """A local HTTP endpoint that records what it is sent and answers `statuses` in turn."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(body) for _headers, body in self.received]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.shutdown()


@pytest.fixture
def hooked_bot(standin, tmp_path, now, receiver, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ZAPIER_SECRET", SECRET)
    subscription = (
        f"events:\n  zapier: {{url: '{receiver.url}', secret_env: ZAPIER_SECRET, "
        "events: [lead.received, lead.assigned, lead.claimed]}\n"
    )
    bot = make_bot(standin, tmp_path, now, parse_config(TEAM_YAML + subscription, "team.yml"))
    yield bot
    bot.server.close()


def settle(bot) -> None:  # type: ignore[no-untyped-def]
    """The event feed reads events a few seconds old, then the outbox delivers them."""
    bot.clock.current += timedelta(seconds=5)
    feed_events(bot.runtime)  # the cursor starts at the current end of the log
    bot.deliver()


def test_each_subscribed_event_is_sent_once_in_order_and_signed(hooked_bot, receiver):
    bot = hooked_bot
    feed_events(bot.runtime)  # a new subscription starts here
    lead_id = bot.post_lead(email="kim@acme.io", company="Acme")["lead_id"]
    lifecycle.claim(bot.engine, bot.config, lead_id, "ana", bot.clock())
    settle(bot)
    settle(bot)  # a second pass sends nothing again

    assert [e["type"] for e in receiver.events()] == [
        "lead.received",
        "lead.assigned",
        "lead.claimed",
    ]
    claimed = receiver.events()[-1]
    assert claimed["lead"]["id"] == lead_id and claimed["lead"]["owner"] == "ana"
    assert claimed["lead"]["email"] == "kim@acme.io" and claimed["actor"] == "ana"
    for headers, body in receiver.received:
        timestamp = headers["X-Leadrouter-Timestamp"]
        digest = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
        assert headers["X-Leadrouter-Signature"] == f"v1={digest.hexdigest()}"
        assert headers["X-Leadrouter-Event"] == json.loads(body)["type"]


def test_a_failing_receiver_is_retried_with_the_same_delivery_id(hooked_bot, receiver):
    bot = hooked_bot
    feed_events(bot.runtime)
    receiver.statuses = [503, 503]
    bot.post_lead(email="kim@acme.io", company="Acme")
    settle(bot)
    for _ in range(3):
        bot.clock.current += timedelta(minutes=1)
        bot.deliver()
    received = [e["type"] for e in receiver.events()]
    assert received.count("lead.received") >= 2 and received.count("lead.assigned") >= 1
    deliveries = {
        h["X-Leadrouter-Delivery"]
        for h, b in receiver.received
        if json.loads(b)["type"] == "lead.received"
    }
    assert len(deliveries) == 1, "a retry carries the same delivery id, for the receiver to dedupe"
    with Session(bot.engine) as session:
        hooks = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "webhook")).all()
    assert {m.status for m in hooks} == {"sent"}


def test_a_receiver_that_refuses_gives_the_event_up_visibly(hooked_bot, receiver):
    bot = hooked_bot
    feed_events(bot.runtime)
    receiver.statuses = [410]
    bot.post_lead(email="kim@acme.io", company="Acme")
    settle(bot)
    with Session(bot.engine) as session:
        dead = session.exec(select(OutboxMessage).where(OutboxMessage.status == "dead")).all()
    assert [m.last_error for m in dead] == ["http_410 from 127.0.0.1"]
    assert (
        'leadrouter_notifications_total{kind="webhook",result="dead"} 1.0'
        in bot.http.get("/metrics").text
    )


def test_a_secret_in_the_env_file_signs_and_a_missing_one_is_given_up_visibly(
    standin, tmp_path, now, receiver, monkeypatch
):
    """The secret may live in .env, as every other secret; without it nothing is signed or
    sent, and the event is given up where `outbox list --status dead` shows it."""
    monkeypatch.delenv("ZAPIER_SECRET", raising=False)
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text(f"ZAPIER_SECRET={SECRET}\n")
    subscriptions = (
        f"events:\n  zapier: {{url: '{receiver.url}', secret_env: ZAPIER_SECRET, "
        "events: [lead.received]}\n"
        f"  make: {{url: '{receiver.url}', secret_env: MAKE_SECRET, events: [lead.received]}}\n"
    )
    bot = make_bot(
        standin, tmp_path, now, parse_config(TEAM_YAML + subscriptions, "team.yml"),
        _env_file=str(tmp_path / ".env"),
    )  # fmt: skip
    try:
        feed_events(bot.runtime)
        bot.post_lead(email="kim@acme.io", company="Acme")
        settle(bot)
        with Session(bot.engine) as session:
            done = {m.target: (m.status, m.last_error) for m in session.exec(select(OutboxMessage))}
        assert done["webhook:zapier"] == ("sent", "http_200")
        assert done["webhook:make"] == ("dead", "MAKE_SECRET is not set: nothing is signed or sent")
    finally:
        bot.server.close()
