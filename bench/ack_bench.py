"""How fast leadrouter acknowledges Slack's requests during a burst.

    python -m bench.ack_bench [--quick] [--leads 150] [--burst 500] [--senders 16] [--plain]

Slack gives an app 3 s to answer a click or a slash command, then shows the user an error and
(for events) retries; our target is p99 < 100 ms from receiving the interaction to the ack.

Setup: the Slack stand-in (slack_standin) runs in this process; `leadrouter serve` runs in
a subprocess with Slack pointed at it (SLACK_API_URL, SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET),
its scheduler on, a temp SQLite database and a small team whose hours are `always` (so every
lead gets an owner whatever the time of day). Leads arrive through the signed webhook and the
outbox delivers their cards (a DM to the owner, a post in the team channel) to the stand-in.

The burst: --burst signed requests, sent by --senders threads at once with
slack_standin.SlackRequests, in a fixed random mix: the owner's Claim, a teammate's Claim
on the channel copy (a race that one of them loses), the owner's "Not mine" and a manager's
Reassign (both open a modal through views.open), and /away commands from reps (which re-route
their unclaimed leads). The clicks use the cards as first delivered, as users click old copies.

Measured: on the client, the time from sending each request to the HTTP answer (the ack) over
loopback — an upper bound of the server-side time, as it includes loopback, the client's own
threads and the stand-in, which share this process. Unless --plain, the server runs as
`python -m bench._servers timed-serve` (the real `leadrouter serve` command with an ASGI
wrapper adding Server-Timing), which also gives the time inside the app for each request — a
lower bound, as it starts after uvicorn has read the request. The verdict uses the upper bound.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench import Result, format_table, percentile
from bench._servers import (
    BenchDatabase,
    ServerProcess,
    running,
    server_timing_ms,
    sqlite_database,
    start_leadrouter,
)
from bench.intake_bench import LeadBodies, signed_headers
from bot.slack.ids import Action, Command
from slack_standin import Message, SlackRequests, SlackStandin

TARGET_P99_MS = 100.0
SLACK_LIMIT_MS = 3000.0
TARGET = f"p99 < {TARGET_P99_MS:.0f} ms"
WEBHOOK_SECRET = "bench-webhook-secret-for-acks"
SIGNING_SECRET = "bench-slack-signing-secret"
CHANNEL, TRIAGE = "C0BENCHSALES", "C0BENCHTRIAGE"
MANAGER = ("boss", "U0BENCHBOSS")
AWAY_TEXTS = ["2h dentist", "30m", "1h lunch", "", "until tomorrow", "3h customer visit"]


@dataclass(frozen=True)
class Plan:
    reps: int
    leads: int
    burst: int
    senders: int


FULL = Plan(reps=12, leads=150, burst=500, senders=16)
QUICK = Plan(reps=8, leads=30, burst=120, senders=8)
# (kind, weight) of each request in the burst
MIX = [("claim", 35), ("claim race", 15), ("not mine", 15), ("reassign", 15), ("/away", 20)]


# --- the workspace ------------------------------------------------------------------------------


def rep_ids(count: int) -> list[tuple[str, str]]:
    """(rep id, Slack user id) of each rep."""
    return [(f"rep{i:02d}", f"U0BENCH{i:02d}") for i in range(1, count + 1)]


def team_yaml(reps: int) -> str:
    team = rep_ids(reps)
    config = {
        "version": 1,
        "timezone": "UTC",
        "hours": "always",  # every lead has an owner at any hour of the week
        "sla": "30m",
        "reps": {
            **{rep: {"slack_id": user, "name": f"Rep {rep[3:]}"} for rep, user in team},
            MANAGER[0]: {"slack_id": MANAGER[1], "name": "Bench Manager"},
        },
        "managers": [MANAGER[0]],
        "pools": {
            "sales": {
                "members": [rep for rep, _ in team],
                "strategy": "round_robin",
                "channel": CHANNEL,
                "escalation": "standard",
                "manager": MANAGER[0],
            }
        },
        "rules": [{"name": "Everyone", "pool": "sales"}],
        "triage": {"channel": TRIAGE},
        "escalation_policies": {"standard": {"steps": [{"after": "30m", "action": "remind"}]}},
    }
    return yaml.safe_dump(config, sort_keys=False, allow_unicode=True)


def seed(standin: SlackStandin, reps: int) -> None:
    for rep, user in [*rep_ids(reps), MANAGER]:
        standin.add_user(user, rep, tz="Europe/Paris", real_name=rep.title())
    standin.add_channel(CHANNEL, "leads-bench")
    standin.add_channel(TRIAGE, "lead-triage-bench")


def lead_of(message: Message) -> int | None:
    """The lead a card is about, from its buttons' values (bot.slack.ids.LeadRef)."""
    for block in message.blocks:
        for element in block.get("elements", []) or []:
            value = element.get("value") if isinstance(element, dict) else None
            if value and value.startswith("{"):
                return int(json.loads(value)["lead"])
    return None


@dataclass
class Cards:
    """Each lead's owner and its two copies, as first delivered."""

    owner: dict[int, str] = field(default_factory=dict)  # lead id -> owner's Slack id
    dm: dict[int, Message] = field(default_factory=dict)
    channel: dict[int, Message] = field(default_factory=dict)


def collect_cards(standin: SlackStandin, users: list[str]) -> Cards:
    cards = Cards()
    for message in standin.messages(CHANNEL):
        lead = lead_of(message)
        if lead is not None:
            cards.channel.setdefault(lead, message)
    for user in users:
        for message in standin.messages(user):
            lead = lead_of(message)
            if lead is not None:
                cards.dm.setdefault(lead, message)
                cards.owner[lead] = user
    return cards


def create_leads(server: ServerProcess, count: int) -> list[int]:
    bodies = LeadBodies(tag=f"ack{int(time.time())}").take(count)
    ids = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for body in bodies:
            response = http.post(
                "/webhooks/leads", content=body, headers=signed_headers(body, WEBHOOK_SECRET)
            )
            if response.status_code != 202:
                raise RuntimeError(f"lead refused: {response.status_code} {response.text}")
            ids.append(int(response.json()["lead_id"]))
    return ids


def wait_for_cards(standin: SlackStandin, users: list[str], leads: list[int]) -> Cards:
    wanted = set(leads)

    def delivered() -> Cards | None:
        cards = collect_cards(standin, users)
        return cards if wanted <= set(cards.dm) and wanted <= set(cards.channel) else None

    return standin.wait_for(delivered, timeout=120, interval=0.25)


# --- the burst ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    kind: str
    client_ms: float
    server_ms: float | None
    status: int | str


class TimedHttp:
    """What SlackRequests posts through: times the HTTP exchange alone, not payload building."""

    def __init__(self) -> None:
        self.client = httpx.Client(timeout=10)
        self.last: tuple[float, float | None, int] | None = None

    def post(self, url: str, *, content: bytes, headers: dict[str, str]) -> httpx.Response:
        started = time.perf_counter()
        response = self.client.post(url, content=content, headers=headers)
        elapsed = (time.perf_counter() - started) * 1000
        self.last = (elapsed, server_timing_ms(response.headers), response.status_code)
        return response


Step = tuple[str, Callable[[SlackRequests], Any]]


def plan_burst(cards: Cards, users: list[str], size: int, rng: random.Random) -> list[Step]:
    leads = sorted(cards.dm)
    kinds = rng.choices([k for k, _ in MIX], weights=[w for _, w in MIX], k=size)
    steps: list[Step] = []
    for kind in kinds:
        lead = rng.choice(leads)
        owner, dm, post = cards.owner[lead], cards.dm[lead], cards.channel[lead]
        if kind == "claim":
            steps.append((kind, _click(owner, dm, Action.claim)))
        elif kind == "claim race":
            rival = rng.choice([u for u in users if u != owner])
            steps.append((kind, _click(rival, post, Action.claim)))
        elif kind == "not mine":
            steps.append((kind, _click(owner, dm, Action.decline)))
        elif kind == "reassign":
            steps.append((kind, _click(MANAGER[1], post, Action.reassign)))
        else:
            who, text = rng.choice(users), rng.choice(AWAY_TEXTS)
            steps.append((kind, _command(who, Command.away.value, text)))
    return steps


def _click(user: str, card: Message, action: Action) -> Callable[[SlackRequests], Any]:
    return lambda slack: slack.click(user, card, action.value)


def _command(user: str, command: str, text: str) -> Callable[[SlackRequests], Any]:
    return lambda slack: slack.command(user, command, text)


@contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection in this (measuring) process during the burst: a full collection
    here pauses every sender and the stand-in at once, and would be counted as server time."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def fire(
    steps: list[Step], senders: int, server: ServerProcess, standin: SlackStandin
) -> tuple[list[Sample], float]:
    """Send every step from `senders` threads at once; returns samples and the burst's wall."""
    local = threading.local()
    made: list[TimedHttp] = []
    lock = threading.Lock()

    ready = threading.Barrier(senders)

    def sender() -> tuple[SlackRequests, TimedHttp]:
        if not hasattr(local, "slack"):
            http = TimedHttp()
            http.client.get(f"{server.url}/healthz")  # the connection is open before the burst
            local.http = http
            local.slack = SlackRequests(server.url, SIGNING_SECRET, standin, http=http)  # type: ignore[arg-type]
            with lock:
                made.append(http)
        return local.slack, local.http

    def start_sender(_: int) -> None:
        sender()
        ready.wait(timeout=30)  # every thread exists and holds a connection

    def send(step: Step) -> Sample:
        kind, act = step
        slack, http = sender()
        try:
            act(slack)
        except httpx.HTTPError as exc:
            return Sample(kind, float("nan"), None, type(exc).__name__)
        assert http.last is not None
        client_ms, server_ms, status = http.last
        return Sample(kind, client_ms, server_ms, status)

    with ThreadPoolExecutor(max_workers=senders, thread_name_prefix="slack") as pool:
        list(pool.map(start_sender, range(senders)))
        with collector_paused():
            began = time.perf_counter()
            samples = list(pool.map(send, steps))
            wall = time.perf_counter() - began
    for http in made:
        http.client.close()
    return samples, wall


# --- what the burst did -------------------------------------------------------------------------


def effects(database: BenchDatabase, standin: SlackStandin) -> list[str]:
    path = database.url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        states = dict(conn.execute("SELECT state, count(*) FROM leads GROUP BY state").fetchall())
        away = conn.execute("SELECT count(*) FROM availability").fetchone()[0]
    modals = [v for v in standin.views() if v.type == "modal"]
    return [
        "leads by state after the burst: "
        + ", ".join(f"{state} {count}" for state, count in sorted(states.items())),
        f"reps marked away: {away}; modals opened at the stand-in: {len(modals)}; "
        f"replies to response_url: {len(standin.responses())}; "
        f"chat.update calls: {len(standin.calls('chat.update'))}",
    ]


# --- the report ---------------------------------------------------------------------------------


def _stats(values: list[float]) -> tuple[float, float, float, float]:
    ordered = sorted(values)
    if not ordered:
        return (float("nan"),) * 4  # type: ignore[return-value]
    return (
        percentile(ordered, 0.50),
        percentile(ordered, 0.90),
        percentile(ordered, 0.99),
        ordered[-1],
    )


def table(samples: list[Sample]) -> str:
    header = ("requests", "n", "p50 ms", "p90 ms", "p99 ms", "max ms", "app p50", "app p99",
              "app max", "> 3 s", "not 200")  # fmt: skip
    rows = [header]
    groups = [(kind, [s for s in samples if s.kind == kind]) for kind, _ in MIX]
    for kind, group in [*groups, ("all", samples)]:
        if not group:
            continue
        ok = [s for s in group if s.status == 200]
        client = _stats([s.client_ms for s in ok])
        app = [s.server_ms for s in ok if s.server_ms is not None]
        server = _stats(app) if app else None
        app_cells = (
            (f"{server[0]:.1f}", f"{server[2]:.1f}", f"{server[3]:.1f}") if server else ("-",) * 3
        )
        rows.append(
            (
                kind,
                str(len(group)),
                *(f"{v:.1f}" for v in client),
                *app_cells,
                str(sum(s.client_ms > SLACK_LIMIT_MS for s in ok)),
                str(len(group) - len(ok)),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


LEGEND = (
    "p50/p90/p99/max: on the client, send to ack over loopback (an upper bound of server-side "
    "time: it includes loopback, the client's threads and the stand-in sharing its process); "
    "app: Server-Timing, from the app being called to its answer (a lower bound: it starts "
    "after uvicorn has read the request)"
)


@dataclass
class Outcome:
    plan: Plan
    samples: list[Sample]
    wall: float
    notes: list[str]

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if s.status == 200]

    @property
    def errors(self) -> int:
        return len(self.samples) - len(self.ok)

    def p99(self, attribute: str) -> float | None:
        values = [getattr(s, attribute) for s in self.ok if getattr(s, attribute) is not None]
        return _stats(values)[2] if values else None

    @property
    def passed(self) -> bool:
        p99 = self.p99("client_ms")
        return self.errors == 0 and p99 is not None and p99 < TARGET_P99_MS

    def verdicts(self) -> list[str]:
        client = self.p99("client_ms")
        app = self.p99("server_ms")
        lines = [
            f"burst of {len(self.samples)} from {self.plan.senders} senders in "
            f"{self.wall:.2f} s ({len(self.samples) / self.wall:,.0f} requests/s); "
            f"{self.errors} not acked with 200",
            f"client-side p99 {client:.1f} ms (upper bound), target < {TARGET_P99_MS:.0f} ms: "
            f"{'PASS' if self.passed else 'FAIL'}",
        ]
        if app is not None:
            verdict = "PASS" if app < TARGET_P99_MS else "FAIL"
            lines.append(f"server-side p99 inside the app {app:.1f} ms (lower bound): {verdict}")
        return lines

    def result(self) -> Result:
        values = sorted(s.client_ms * 1000 for s in self.ok)
        p50, p90, p99, top = _stats(values) if values else (float("nan"),) * 4
        return Result(
            name=f"slack ack burst ({len(self.samples)})",
            count=len(values),
            median_us=p50,
            p90_us=p90,
            p99_us=p99,
            max_us=top,
            per_second=len(self.samples) / self.wall if self.wall else 0.0,
            target=TARGET,
            passed=self.passed,
            notes=self.notes,
        )


def bench(plan: Plan, *, timed: bool = True, seed_value: int = 5) -> Outcome:
    rng = random.Random(seed_value)
    users = [user for _, user in rep_ids(plan.reps)]
    notes = [
        f"{len(os.sched_getaffinity(0))} CPU cores shared by the client, the stand-in and the "
        f"server (loopback; load average {os.getloadavg()[0]:.2f} at start); "
        f"{plan.reps} reps, {plan.leads} leads, SQLite"
    ]
    with tempfile.TemporaryDirectory(prefix="leadrouter-ack-") as tmp, SlackStandin() as standin:
        workdir = Path(tmp)
        seed(standin, plan.reps)
        config = workdir / "routing.yml"
        config.write_text(team_yaml(plan.reps), encoding="utf-8")
        with sqlite_database(workdir, "ack") as database:
            server = start_leadrouter(
                database,
                workdir,
                scheduler=True,  # the outbox delivers the cards
                timed=timed,
                ROUTING_CONFIG=str(config),
                WEBHOOK_SECRET=WEBHOOK_SECRET,
                SLACK_BOT_TOKEN=standin.token,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=standin.url,
            )
            with running(server):
                leads = create_leads(server, plan.leads)
                started = time.perf_counter()
                cards = wait_for_cards(standin, users, leads)
                notes.append(
                    f"{len(leads)} leads created; their {len(leads) * 2} cards delivered by the "
                    f"outbox in {time.perf_counter() - started:.1f} s"
                )
                steps = plan_burst(cards, users, plan.burst, rng)
                samples, wall = fire(steps, plan.senders, server, standin)
                time.sleep(1.0)  # let the listeners finish what they do after the ack
                notes.extend(effects(database, standin))
    counts = Counter(kind for kind, _ in steps)
    notes.append("mix: " + ", ".join(f"{kind} {counts[kind]}" for kind, _ in MIX))
    outcome = Outcome(plan, samples, wall, notes)
    outcome.notes.extend([*table(samples).splitlines(), LEGEND, *outcome.verdicts()])
    return outcome


def run(quick: bool = False) -> Result:
    return bench(QUICK if quick else FULL).result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ack_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="a small burst, for a smoke test")
    parser.add_argument("--reps", type=int, help="reps in the team")
    parser.add_argument("--leads", type=int, help="leads (cards) to click on")
    parser.add_argument("--burst", type=int, help="requests in the burst")
    parser.add_argument("--senders", type=int, help="threads sending at once")
    parser.add_argument("--seed", type=int, default=5, help="seed of the request mix")
    parser.add_argument(
        "--plain", action="store_true", help="run bare `leadrouter serve` (no Server-Timing)"
    )
    args = parser.parse_args(argv)
    base = QUICK if args.quick else FULL
    plan = Plan(
        reps=args.reps or base.reps,
        leads=args.leads or base.leads,
        burst=args.burst or base.burst,
        senders=args.senders or base.senders,
    )
    if plan.reps < 2 or min(plan.leads, plan.burst, plan.senders) < 1:
        parser.error("need at least 2 reps and one lead, request and sender")
    started = time.perf_counter()
    outcome = bench(plan, timed=not args.plain, seed_value=args.seed)
    for note in outcome.notes:
        print(note)
    print()
    print(format_table([outcome.result()]))
    print(f"wall time {time.perf_counter() - started:.1f} s")
    return 0 if outcome.passed else 1


if __name__ == "__main__":
    sys.exit(main())
