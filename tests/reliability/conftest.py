"""Real `leadrouter serve` processes for the reliability tests.

Each server is started as an operator would start it (the `leadrouter` entry point of this
virtualenv, configured only through the environment) on a database of its own: a SQLite file
in the test's temp dir, or a fresh PostgreSQL database (CREATE DATABASE rel_<uuid>, dropped
afterwards). Slack is a SlackStandin running in the test process, seeded from the team below.
The servers use the real clock, so every wait here is a poll with a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Engine, create_engine, func, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from slack_standin import SlackRequests, SlackStandin
from storage.db import database_url, make_engine
from storage.models import OutboxMessage, OutboxStatus
from tests.conftest import TEST_DATABASE_URL
from tests.web.conftest import WEBHOOK_SECRET, sign_generic

LEADROUTER = Path(sys.executable).parent / "leadrouter"
SIGNING_SECRET = "reliability-signing-secret"
T = TypeVar("T")

# Every rep works `hours: always`: the servers run on the real clock, at any hour.
TEAM_YAML = """
timezone: UTC
hours: always
reps:
  ana: {slack_id: U0ANA, name: Ana}
  ben: {slack_id: U0BEN, name: Ben}
  chloe: {slack_id: U0CHLOE, name: Chloe}
  dev: {slack_id: U0DEV, name: Dev}
  mia: {slack_id: U0MIA, name: Mia}
pools:
  sales: {members: [ana, ben, chloe, dev], channel: C0SALES}
  ladder: {members: [ana, ben, chloe, dev], channel: C0LADDER, escalation: quick}
rules:
  - name: Tiny companies
    when: {employees: {lt: 5}}
    nurture: true
  - name: Ladder
    when: {company: {contains: Ladder}}
    pool: ladder
  - name: Everyone else
    when: {company: {exists: true}}
    pool: sales
triage: {channel: C0TRIAGE}
managers: [U0BOSS]
escalation_policies:
  quick:
    steps:
      - {after: 1s, action: remind}
      - {after: 3s, action: pass}
      - {after: 5s, action: remind}
"""
# A lead without a company matches no rule, and there is no fallback: it goes to triage, where
# every rep may claim it (the claim race uses that).
PEOPLE = {
    "U0ANA": "ana",
    "U0BEN": "ben",
    "U0CHLOE": "chloe",
    "U0DEV": "dev",
    "U0MIA": "mia",
    "U0BOSS": "boss",
}
CHANNELS = {"C0SALES": "sales", "C0LADDER": "ladder", "C0TRIAGE": "triage"}
SALES = ("ana", "ben", "chloe", "dev")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- databases


def _admin_engine() -> Engine:
    assert TEST_DATABASE_URL
    url = make_url(database_url(TEST_DATABASE_URL)).set(database="postgres")
    return create_engine(url, isolation_level="AUTOCOMMIT")


def _postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for one test (servers migrate it on start)."""
    assert TEST_DATABASE_URL
    name = f"rel_{uuid.uuid4().hex[:12]}"
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        url = make_url(database_url(TEST_DATABASE_URL)).set(database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """DATABASE_URL of an empty database: a SQLite file, or a new PostgreSQL database.
    A test pins one with @pytest.mark.parametrize("database", [...], indirect=True)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'leadrouter.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def db(database: str) -> Iterator[Callable[[], Engine]]:
    """The test's own engine on `database` (made on first use: servers create the tables)."""
    made: list[Engine] = []

    def engine() -> Engine:
        if not made:
            made.append(make_engine(database, pool_size=2))
        return made[0]

    yield engine
    for engine_ in made:
        engine_.dispose()


def pending_outbox(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.pending)
        ).one()


def pending_described(engine: Engine, limit: int = 10) -> str:
    """What still waits in the outbox, for a failure message: kind, attempts, lease, error."""
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.pending)
        ).all()
    lines = [
        f"#{m.id} {m.kind} lead {m.lead_id} -> {m.target} attempts={m.attempts} "
        f"due={m.next_attempt_at:%H:%M:%S} lease={m.lease_owner} doubt={m.in_doubt} "
        f"error={m.last_error}"
        for m in rows[:limit]
    ]
    return f"{len(rows)} pending:\n" + "\n".join(lines)


# --------------------------------------------------------------------------- Slack stand-in


@pytest.fixture
def standin() -> Iterator[SlackStandin]:
    """A Slack of its own per test, seeded with the team's people and channels."""
    with SlackStandin() as slack:
        for user_id, name in PEOPLE.items():
            slack.add_user(user_id, name, real_name=name.title())
        for channel_id, name in CHANNELS.items():
            slack.add_channel(channel_id, name)
        yield slack


def card_lead(blocks: Any) -> int | None:
    """The lead a card is about, read from its buttons' values ({"lead": N})."""
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    stack = [blocks]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            value = item.get("value")
            if isinstance(value, str) and value.startswith('{"lead":'):
                return int(json.loads(value)["lead"])
            stack.extend(item.values())
    return None


def cards_posted(standin: SlackStandin) -> Counter[tuple[int, str]]:
    """(lead id, channel) -> how many times its card was posted there (successful calls)."""
    posted: Counter[tuple[int, str]] = Counter()
    for call in standin.calls("chat.postMessage"):
        lead = card_lead(call.params.get("blocks") or [])
        if call.ok and lead is not None:
            posted[(lead, call.answer["channel"])] += 1
    return posted


def texts_posted(standin: SlackStandin, starts_with: str) -> Counter[tuple[str, str]]:
    """(channel, text) -> how many times a plain message starting with `starts_with` was posted."""
    posted: Counter[tuple[str, str]] = Counter()
    for call in standin.calls("chat.postMessage"):
        message = str(call.params.get("text", ""))
        if call.ok and message.startswith(starts_with):
            posted[(call.answer["channel"], message)] += 1
    return posted


# --------------------------------------------------------------------------- servers


@dataclass
class Serve:
    """One `leadrouter serve` process."""

    name: str
    env: dict[str, str]
    workdir: Path
    scheduler: bool = True
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"{self.name}.log"

    def start(self, timeout: float = 45) -> Serve:
        """Start on a free port and wait for /healthz (another port if this one was taken)."""
        for _ in range(3):
            self.port = free_port()
            command = [str(LEADROUTER), "serve", "--port", str(self.port)]
            if not self.scheduler:
                command.append("--no-scheduler")
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    command, env=self.env, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT
                )
            if self._healthy(timeout):
                return self
            if "address already in use" not in self.log().lower():
                break
        raise AssertionError(f"{self.name} did not start; its log:\n{self.log()[-4000:]}")

    def _healthy(self, timeout: float) -> bool:
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                return False
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return True
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        return False

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """kill -9: no shutdown hook, no flush, no goodbye."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        self.terminate()
        self.wait()

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()

    def wait(self) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def errors(self) -> list[str]:
        """Tracebacks and ERROR lines the server logged (a healthy run has none)."""
        lines = self.log().splitlines()
        return [line for line in lines if "Traceback" in line or " ERROR " in line]


@dataclass
class Servers:
    """Starts servers that share one database, one team and one Slack; stops them all after."""

    database: str
    standin: SlackStandin
    workdir: Path
    started: list[Serve] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        config = self.workdir / "routing.yml"
        if not config.exists():
            config.write_text(TEAM_YAML)
        ours = ("SLACK_", "LEADROUTER_", "DATABASE_URL", "ROUTING_CONFIG", "WEBHOOK_SECRET")
        env = {k: v for k, v in os.environ.items() if not k.startswith(ours)}
        env.update(
            DATABASE_URL=self.database,
            ROUTING_CONFIG=str(config),
            WEBHOOK_SECRET=WEBHOOK_SECRET,
            SLACK_BOT_TOKEN=self.standin.token,
            SLACK_SIGNING_SECRET=SIGNING_SECRET,
            SLACK_API_URL=self.standin.url,
            LEADROUTER_LOG_LEVEL="WARNING",
        )
        return env

    def serve(self, name: str, *, scheduler: bool = True, start: bool = True) -> Serve:
        server = Serve(name, self.env(), self.workdir, scheduler)
        self.started.append(server)
        return server.start() if start else server

    def stop(self) -> None:
        for server in self.started:  # all at once: each may take seconds to wind down
            server.terminate()
        for server in self.started:
            server.wait()


@pytest.fixture
def servers(database: str, standin: SlackStandin, tmp_path: Path) -> Iterator[Servers]:
    made = Servers(database, standin, tmp_path)
    try:
        yield made
    finally:
        made.stop()


# --------------------------------------------------------------------------- clients


class LeadPoster:
    """Posts signed leads to /webhooks/leads; one HTTP connection pool per thread."""

    def __init__(self, timeout: float = 120) -> None:
        self.timeout = timeout
        self._local = threading.local()
        self._clients: list[httpx.Client] = []
        self._lock = threading.Lock()

    def client(self) -> httpx.Client:
        client = getattr(self._local, "client", None)
        if client is None:
            client = self._local.client = httpx.Client(timeout=self.timeout)
            with self._lock:
                self._clients.append(client)
        return client

    def post(self, url: str, lead: dict[str, Any], key: str | None = None) -> httpx.Response:
        body = json.dumps(lead).encode()
        headers = sign_generic(body, int(time.time()))
        if key is not None:
            headers["Idempotency-Key"] = key
        return self.client().post(f"{url}/webhooks/leads", content=body, headers=headers)

    def close(self) -> None:
        for client in self._clients:
            client.close()


@pytest.fixture
def poster() -> Iterator[LeadPoster]:
    made = LeadPoster()
    yield made
    made.close()


def slack_requests(server: Serve, standin: SlackStandin) -> SlackRequests:
    """Slack's side of /slack/events, signed, aimed at one server."""
    return SlackRequests(server.url, SIGNING_SECRET, standin, timeout=30)
