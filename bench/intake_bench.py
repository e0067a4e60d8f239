"""Lead intake over HTTP: `leadrouter serve` against a bare JSON-to-one-row floor.

    python -m bench.intake_bench [--quick] [--rate 100] [--duration 20] [--concurrency 32]
                                 [--requests 2000] [--rounds 3] [--databases sqlite,postgresql]

For each database (a temp SQLite file; a fresh PostgreSQL database made and dropped on the
server at --pg-admin-url), two servers run side by side as subprocesses on loopback, each on
a fresh database of its own:

    leadrouter  `leadrouter serve --no-scheduler` with examples/routing.yml: verify the HMAC
                signature, validate, store, route, write the outbox, answer 202
    floor       a bare FastAPI endpoint under uvicorn that parses the JSON and inserts one row
                (same SQLite settings: WAL, busy timeout; psycopg on PostgreSQL)

and the same client (this process, httpx on uvloop) sends each one the same load of signed,
realistic leads built from examples/leads.csv with unique emails (no duplicate joins):

    open loop   a fixed rate (100 leads/s) for --duration seconds; a lead's latency counts from
                its scheduled send time, so a late client cannot hide a slow server
    closed loop --concurrency clients each sending as soon as their last lead was answered,
                --requests leads in all (no new lead after 25 s, so a slow server cannot
                stretch the run): the highest throughput. --rounds rounds (3), the two
                servers taking turns, and the median of each server's rounds compared: on a
                shared machine whose speed drifts, one round each would compare two moments

A short warm-up precedes each server's runs and is not measured. Every answer must be 202,
and afterwards the rows are counted: as many as leads accepted, each lead id distinct.
Targets: p99 < 50 ms at 100 leads/s, and at least half the floor's closed-loop throughput.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import hashlib
import hmac
import json
import os
import re
import resource
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httptools
import httpx
from prometheus_client.parser import text_string_to_metric_families

from bench import Result, format_table, percentile
from bench._servers import (
    DEFAULT_PG_ADMIN_URL,
    FLOOR_TABLE,
    REPO,
    BenchDatabase,
    ServerProcess,
    machine_busy_seconds,
    postgres_available,
    postgres_database,
    running,
    sqlite_database,
    start_floor,
    start_leadrouter,
)

TARGET_P99_MS = 50.0
TARGET_RATE = 100.0
TARGET_FRACTION = 0.5
TARGET = f"p99 < {TARGET_P99_MS:.0f} ms @ {TARGET_RATE:.0f}/s; ≥ {TARGET_FRACTION}× floor"
SECRET = "bench-webhook-secret-0123456789"
LEADS_CSV = REPO / "examples" / "leads.csv"
ROUTING_YML = REPO / "examples" / "routing.yml"


@dataclass(frozen=True)
class Plan:
    rate: float
    duration: float
    concurrency: int
    requests: int
    warmup: int
    client: str = "loopback"
    time_limit: float = 25.0  # s: the closed loop stops early when a server is this slow
    rounds: int = 3  # closed loops per server, alternating leadrouter and floor
    with_slack: bool = False  # leadrouter delivers its cards to a realistic Slack stand-in too


FULL = Plan(rate=TARGET_RATE, duration=20.0, concurrency=32, requests=2000, warmup=100)
QUICK = Plan(
    rate=TARGET_RATE,
    duration=3.0,
    concurrency=16,
    requests=300,
    warmup=30,
    time_limit=4.0,
    rounds=1,
)


# --- the leads ----------------------------------------------------------------------------------


class LeadBodies:
    """JSON bodies from the example leads, each with an email no other lead in the run has."""

    def __init__(self, tag: str, path: Path = LEADS_CSV) -> None:
        with path.open(encoding="utf-8", newline="") as handle:
            self.templates = [self._template(row) for row in csv.DictReader(handle)]
        self.tag = tag
        self.serial = 0

    @staticmethod
    def _template(row: dict[str, str]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        custom: dict[str, str] = {}
        for key, value in row.items():
            if not value or key == "received_at":
                continue
            if key.startswith("custom."):
                custom[key.removeprefix("custom.")] = value
            else:
                body[key] = value
        if custom:
            body["custom"] = custom
        return body

    def take(self, count: int) -> list[bytes]:
        bodies = []
        for _ in range(count):
            lead = dict(self.templates[self.serial % len(self.templates)])
            local, _, domain = lead.get("email", "lead@bench.example").partition("@")
            lead["email"] = f"{local}.{self.tag}{self.serial}@{domain}"
            bodies.append(json.dumps(lead, ensure_ascii=False).encode())
            self.serial += 1
        return bodies


def signed_headers(body: bytes, secret: str = SECRET) -> dict[str, str]:
    """What the generic webhook checks: v1=hex HMAC-SHA256(secret, "<ts>.<body>")."""
    timestamp = str(int(time.time()))
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return {
        "Content-Type": "application/json",
        "X-Leadrouter-Timestamp": timestamp,
        "X-Leadrouter-Signature": f"v1={digest.hexdigest()}",
    }


# --- one measured run ---------------------------------------------------------------------------


@dataclass
class Run:
    database: str
    server: str
    mode: str
    latencies: list[float] = field(default_factory=list)  # seconds, answered with 202
    statuses: Counter[str] = field(default_factory=Counter)
    lead_ids: list[int] = field(default_factory=list)
    wall: float = 0.0
    client_cpu: float = 0.0
    server_cpu: float = 0.0
    other_cpu: float = 0.0  # everything else on the machine: the database server, other jobs
    max_lag: float = 0.0  # open loop: how late the client sent its latest lead
    scraped: dict[str, float] = field(default_factory=dict)  # leadrouter's /metrics (SCRAPED)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())

    @property
    def accepted(self) -> int:
        return self.statuses["202"]

    @property
    def errors(self) -> int:
        return self.sent - self.accepted

    @property
    def per_second(self) -> float:
        return self.accepted / self.wall if self.wall else 0.0

    def ms(self, fraction: float) -> float:
        ordered = sorted(self.latencies)
        return percentile(ordered, fraction) * 1000 if ordered else float("nan")

    @property
    def max_ms(self) -> float:
        return max(self.latencies) * 1000 if self.latencies else float("nan")


# --- the client ---------------------------------------------------------------------------------


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; httptools parses the answers (as uvicorn does)."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []
        self.closed = False
        self.keep_alive = True
        self.last_used = 0.0

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self._fail(exc)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionResetError("server closed the connection"))

    # httptools callbacks
    def on_message_begin(self) -> None:
        self.body = []

    def on_body(self, chunk: bytes) -> None:
        self.body.append(chunk)

    def on_message_complete(self) -> None:
        self.keep_alive = self.parser.should_keep_alive()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result((self.parser.get_status_code(), b"".join(self.body)))

    def _fail(self, exc: Exception) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(exc)

    async def exchange(self, raw: bytes) -> tuple[int, bytes]:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(raw)
        return await self.waiter

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


class LoopbackClient:
    """Keep-alive POSTs with little client CPU. httpx spends about 1.7 ms of CPU per request
    here, so on 2 cores it, not the server, capped the floor near 600 leads/s; this client
    spends a small fraction of that, leaving the cores to the servers under test."""

    IDLE_LIMIT = 2.0  # s; uvicorn closes idle connections after 5 s, never reuse one that old

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        parsed = httpx.URL(url)
        self.host, self.port = parsed.host, parsed.port or 80
        self.timeout = timeout
        self.idle: list[_Connection] = []

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        conn = self._reuse() or await self._connect()
        head = [
            f"POST {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            f"Content-Length: {len(body)}",
            *(f"{name}: {value}" for name, value in headers.items()),
        ]
        raw = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        try:
            async with asyncio.timeout(self.timeout):
                answer = await conn.exchange(raw)
        except BaseException:
            conn.close()
            raise
        if conn.keep_alive and not conn.closed:
            conn.last_used = time.monotonic()
            self.idle.append(conn)
        else:
            conn.close()
        return answer

    def _reuse(self) -> _Connection | None:
        while self.idle:
            conn = self.idle.pop()  # the most recently used first
            if not conn.closed and time.monotonic() - conn.last_used < self.IDLE_LIMIT:
                return conn
            conn.close()
        return None

    async def _connect(self) -> _Connection:
        loop = asyncio.get_running_loop()
        _, conn = await loop.create_connection(_Connection, self.host, self.port)
        return conn

    async def aclose(self) -> None:
        for conn in self.idle:
            conn.close()
        self.idle.clear()


class HttpxClient:
    """The same interface over httpx.AsyncClient (--client httpx), to compare."""

    def __init__(self, url: str, timeout: float = 30.0) -> None:
        limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
        self.http = httpx.AsyncClient(base_url=url, limits=limits, timeout=timeout)

    async def post(self, path: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        response = await self.http.post(path, content=body, headers=headers)
        return response.status_code, response.content

    async def aclose(self) -> None:
        await self.http.aclose()


Client = LoopbackClient | HttpxClient
CLIENTS: dict[str, type[LoopbackClient] | type[HttpxClient]] = {
    "loopback": LoopbackClient,
    "httpx": HttpxClient,
}


async def _send(client: Client, body: bytes, started: float, run: Run) -> None:
    try:
        status, answer = await client.post("/webhooks/leads", body, signed_headers(body))
    except (OSError, TimeoutError, httpx.HTTPError, httptools.HttpParserError) as exc:
        run.statuses[type(exc).__name__] += 1
        return
    elapsed = time.perf_counter() - started
    run.statuses[str(status)] += 1
    if status == 202:
        run.latencies.append(elapsed)
        run.lead_ids.append(int(json.loads(answer)["lead_id"]))


async def open_loop(client: Client, bodies: list[bytes], rate: float, run: Run) -> None:
    """Send lead i at start + i/rate whatever happened to the others."""
    tasks = []
    start = time.perf_counter() + 0.02
    for i, body in enumerate(bodies):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        run.max_lag = max(run.max_lag, time.perf_counter() - due)
        tasks.append(asyncio.create_task(_send(client, body, due, run)))
    await asyncio.gather(*tasks)


async def closed_loop(
    client: Client, bodies: list[bytes], concurrency: int, run: Run, limit: float | None = None
) -> None:
    """Each worker sends its next lead when the last one is answered; no new lead after
    `limit` seconds, so a slow server cannot stretch the benchmark without end."""
    queue = iter(bodies)
    deadline = time.perf_counter() + limit if limit else float("inf")

    async def worker() -> None:
        for body in queue:  # a shared iterator: each body is taken by one worker
            await _send(client, body, time.perf_counter(), run)
            if time.perf_counter() > deadline:
                return

    await asyncio.gather(*(worker() for _ in range(concurrency)))


@contextmanager
def _measuring(run: Run, server: ServerProcess) -> Iterator[None]:
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    server_cpu = server.cpu_seconds()
    busy = machine_busy_seconds()
    began = time.perf_counter()
    yield
    run.wall = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_SELF)
    run.client_cpu = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    run.server_cpu = server.cpu_seconds() - server_cpu
    run.other_cpu = machine_busy_seconds() - busy - run.client_cpu - run.server_cpu


SCRAPED = {  # (metric sample, labels) read from /metrics around each run
    "under": ("leadrouter_intake_seconds_bucket", {"le": "0.05"}),
    "leads": ("leadrouter_intake_seconds_count", {}),
    "batched": ("leadrouter_intake_batch_size_sum", {}),
    "batches": ("leadrouter_intake_batch_size_count", {}),
}


def _samples(text: str) -> dict[str, float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for name, (wanted, labels) in SCRAPED.items():
                if sample.name == wanted and labels.items() <= sample.labels.items():
                    found[name] = sample.value
    return found


async def _scrape(url: str) -> dict[str, float] | None:
    async with httpx.AsyncClient(timeout=10) as http:
        response = await http.get(f"{url}/metrics")
    return _samples(response.text) if response.status_code == 200 else None


@dataclass
class Target:
    """One server under test, with its database and its own leads."""

    server: ServerProcess
    database: BenchDatabase
    bodies: LeadBodies
    runs: list[Run] = field(default_factory=list)
    warmup: Run | None = None


async def drive(targets: list[Target], plan: Plan) -> None:
    """Warm each server up, then each one's open loop, then the closed loops: `plan.rounds`
    rounds, each server in turn, so that a machine slowing down or speeding up during the run
    weighs on both servers alike."""
    clients = [CLIENTS[plan.client](t.server.url) for t in targets]
    try:
        for target, client in zip(targets, clients, strict=True):
            target.warmup = Run(target.database.kind, target.server.name, "warm-up")
            await closed_loop(client, target.bodies.take(plan.warmup), 4, target.warmup)
        for target, client in zip(targets, clients, strict=True):
            mode = f"open {plan.rate:g}/s × {plan.duration:g} s"
            run = Run(target.database.kind, target.server.name, mode)
            load = target.bodies.take(round(plan.rate * plan.duration))
            await _measured(target, open_loop(client, load, plan.rate, run), run)
        for turn in range(plan.rounds):
            for target, client in zip(targets, clients, strict=True):
                mode = f"closed ×{plan.concurrency}" + (
                    f" ({turn + 1}/{plan.rounds})" if plan.rounds > 1 else ""
                )
                run = Run(target.database.kind, target.server.name, mode)
                load = target.bodies.take(plan.requests)
                loop = closed_loop(client, load, plan.concurrency, run, plan.time_limit)
                await _measured(target, loop, run)
    finally:
        for client in clients:
            await client.aclose()


async def _measured(target: Target, load: Any, run: Run) -> None:
    server = target.server
    before = await _scrape(server.url) if server.name == "leadrouter" else None
    with _measuring(run, server):
        await load
    after = await _scrape(server.url) if before is not None else None
    if before is not None and after is not None:
        run.scraped = {name: after.get(name, 0) - before.get(name, 0) for name in SCRAPED}
    target.runs.append(run)


def _event_loop(coroutine: Any) -> Any:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvicorn[standard] brings it
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)


# --- per database -------------------------------------------------------------------------------


@dataclass
class Integrity:
    server: str
    accepted: int
    distinct_ids: int
    rows: int

    @property
    def ok(self) -> bool:
        return self.accepted == self.distinct_ids == self.rows

    def describe(self) -> str:
        verdict = "ok" if self.ok else "MISMATCH"
        return (
            f"{self.server}: {self.rows:,} rows for {self.accepted:,} leads accepted "
            f"({self.distinct_ids:,} distinct lead ids) — {verdict}"
        )


@dataclass
class DatabaseReport:
    database: str
    runs: list[Run]
    integrity: list[Integrity]

    def run(self, server: str, mode: str) -> Run:
        return next(r for r in self.runs if r.server == server and r.mode.startswith(mode))

    def closed(self, server: str) -> list[Run]:
        return [r for r in self.runs if r.server == server and r.mode.startswith("closed")]

    def throughput(self, server: str) -> float:
        """The median of the server's closed-loop rounds, in leads/s."""
        return statistics.median(r.per_second for r in self.closed(server))

    @property
    def fraction(self) -> float:
        floor = self.throughput("floor")
        return self.throughput("leadrouter") / floor if floor else 0.0

    @property
    def latency_ok(self) -> bool:
        run = self.run("leadrouter", "open")
        return run.errors == 0 and run.ms(0.99) < TARGET_P99_MS

    @property
    def throughput_ok(self) -> bool:
        return self.fraction >= TARGET_FRACTION

    @property
    def intact(self) -> bool:
        return all(check.ok for check in self.integrity) and all(r.errors == 0 for r in self.runs)


def _start(
    name: str, database: BenchDatabase, workdir: Path, slack: dict[str, str] | None = None
) -> ServerProcess:
    if name == "leadrouter":
        return start_leadrouter(
            database,
            workdir,
            scheduler=bool(slack),  # with Slack, the outbox is delivered in the same process
            ROUTING_CONFIG=str(ROUTING_YML),
            WEBHOOK_SECRET=SECRET,
            **(slack or {}),
        )
    return start_floor(database, workdir)


def slack_standin() -> Any:
    """A Slack stand-in in its realistic mode (150–250 ms a call, one post a second per
    channel) with the people and channels of examples/routing.yml."""
    from routing import load_config
    from slack_standin import SlackStandin

    config = load_config(ROUTING_YML)
    standin = SlackStandin().start()
    standin.realistic(latency=(0.15, 0.25), posts_per_second=1.0, burst=3)
    for rep in config.reps.values():
        standin.add_user(rep.slack_id, rep.id, tz=rep.timezone or "UTC")
    channels = {p.channel for p in config.pools.values() if p.channel}
    channels |= {config.triage.channel, "#sales-leadership"} - {None}
    for n, channel in enumerate(sorted(c for c in channels if c)):
        channel_id = channel if channel[:1] in "CG" else f"C0EXAMPLE{n:02d}"
        standin.add_channel(channel_id, channel.removeprefix("#"))
    return standin


def _integrity(target: Target) -> Integrity:
    everything = [target.warmup, *target.runs] if target.warmup else target.runs
    if target.warmup and target.warmup.errors:  # not measured, but a failed lead is failed
        failed = {f"warm-up {k}": v for k, v in target.warmup.statuses.items()}
        target.runs[0].statuses.update(failed)
    return Integrity(
        target.server.name,
        accepted=sum(r.accepted for r in everything),
        distinct_ids=len({i for r in everything for i in r.lead_ids}),
        rows=target.database.count("leads" if target.server.name == "leadrouter" else FLOOR_TABLE),
    )


def bench(
    plan: Plan, databases: list[str], pg_admin_url: str
) -> tuple[list[DatabaseReport], list[str]]:
    """Per kind of database: leadrouter and the floor, each on a fresh database of that kind,
    both running while they are measured in turn."""
    reports: list[DatabaseReport] = []
    skipped: list[str] = []
    with ExitStack() as outer:
        slack = None
        if plan.with_slack:
            standin = slack_standin()
            outer.callback(standin.stop)
            slack = {
                "SLACK_BOT_TOKEN": standin.token,
                "SLACK_SIGNING_SECRET": "bench-intake-signing-secret",
                "SLACK_API_URL": standin.url,
            }
        reports, skipped = _bench(plan, databases, pg_admin_url, slack)
    return reports, skipped


def _bench(
    plan: Plan, databases: list[str], pg_admin_url: str, slack: dict[str, str] | None
) -> tuple[list[DatabaseReport], list[str]]:
    reports: list[DatabaseReport] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="leadrouter-intake-") as tmp:
        for kind in databases:
            if kind == "postgresql" and (why_not := postgres_available(pg_admin_url)):
                skipped.append(f"postgresql skipped ({_redact(pg_admin_url)}: {why_not})")
                continue
            workdir = Path(tmp) / kind
            workdir.mkdir()
            with ExitStack() as stack:
                targets = []
                for name in ("leadrouter", "floor"):
                    fresh = (
                        sqlite_database(workdir, name)
                        if kind == "sqlite"
                        else postgres_database(pg_admin_url, name)
                    )
                    database = stack.enter_context(fresh)
                    server = stack.enter_context(running(_start(name, database, workdir, slack)))
                    bodies = LeadBodies(tag=f"{kind[:2]}{name[:2]}")
                    targets.append(Target(server, database, bodies))
                _event_loop(drive(targets, plan))
                for target in targets:  # servers stopped first: every write is in
                    target.server.stop()
                report = DatabaseReport(kind, [r for t in targets for r in t.runs], [])
                report.integrity = [_integrity(t) for t in targets]
            reports.append(report)
    return reports, skipped


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)


# --- the report ---------------------------------------------------------------------------------


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(reports: list[DatabaseReport]) -> str:
    header = ("database", "server", "mode", "leads", "leads/s", "p50 ms", "p99 ms", "max ms",
              "errors", "server CPU ms/lead", "client cores", "other cores")  # fmt: skip
    rows = [header]
    for report in reports:
        for run in report.runs:
            rows.append(
                (
                    run.database,
                    run.server,
                    run.mode,
                    f"{run.accepted:,}",
                    f"{run.per_second:,.0f}",
                    f"{run.ms(0.50):.1f}",
                    f"{run.ms(0.99):.1f}",
                    f"{run.max_ms:.1f}",
                    str(run.errors),
                    f"{run.server_cpu * 1000 / max(run.accepted, 1):.2f}",
                    f"{run.client_cpu / run.wall:.2f}" if run.wall else "-",
                    f"{max(run.other_cpu, 0) / run.wall:.2f}" if run.wall else "-",
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


LEGEND = (
    "server CPU ms/lead: CPU time of the server process per lead it accepted; client cores / "
    "other cores: CPU cores in use on average by this client, and by everything else on the "
    "machine (the PostgreSQL server, other jobs) while the run lasted"
)


def verdicts(reports: list[DatabaseReport]) -> list[str]:
    lines = []
    for report in reports:
        db = report.database
        ours, floors = report.closed("leadrouter"), report.closed("floor")
        opened = report.run("leadrouter", "open")
        rounds = ", ".join(
            f"{a.per_second / b.per_second:.2f}" for a, b in zip(ours, floors, strict=True)
        )
        lines.append(
            f"{db}: leadrouter/floor throughput (median of {len(ours)} alternating rounds) = "
            f"{report.throughput('leadrouter'):,.0f} / {report.throughput('floor'):,.0f} "
            f"leads/s = {report.fraction:.2f} (target ≥ {TARGET_FRACTION}) "
            f"{_verdict(report.throughput_ok)}; round by round {rounds}"
        )
        lines.append(
            f"{db}: p99 at {opened.per_second:,.0f} leads/s = {opened.ms(0.99):.1f} ms "
            f"(target < {TARGET_P99_MS:.0f} ms) {_verdict(report.latency_ok)}"
        )
        if opened.max_lag > 0.005:
            lines.append(f"{db}: the open-loop client fell up to {opened.max_lag * 1000:.0f} ms "
                         "behind schedule (counted in latency)")  # fmt: skip
        for run in (opened, *ours):
            if run.scraped.get("leads"):
                total, batches = run.scraped["leads"], run.scraped["batches"]
                share = run.scraped["under"] / total
                lines.append(
                    f"{db}: server-side, {run.mode}: {share:.1%} of {total:,.0f} leads took "
                    f"< 50 ms (leadrouter_intake_seconds; excludes HTTP parsing and queueing); "
                    f"{run.scraped['batched'] / batches if batches else 0:.1f} leads per "
                    f"transaction on average (leadrouter_intake_batch_size)"
                )
        for check in report.integrity:
            lines.append(f"{db}: rows {check.describe()}")
        for run in report.runs:
            odd = {k: v for k, v in run.statuses.items() if k != "202"}
            if odd:
                lines.append(f"{db}: {run.server} {run.mode} answers other than 202: {odd}")
        lines.append(f"{db}: leads stored intact {_verdict(report.intact)}")
    return lines


def passed(reports: list[DatabaseReport]) -> bool:
    return bool(reports) and all(r.latency_ok and r.throughput_ok and r.intact for r in reports)


def _result(reports: list[DatabaseReport], notes: list[str]) -> Result:
    """The summary row: leadrouter's open-loop latency on the first database (SQLite)."""
    if not reports:
        nan = float("nan")
        return Result("intake", 0, nan, nan, nan, nan, 0.0, TARGET, False, notes)
    first = reports[0]
    opened = first.run("leadrouter", "open")
    return Result(
        name=f"intake http ({first.database}, {opened.per_second:.0f}/s)",
        count=opened.accepted,
        median_us=opened.ms(0.50) * 1000,
        p90_us=opened.ms(0.90) * 1000,
        p99_us=opened.ms(0.99) * 1000,
        max_us=opened.max_ms * 1000,
        per_second=first.throughput("leadrouter"),
        target=TARGET,
        passed=passed(reports),
        notes=notes,
    )


def setup_note(plan: Plan) -> str:
    return (
        f"{_cores()} CPU cores shared by client, server and database (loopback, one machine; "
        f"load average {os.getloadavg()[0]:.2f} at start); "
        f"open loop {plan.rate:g}/s for {plan.duration:g} s, closed loop {plan.concurrency} "
        f"clients × {plan.requests:,} leads (or {plan.time_limit:g} s) × {plan.rounds} rounds, "
        f"{plan.warmup} warm-up "
        f"leads per server, {plan.client} client"
        + (
            "; leadrouter also delivers every card to a realistic Slack stand-in (150–250 ms a "
            "call, one post a second per channel), in the same process"
            if plan.with_slack
            else "; Slack not configured (cards wait in the outbox)"
        )
    )


def _cores() -> int:
    return len(os.sched_getaffinity(0))


def run(
    quick: bool = False,
    plan: Plan | None = None,
    databases: list[str] | None = None,
    pg_admin_url: str = DEFAULT_PG_ADMIN_URL,
) -> Result:
    plan = plan or (QUICK if quick else FULL)
    # a quick run is a smoke test: SQLite only, which keeps it near 20 s
    databases = databases or (["sqlite"] if quick else ["sqlite", "postgresql"])
    reports, skipped = bench(plan, databases, pg_admin_url)
    notes = [setup_note(plan), *skipped, *table(reports).splitlines(), LEGEND, *verdicts(reports)]
    return _result(reports, notes)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.intake_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="short runs, for a smoke test")
    parser.add_argument("--rate", type=float, help="open-loop leads per second")
    parser.add_argument("--duration", type=float, help="open-loop seconds")
    parser.add_argument("--concurrency", type=int, help="closed-loop clients")
    parser.add_argument("--requests", type=int, help="closed-loop leads per server and round")
    parser.add_argument("--rounds", type=int, help="closed-loop rounds per server (median)")
    parser.add_argument(
        "--client",
        choices=sorted(CLIENTS),
        default="loopback",
        help="the load generator's HTTP client (httpx costs far more client CPU)",
    )
    parser.add_argument(
        "--databases",
        help="comma-separated: sqlite, postgresql (default both; --quick: sqlite)",
    )
    parser.add_argument(
        "--with-slack",
        action="store_true",
        help="configure Slack: leadrouter delivers its cards to a realistic stand-in meanwhile",
    )
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_PG_ADMIN_URL),
        help="a PostgreSQL URL allowed to CREATE DATABASE (env BENCH_POSTGRES_URL)",
    )
    args = parser.parse_args(argv)
    base = QUICK if args.quick else FULL
    plan = Plan(
        rate=args.rate or base.rate,
        duration=args.duration or base.duration,
        concurrency=args.concurrency or base.concurrency,
        requests=args.requests or base.requests,
        warmup=base.warmup,
        client=args.client,
        time_limit=base.time_limit,
        rounds=args.rounds or base.rounds,
        with_slack=args.with_slack,
    )
    if min(plan.rate, plan.duration, plan.concurrency, plan.requests, plan.rounds) <= 0:
        parser.error("rate, duration, concurrency, requests and rounds must be positive")
    chosen = args.databases or ("sqlite" if args.quick else "sqlite,postgresql")
    databases = [d.strip() for d in chosen.split(",") if d.strip()]
    if unknown := set(databases) - {"sqlite", "postgresql"}:
        parser.error(f"unknown database(s): {', '.join(sorted(unknown))}")
    started = time.perf_counter()
    print(setup_note(plan), flush=True)
    reports, skipped = bench(plan, databases, args.pg_admin_url)
    for line in skipped:
        print(line)
    print(table(reports))
    print(LEGEND)
    print()
    for line in verdicts(reports):
        print(line)
    ok = passed(reports)
    print()
    print(format_table([_result(reports, [])]))
    print(f"targets ({TARGET}): {_verdict(ok)}")
    print(f"wall time {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
