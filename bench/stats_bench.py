"""How long /routing-stats 90d takes over a million events, on SQLite and PostgreSQL.

    python -m bench.stats_bench [--events N] [--runs R] [--database URL] [--sqlite-only]

Seeds a fresh, migrated database with a realistic 100-day history for a 30-rep team in 12
pools: ~150,000 leads and ~1,000,000 events (received, routed, repeat touches, reminders and
passes up the ladder, "not mine", claims, reassignments, contacts, outcomes, time away), with
their assignment rows, by bulk insert. Claim times are log-normal around 4 minutes (a long tail
past the 30-minute SLA), first contact ~15 minutes after the claim, outcomes days later.

Then times, median over R runs: build_report() for 90 days over all pools and for one pool, and
rendering the Block Kit message. Target: report + render < 2 s per database.

Why the 3-second ack is not at stake: the listener (bot/slack/listeners/stats.py) calls ack()
before it reads anything, and Bolt runs with process_before_response=False, so Slack gets its
HTTP 200 (or the Socket Mode ack) at once; the report goes out afterwards through
response_url, which Slack accepts for 30 minutes. What the user waits for is the time measured
here.

PostgreSQL runs when --database or TEST_DATABASE_URL names one: the data goes into a new schema
that is dropped afterwards (--keep keeps it and prints its name).
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from bench import Result, format_table, summarise_ns
from bot import stats_render
from routing import RoutingConfig
from routing.loader import parse_config
from storage.analytics import build_report
from storage.db import database_url, make_engine
from storage.migrate import upgrade

TARGET = "report + render < 2 s"
LIMIT_S = 2.0
FULL_EVENTS = 1_000_000
QUICK_EVENTS = 100_000
DAYS = 100  # history length: the 90-day report leaves the oldest leads out
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
BATCH_LEADS = 5_000
POOLS = 12
REPS = 30


# ---------------------------------------------------------------- the team


def team() -> RoutingConfig:
    """30 reps (weights 1-3) in 12 overlapping pools, half weighted, one ladder."""
    rnd = random.Random(7)
    lines = [
        "timezone: UTC",
        "hours: always",
        "sla: 30m",
        "reps:",
        "  boss: {slack_id: U0BOSS, name: Boss}",
    ]
    for r in range(1, REPS + 1):
        lines.append(f"  r{r:02d}: {{slack_id: U{r:04d}, name: Rep {r:02d}, weight: {r % 3 + 1}}}")
    lines.append("pools:")
    for p in range(1, POOLS + 1):
        members = sorted(rnd.sample(range(1, REPS + 1), rnd.randint(4, 8)))
        strategy = "weighted" if p % 2 else "round_robin"
        names = ", ".join(f"r{m:02d}" for m in members)
        lines.append(
            f"  p{p:02d}: {{members: [{names}], strategy: {strategy}, escalation: standard}}"
        )
    lines += ["rules:", "  - {name: Tiny companies, when: {employees: {lt: 5}}, nurture: true}"]
    for k in range(1, 2 * POOLS + 1):
        pool = (k - 1) % POOLS + 1
        lines.append(
            f"  - {{name: Segment {k:02d}, when: {{employees: {{gte: {k}}}}}, pool: p{pool:02d}}}"
        )
    lines += [
        "fallback: p01",
        "triage: {channel: C0TRIAGE}",
        "managers: [boss]",
        "escalation_policies:",
        "  standard:",
        "    steps:",
        "      - {after: 15m, action: remind}",
        "      - {after: 30m, action: pass}",
        "      - {after: 1h, action: manager}",
    ]
    return parse_config("\n".join(lines) + "\n", "bench-team.yml")


# ---------------------------------------------------------------- the history

LEAD_COLUMNS = [
    "id",
    "created_at",
    "source",
    "email",
    "company",
    "data",
    "state",
    "owner",
    "pool",
    "rule",
    "reason",
    "priority",
    "sla_seconds",
    "assigned_at",
    "claim_due_at",
    "escalate_at",
    "escalation_step",
    "escalation",
    "open_to_pool",
    "claimed_at",
    "claimed_by",
    "contacted_at",
    "closed_at",
    "previous_owners",
    "touches",
]
EVENT_COLUMNS = [
    "lead_id",
    "at",
    "kind",
    "actor",
    "from_state",
    "to_state",
    "owner",
    "pool",
    "rule",
    "reason",
    "detail",
]
ASSIGNMENT_COLUMNS = [
    "lead_id",
    "at",
    "kind",
    "outcome",
    "owner",
    "pool",
    "rule",
    "reason",
    "trace",
    "exclusions",
]


@dataclass
class Batch:
    leads: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    assignments: list[tuple] = field(default_factory=list)


class History:
    """Writes a plausible life for each lead, as rows; `when` converts times for the driver."""

    def __init__(self, config: RoutingConfig, seed: int, when: Callable[[datetime], Any]) -> None:
        self.config = config
        self.rnd = random.Random(seed)
        self.when = when
        self.rules = [r for r in config.rules if r.pool]
        self.events = 0
        self.away = self._away_periods()

    def _away_periods(self) -> dict[str, list[tuple[datetime, datetime]]]:
        """Two to four stretches off per rep (a day to a week each) over the history."""
        periods: dict[str, list[tuple[datetime, datetime]]] = {}
        for rep in self.config.reps:
            spans = []
            for _ in range(self.rnd.randint(2, 4)):
                start = NOW - timedelta(days=self.rnd.uniform(0, DAYS))
                spans.append((start, start + timedelta(days=self.rnd.uniform(1, 7))))
            periods[rep] = sorted(spans)
        return periods

    def availability_events(self) -> list[tuple]:
        rows = []
        for rep, spans in self.away.items():
            for start, end in spans:
                planned = json.dumps({"rep": rep, "until": end.isoformat()})
                rows.append(
                    (
                        None,
                        self.when(start),
                        "away",
                        rep,
                        None,
                        None,
                        None,
                        None,
                        None,
                        "holiday",
                        planned,
                    )
                )
                if end < NOW:
                    rows.append(
                        (
                            None,
                            self.when(end),
                            "back",
                            "leadrouter",
                            None,
                            None,
                            None,
                            None,
                            None,
                            "time away ended",
                            json.dumps({"rep": rep}),
                        )
                    )
        self.events += len(rows)
        return rows

    def _is_away(self, rep: str, at: datetime) -> bool:
        return any(start <= at < end for start, end in self.away[rep])

    def _pick(self, pool_id: str, at: datetime, exclude: set[str]) -> str | None:
        pool = self.config.pools[pool_id]
        members = [m for m in pool.members if m not in exclude and not self._is_away(m, at)]
        if not members:
            return None
        weights = [
            self.config.reps[m].weight if pool.strategy.value == "weighted" else 1 for m in members
        ]
        return self.rnd.choices(members, weights)[0]

    def _delay(self, median_s: float, sigma: float) -> timedelta:
        return timedelta(seconds=self.rnd.lognormvariate(math.log(median_s), sigma))

    def batch(self, first_id: int, count: int, total: int) -> Batch:
        """Leads `first_id`.. in the order they arrived (ids rise with time, as in production)."""
        out = Batch()
        step = (DAYS * 86400 - 60) / total
        for lead_id in range(first_id, min(first_id + count, total + 1)):
            offset = (lead_id - 1 + self.rnd.random()) * step
            self._lead(out, lead_id, NOW - timedelta(days=DAYS) + timedelta(seconds=offset))
        self.events += len(out.events)
        return out

    def _lead(self, out: Batch, lead_id: int, created: datetime) -> None:
        rnd, when = self.rnd, self.when
        email = f"buyer{lead_id}@company{lead_id % 9973}.com"
        company = f"Company {lead_id % 9973}"
        lead: dict[str, Any] = {
            "state": "assigned",
            "owner": None,
            "pool": None,
            "rule": None,
            "assigned_at": None,
            "claim_due_at": None,
            "claimed_at": None,
            "claimed_by": None,
            "contacted_at": None,
            "closed_at": None,
            "previous_owners": [],
            "touches": 1,
        }
        events = out.events

        def event(
            at: datetime,
            kind: str,
            actor: str,
            from_state: str | None,
            detail: dict[str, Any] | None = None,
            reason: str = "",
        ) -> None:
            events.append(
                (
                    lead_id,
                    when(at),
                    kind,
                    actor,
                    from_state,
                    lead["state"],
                    lead["owner"],
                    lead["pool"],
                    lead["rule"],
                    reason,
                    json.dumps(detail or {}),
                )
            )

        def offer(at: datetime, kind: str, outcome: str) -> None:
            out.assignments.append(
                (
                    lead_id,
                    when(at),
                    kind,
                    outcome,
                    lead["owner"],
                    lead["pool"],
                    lead["rule"],
                    "bench",
                    "[]",
                    "[]",
                )
            )

        event(created, "received", "leadrouter", None, reason="from generic")
        roll = rnd.random()
        if roll < 0.04:  # nurture
            lead.update(state="nurture", rule="Tiny companies")
            offer(created, "intake", "nurture")
            event(created, "nurture", "leadrouter", "triage", {"via": "intake"})
            self._finish(out, lead_id, created, email, company, lead)
            return
        rule = rnd.choice(self.rules)
        pool = rule.pool or "p01"
        owner = None if roll < 0.06 else self._pick(pool, created, set())
        if owner is None:  # nobody could take it: triage, claimed from there by someone
            lead.update(state="triage")
            offer(created, "intake", "triage")
            event(created, "triage", "leadrouter", "triage", {"via": "intake"})
            claim_at = created + self._delay(900, 1.0)
            if claim_at < NOW:
                rep = f"r{rnd.randint(1, REPS):02d}"
                lead.update(state="claimed", owner=rep, claimed_at=claim_at, claimed_by=rep)
                event(claim_at, "claimed", rep, "triage")
                self._work(out, lead_id, lead, claim_at, event)
            self._finish(out, lead_id, created, email, company, lead)
            return
        sla = 1800
        lead.update(
            state="assigned",
            owner=owner,
            pool=pool,
            rule=rule.name,
            assigned_at=created,
            claim_due_at=created + timedelta(seconds=sla),
        )
        offer(created, "intake", "assigned")
        event(created, "assigned", "leadrouter", "triage", {"via": "intake"})
        for _ in range(rnd.choice((0, 0, 0, 1, 1, 2))):  # the same person writes again
            lead["touches"] += 1
            event(created + self._delay(3600, 1.5), "repeat_touch", "leadrouter", None)
        forgotten = rnd.random() < 0.002  # nobody ever claims it: the whole ladder, then triage
        wait = timedelta(days=DAYS) if forgotten else self._delay(240, 1.2)
        claim_at = created + wait
        moved_at = created
        if rnd.random() < 0.05:  # "not mine" before anything else
            moved_at = created + self._delay(90, 0.8)
            if moved_at < min(claim_at, NOW):
                self._move(lead, moved_at, "declined", lead["owner"], event, offer)
        # the ladder (examples/routing.yml's standard): remind at 15m, pass at 30m, manager at
        # 1h, on the clock of the first assignment
        ladder = [(15, "remind"), (30, "pass"), (60, "manager")]
        for step, (minutes, action) in enumerate(ladder):
            due = created + timedelta(minutes=minutes)
            if wait <= timedelta(minutes=minutes) or due >= NOW or lead["state"] != "assigned":
                break
            detail = {"action": action, "step": step, "owner": lead["owner"]}
            if action == "pass":
                self._move(lead, due, "escalated", "leadrouter", event, offer, detail)
            else:
                event(due, "escalated", "leadrouter", "assigned", detail, action)
        if lead["state"] != "assigned":  # passed into triage: someone there claims it
            if claim_at < NOW:
                rep = f"r{rnd.randint(1, REPS):02d}"
                lead.update(state="claimed", owner=rep, claimed_at=claim_at, claimed_by=rep)
                event(claim_at, "claimed", rep, "triage")
                self._work(out, lead_id, lead, claim_at, event)
            self._finish(out, lead_id, created, email, company, lead)
            return
        if claim_at >= NOW:  # still waiting
            self._finish(out, lead_id, created, email, company, lead)
            return
        rep = lead["owner"]
        lead.update(state="claimed", claimed_at=claim_at, claimed_by=rep)
        event(claim_at, "claimed", rep, "assigned")
        if rnd.random() < 0.02:  # a manager moves it after the claim; the new owner claims
            moved = claim_at + self._delay(3600, 1.0)
            new = self._pick(pool, moved, {rep})
            if new is not None and moved + timedelta(minutes=5) < NOW:
                lead["previous_owners"] = [*lead["previous_owners"], rep]
                lead.update(state="assigned", owner=new, claimed_at=None, claimed_by=None)
                offer(moved, "reassign", "assigned")
                event(moved, "reassigned", "boss", "claimed", {"from": rep, "to": new})
                claim_at = moved + timedelta(minutes=rnd.uniform(1, 5))
                lead.update(state="claimed", claimed_at=claim_at, claimed_by=new)
                event(claim_at, "claimed", new, "assigned")
        self._work(out, lead_id, lead, claim_at, event)
        self._finish(out, lead_id, created, email, company, lead)

    def _move(
        self,
        lead: dict[str, Any],
        at: datetime,
        kind: str,
        actor: str | None,
        event: Callable[..., None],
        offer: Callable[..., None],
        detail: dict[str, Any] | None = None,
    ) -> None:
        previous = lead["owner"]
        lead["previous_owners"] = [*lead["previous_owners"], previous]
        event(at, kind, actor or "leadrouter", "assigned", {"from": previous, **(detail or {})})
        new = self._pick(lead["pool"], at, set(lead["previous_owners"]))
        if new is None:
            lead.update(state="triage", owner=None, pool=None)
            offer(at, kind, "triage")
            event(at, "triage", "leadrouter", "assigned", {"via": kind})
            return
        lead.update(owner=new, assigned_at=at)
        offer(at, kind, "assigned")
        event(at, "assigned", "leadrouter", "assigned", {"via": kind})

    def _work(
        self,
        out: Batch,
        lead_id: int,
        lead: dict[str, Any],
        claimed: datetime,
        event: Callable[..., None],
    ) -> None:
        rnd = self.rnd
        if rnd.random() < 0.15:
            return
        contacted = claimed + self._delay(900, 1.0)
        if contacted >= NOW:
            return
        lead.update(state="contacted", contacted_at=contacted)
        event(contacted, "contacted", lead["owner"], "claimed", reason="contacted")
        if rnd.random() < 0.35:
            return
        closed = contacted + self._delay(3 * 86400, 1.0)
        if closed >= NOW:
            return
        outcome = rnd.choices(("won", "lost", "disqualified"), (25, 45, 30))[0]
        lead.update(state=outcome, closed_at=closed)
        event(closed, "outcome", lead["owner"], "contacted", reason=outcome)

    def _finish(
        self,
        out: Batch,
        lead_id: int,
        created: datetime,
        email: str,
        company: str,
        lead: dict[str, Any],
    ) -> None:
        when = self.when
        data = json.dumps({"email": email, "company": company, "name": f"Buyer {lead_id}"})
        out.leads.append(
            (
                lead_id,
                when(created),
                "generic",
                email,
                company,
                data,
                lead["state"],
                lead["owner"],
                lead["pool"],
                lead["rule"],
                "bench",
                "normal",
                1800,
                _maybe(when, lead["assigned_at"]),
                _maybe(when, lead["claim_due_at"]),
                None,
                0,
                "[]",
                False,
                _maybe(when, lead["claimed_at"]),
                lead["claimed_by"],
                _maybe(when, lead["contacted_at"]),
                _maybe(when, lead["closed_at"]),
                json.dumps(lead["previous_owners"]),
                lead["touches"],
            )
        )


def _maybe(when: Callable[[datetime], Any], moment: datetime | None) -> Any:
    return None if moment is None else when(moment)


# ---------------------------------------------------------------- bulk insert


def _sqlite_time(moment: datetime) -> str:
    """As SQLAlchemy stores a naive UTC DateTime in SQLite (so range comparisons match)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _pg_time(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


EVENTS_PER_LEAD = 5.27  # what History writes on average: sizes the run for --events


def seed(
    engine: Engine, config: RoutingConfig, events: int, seed_value: int = 1
) -> tuple[int, int]:
    """Fill a migrated, empty database with about `events` events; returns (leads, events).

    Rows go in in time order, as the app writes them (a lead before its events; events and
    assignments by time), so the tables' physical order is like a production database's."""
    postgres = engine.dialect.name == "postgresql"
    history = History(config, seed_value, _pg_time if postgres else _sqlite_time)
    total = round(events / EVENTS_PER_LEAD)
    pending: dict[str, list[tuple[Any, int, tuple]]] = {"events": [], "assignments": []}
    order = itertools.count()

    def queue(table: str, rows: list[tuple]) -> None:
        for row in rows:
            heapq.heappush(pending[table], (row[1], next(order), row))

    def due(table: str, until: Any) -> list[tuple]:
        heap, out = pending[table], []
        while heap and (until is None or heap[0][0] <= until):
            out.append(heapq.heappop(heap)[2])
        return out

    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if not postgres:  # a throwaway database: no fsync per commit while seeding
            cursor.execute("PRAGMA synchronous=OFF")

        def insert(table: str, columns: list[str], rows: list[tuple]) -> None:
            if not rows:
                return
            if postgres:
                with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
                )

        queue("events", history.availability_events())
        for first in range(1, total + 1, BATCH_LEADS):
            batch = history.batch(first, BATCH_LEADS, total)
            queue("events", batch.events)
            queue("assignments", batch.assignments)
            insert("leads", LEAD_COLUMNS, batch.leads)
            last = batch.leads[-1][1]  # nothing later can happen before the last arrival
            insert("events", EVENT_COLUMNS, due("events", last))
            insert("assignments", ASSIGNMENT_COLUMNS, due("assignments", last))
            raw.commit()
        insert("events", EVENT_COLUMNS, due("events", None))
        insert("assignments", ASSIGNMENT_COLUMNS, due("assignments", None))
        raw.commit()
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return total, history.events


# ---------------------------------------------------------------- timing


@dataclass
class Timing:
    database: str
    leads: int
    events: int
    seed_s: float
    report_all: list[float]
    report_pool: list[float]
    render: list[float]
    cpu_all: list[float]  # this process's CPU time for report_all (SQLite: all of the work)

    def total_all(self) -> float:
        return statistics.median(self.report_all) + statistics.median(self.render)

    def lines(self) -> list[str]:
        med = statistics.median
        return [
            f"{self.database}: {self.leads:,} leads, {self.events:,} events (seeded in "
            f"{self.seed_s:.0f} s)",
            f"  build_report 90d, all pools: median {med(self.report_all):.3f} s "
            f"(runs {', '.join(f'{t:.3f}' for t in self.report_all)})",
            f"  build_report 90d, all pools: median {med(self.cpu_all):.3f} s CPU in this process"
            + (" (the server's work is not in it)" if self.database != "sqlite" else ""),
            f"  build_report 90d, one pool:  median {med(self.report_pool):.3f} s",
            f"  Block Kit render:            median {med(self.render) * 1000:.1f} ms",
            f"  report + render:             {self.total_all():.3f} s (target < {LIMIT_S:.0f} s)",
        ]


def measure(engine: Engine, config: RoutingConfig, name: str, events: int, runs: int) -> Timing:
    started = time.perf_counter()
    leads, written = seed(engine, config, events)
    seed_s = time.perf_counter() - started
    since = NOW - timedelta(days=90)
    report_all, report_pool, render, cpu_all = [], [], [], []
    for _ in range(runs):
        c0 = time.process_time()
        t0 = time.perf_counter()
        report = build_report(engine, config, since, NOW)
        t1 = time.perf_counter()
        cpu_all.append(time.process_time() - c0)
        blocks = stats_render.blocks(report, config, "90d")
        t2 = time.perf_counter()
        build_report(engine, config, since, NOW, "p03")
        t3 = time.perf_counter()
        report_all.append(t1 - t0)
        render.append(t2 - t1)
        report_pool.append(t3 - t2)
    assert report.received > 0 and len(blocks) <= 50, "the report read nothing"
    return Timing(name, leads, written, seed_s, report_all, report_pool, render, cpu_all)


def _sqlite(events: int, runs: int, config: RoutingConfig, path: Path | None) -> Timing:
    with tempfile.TemporaryDirectory() as tmp:
        file = path or Path(tmp) / "stats-bench.db"
        engine = make_engine(f"sqlite:///{file}")
        upgrade(engine)
        try:
            return measure(engine, config, "sqlite", events, runs)
        finally:
            engine.dispose()


def _postgres(url: str, events: int, runs: int, config: RoutingConfig, keep: bool) -> Timing:
    url = database_url(url)
    schema = f"stats_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        return measure(engine, config, "postgresql", events, runs)
    finally:
        engine.dispose()
        if keep:
            print(f"kept schema {schema}", file=sys.stderr)
        else:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def timings(
    events: int,
    runs: int,
    postgres_url: str | None,
    keep: bool = False,
    sqlite_path: Path | None = None,
) -> list[Timing]:
    config = team()
    out = [_sqlite(events, runs, config, sqlite_path)]
    if postgres_url:
        out.append(_postgres(postgres_url, events, runs, config, keep))
    return out


def _result(found: list[Timing]) -> Result:
    samples = [
        int((a + r) * 1e9) for t in found for a, r in zip(t.report_all, t.render, strict=True)
    ]
    names = "+".join(t.database for t in found)
    result = summarise_ns(f"routing-stats 90d ({names})", samples, TARGET, {})
    passed = all(t.total_all() < LIMIT_S for t in found)
    notes = [line for t in found for line in t.lines()]
    notes.append(f"load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    return Result(**{**result.__dict__, "passed": passed, "notes": notes})


def run(quick: bool) -> Result:
    """For `python -m bench`: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""
    events = QUICK_EVENTS if quick else FULL_EVENTS
    return _result(timings(events, 3 if quick else 5, os.environ.get("TEST_DATABASE_URL")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.stats_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--events", type=int, default=FULL_EVENTS)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database", help="PostgreSQL URL (default: TEST_DATABASE_URL)")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--sqlite-file", type=Path, help="keep the SQLite database here")
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL schema")
    args = parser.parse_args(argv)
    url = None if args.sqlite_only else (args.database or os.environ.get("TEST_DATABASE_URL"))
    found = timings(args.events, args.runs, url, args.keep, args.sqlite_file)
    result = _result(found)
    print("\n".join(result.notes))
    print(format_table([result]))
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())
