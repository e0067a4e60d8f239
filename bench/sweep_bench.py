"""How long the escalation sweep takes with 100,000 open leads, of which 1,000 are due.

    python -m bench.sweep_bench [--database URL] [--leads N] [--due N] [--runs N] [--quick]

Leads are bulk-inserted (not routed one by one): one pool of 50 reps with the whole ladder
(remind 5m, pass 10m, open to the pool 15m, manager 20m, leadership 30m). The open leads that
are not due sit at the start of their ladder; the due ones are spread evenly over the five
steps, each with exactly one step due, so a run takes as many passes (a routing decision, a
new owner, rotation) as reminders.

Two figures, each the median of several runs:
- idle: a sweep that finds nothing due (the scheduler does this every 5 s). Target < 100 ms.
- due: one sweep that takes the 1,000 due steps (events, outbox rows, re-routes), committed.
  Target < 1 s.
Between runs the leads of the last run are closed and a fresh 1,000 due leads are inserted.
SQLite always runs (a temporary file); PostgreSQL too when --database or TEST_DATABASE_URL
names one (the bench works in a schema of its own and drops it afterwards).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, create_engine, func, insert, select, text, update

from bench import Result
from routing import RoutingConfig
from routing.loader import parse_config
from storage import escalation
from storage.db import database_url, make_engine
from storage.migrate import upgrade
from storage.models import LeadRow, LeadState

IDLE_LIMIT_MS = 100.0
DUE_LIMIT_MS = 1000.0
TARGET = "idle < 100 ms, 1,000 due steps < 1 s"
REPS = 50
# (seconds after assignment, action, channel): the ladder every seeded lead follows
LADDER = (
    (5 * 60, "remind", None),
    (10 * 60, "pass", None),
    (15 * 60, "open_to_pool", None),
    (20 * 60, "manager", None),
    (30 * 60, "leadership", "C0LEADS"),
)
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
CHUNK = 5000


def build_config(reps: int = REPS) -> RoutingConfig:
    names = [f"rep{i:03d}" for i in range(reps)]
    people = "\n".join(f"  {n}: {{slack_id: U0{n.upper()}, name: Rep {n[3:]}}}" for n in names)
    steps = "\n".join(
        f"      - {{after: {after // 60}m, action: {action}"
        + (f", channel: {channel}" if channel else "")
        + "}"
        for after, action, channel in LADDER
    )
    return parse_config(
        f"""
timezone: UTC
hours: always
reps:
{people}
pools:
  sales: {{members: [{", ".join(names)}], channel: C0SALES, escalation: full, manager: U0BOSS}}
rules:
  - name: Everyone
    pool: sales
triage: {{channel: C0TRIAGE}}
managers: [U0BOSS]
escalation_policies:
  full:
    steps:
{steps}
""",
        "bench.yml",
    )


def lead_row(n: int, owner: str, assigned_at: datetime, step: int) -> dict[str, Any]:
    """A lead assigned at `assigned_at` whose ladder has already climbed `step` steps."""
    ladder = [
        {
            "after": after,
            "action": action,
            "channel": channel,
            "at": (assigned_at + timedelta(seconds=after)).isoformat(),
        }
        for after, action, channel in LADDER
    ]
    data = {"email": f"buyer{n}@example{n}.com", "company": f"Example {n}", "employees": 50}
    return {
        "created_at": assigned_at,
        "source": "bench",
        "email": data["email"],
        "company": data["company"],
        "data": data,
        "state": LeadState.assigned.value,
        "owner": owner,
        "pool": "sales",
        "rule": "Everyone",
        "reason": f"Everyone → pool sales → round robin: {owner} was next",
        "priority": "normal",
        "sla_seconds": 1800,
        "assigned_at": assigned_at,
        "claim_due_at": assigned_at + timedelta(minutes=30),
        "escalate_at": datetime.fromisoformat(ladder[step]["at"]) if step < len(ladder) else None,
        "escalation_step": step,
        "escalation": ladder,
        "open_to_pool": step > 2,
        "previous_owners": [],
        "touches": 1,
    }


def insert_leads(engine: Engine, rows: Sequence[dict[str, Any]]) -> None:
    """Bulk insert (executemany) in chunks: seconds for 100,000 leads, not minutes."""
    table = LeadRow.__table__  # type: ignore[attr-defined]
    with engine.begin() as conn:
        for start in range(0, len(rows), CHUNK):
            conn.execute(insert(table), list(rows[start : start + CHUNK]))


def waiting_rows(count: int, now: datetime, members: Sequence[str], first: int = 0) -> list[dict]:
    """Open leads assigned within the last 4 minutes: nothing due yet."""
    return [
        lead_row(first + i, members[i % len(members)], now - timedelta(seconds=i % 240 + 1), step=0)
        for i in range(count)
    ]


def due_rows(count: int, now: datetime, members: Sequence[str], first: int = 0) -> list[dict]:
    """Leads with exactly one ladder step due, spread evenly over the five steps."""
    rows = []
    for i in range(count):
        step = i % len(LADDER)
        assigned_at = now - timedelta(seconds=LADDER[step][0] + i % 240 + 1)
        rows.append(lead_row(first + i, members[i % len(members)], assigned_at, step))
    return rows


def overdue_rows(count: int, now: datetime, members: Sequence[str], first: int = 0) -> list[dict]:
    """Leads whose whole ladder fell due while nothing ran (a restart catches up on them)."""
    return [
        lead_row(first + i, members[i % len(members)], now - timedelta(hours=1), step=0)
        for i in range(count)
    ]


# ------------------------------------------------------------------ databases


@contextmanager
def sqlite_database() -> Iterator[Engine]:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{folder}/bench.db")
        upgrade(engine)
        try:
            yield engine
        finally:
            engine.dispose()


@contextmanager
def postgres_database(url: str) -> Iterator[Engine]:
    """A fresh schema in the named database, dropped afterwards."""
    url = database_url(url)
    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine = create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


# ------------------------------------------------------------------ the measurement


def maintain(engine: Engine) -> None:
    """Planner statistics (and PostgreSQL's visibility map), as a live database keeps them:
    autovacuum on PostgreSQL, `PRAGMA optimize` or ANALYZE on SQLite."""
    statement = "VACUUM ANALYZE leads" if engine.dialect.name == "postgresql" else "ANALYZE"
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(statement))


@dataclass
class Figures:
    database: str
    leads: int
    due: int
    seed_s: float
    idle_ms: list[float]
    due_ms: list[float]
    cpu_ms: list[float]
    steps: Counter[str]

    @property
    def idle_median(self) -> float:
        return statistics.median(self.idle_ms)

    @property
    def due_median(self) -> float:
        return statistics.median(self.due_ms)

    def passed(self) -> bool:
        return self.idle_median < IDLE_LIMIT_MS and self.due_median < DUE_LIMIT_MS * self.due / 1000

    def lines(self) -> list[str]:
        runs = len(self.due_ms)
        return [
            f"{self.database}: {self.leads:,} open leads seeded in {self.seed_s:.1f} s",
            f"  idle sweep (nothing due): median {self.idle_median:.2f} ms, "
            f"max {max(self.idle_ms):.2f} ms over {len(self.idle_ms)} runs "
            f"(target < {IDLE_LIMIT_MS:.0f} ms)",
            f"  {self.due:,} due steps in one sweep: median {self.due_median:.0f} ms, "
            f"min {min(self.due_ms):.0f}, max {max(self.due_ms):.0f} over {runs} runs "
            f"(target < {DUE_LIMIT_MS * self.due / 1000:.0f} ms); "
            f"{self.due / (self.due_median / 1000):,.0f} steps/s; "
            f"CPU of this process {statistics.median(self.cpu_ms):.0f} ms",
            "  steps per run: "
            + ", ".join(f"{action} {n // runs}" for action, n in sorted(self.steps.items())),
        ]


def measure(engine: Engine, name: str, leads: int, due: int, runs: int, idle_runs: int) -> Figures:
    config = build_config()
    members = list(config.pools["sales"].members)
    started = time.perf_counter()
    insert_leads(engine, waiting_rows(leads - due, NOW, members))
    seed_s = time.perf_counter() - started
    maintain(engine)

    idle_ms = []
    for _ in range(idle_runs):
        begin = time.perf_counter()
        taken = escalation.sweep(engine, config, NOW)
        idle_ms.append((time.perf_counter() - begin) * 1000)
        assert taken == [], "nothing should be due"

    due_ms: list[float] = []
    cpu_ms: list[float] = []  # this process only: Python and the SQLite library, not PostgreSQL
    steps: Counter[str] = Counter()
    for run in range(runs):
        with engine.connect() as conn:
            last_id = conn.execute(select(func.max(LeadRow.id))).scalar_one()
        insert_leads(engine, due_rows(due, NOW, members, first=leads + run * due))
        begin, cpu = time.perf_counter(), time.process_time()
        taken = escalation.sweep(engine, config, NOW)
        due_ms.append((time.perf_counter() - begin) * 1000)
        cpu_ms.append((time.process_time() - cpu) * 1000)
        assert len(taken) == due, f"expected {due} steps, took {len(taken)}"
        steps.update(step.action for step in taken)
        with engine.begin() as conn:  # close this run's leads so the next run starts alike
            conn.execute(
                update(LeadRow)
                .where(LeadRow.id > last_id)  # type: ignore[operator]
                .values(state=LeadState.won.value, escalate_at=None)
            )
    return Figures(name, leads, due, seed_s, idle_ms, due_ms, cpu_ms, steps)


def collect(
    quick: bool, database: str | None = None, leads: int | None = None, due: int | None = None,
    runs: int | None = None,
) -> list[Figures]:  # fmt: skip
    leads = leads or (20_000 if quick else 100_000)
    due = due or (1000 if not quick else 500)
    runs = runs or (3 if quick else 7)
    idle_runs = 10 if quick else 30
    figures = []
    with sqlite_database() as engine:
        figures.append(measure(engine, "sqlite", leads, due, runs, idle_runs))
    url = database or os.environ.get("TEST_DATABASE_URL")
    if url:
        with postgres_database(url) as engine:
            figures.append(measure(engine, "postgresql", leads, due, runs, idle_runs))
    return figures


def run(quick: bool = False) -> Result:
    figures = collect(quick)
    samples = [ms * 1000 for f in figures for ms in f.due_ms]
    ordered = sorted(samples)
    names = " + ".join(f.database for f in figures)
    total_steps = sum(f.due * len(f.due_ms) for f in figures)
    return Result(
        name=f"escalation.sweep, {figures[0].due:,} due ({names})",
        count=len(samples),
        median_us=statistics.median(ordered),
        p90_us=ordered[max(0, round(0.9 * len(ordered)) - 1)],
        p99_us=ordered[-1],
        max_us=ordered[-1],
        per_second=total_steps / (sum(samples) / 1e6),
        target=TARGET,
        passed=all(f.passed() for f in figures),
        notes=[line for f in figures for line in f.lines()],
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.sweep_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--database", help="PostgreSQL URL (default: TEST_DATABASE_URL)")
    parser.add_argument("--leads", type=int, help="open leads (default 100,000)")
    parser.add_argument("--due", type=int, help="due leads per run (default 1,000)")
    parser.add_argument("--runs", type=int, help="timed runs of the due sweep (default 7)")
    parser.add_argument("--quick", action="store_true", help="20,000 leads, 500 due, 3 runs")
    args = parser.parse_args(argv)
    figures = collect(args.quick, args.database, args.leads, args.due, args.runs)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    if load is not None:
        print(f"load average {load:.1f} on {os.cpu_count()} CPUs (others' work slows the figures)")
    for f in figures:
        print("\n".join(f.lines()))
    ok = all(f.passed() for f in figures)
    print(f"target {TARGET}: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
