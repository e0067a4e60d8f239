"""Lead cards at Slack's speed: from the webhook's answer to the owner's DM card.

    python -m bench.delivery_bench [--quick] [--burst 100] [--burst-reps 20]
                                   [--rate 20] [--duration 60] [--sustained-reps 50]
                                   [--latency 0.15,0.25] [--slack-burst 3]

The Slack stand-in runs in this process in its realistic mode: every Web API call takes
--latency seconds (uniform; Slack's own round trip is 100–300 ms), and chat.postMessage is
paced at one message per second per channel with a burst of --slack-burst, then answered 429
with Retry-After, as Slack's rate-limit page describes (the burst size is not published; 3 is
our assumption). `leadrouter serve` runs in a subprocess with its scheduler (the outbox
delivery) on, a temp SQLite database and a team whose hours are `always`, in pools of 5 or 10
reps, each pool with its channel.

    burst      --burst leads at once from 16 senders, to --burst-reps reps: the time from each
               webhook's 202 to its owner's DM card arriving at the stand-in; p50, p99, max
    sustained  --rate leads/s for --duration s, open loop, to --sustained-reps reps: DM card
               p50 and p99, and the outbox's pending messages sampled every second from
               /metrics (it must not grow without bound: its last third is compared with its
               middle third)

Counted over both: the Web API calls the stand-in answered 429 (target ≤ 1 %). A DM card is the
first chat.postMessage into the owner's DM that carries the lead's buttons.
Targets: DM card p99 ≤ 2 s in both runs; 429s ≤ 1 % of calls; a bounded queue.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from bench import Result, format_table, percentile
from bench._servers import running, sqlite_database, start_leadrouter
from bench.intake_bench import LeadBodies, LoopbackClient, signed_headers
from slack_standin import Call, SlackStandin

TARGET_P99_S = 2.0
TARGET_429 = 0.01
TARGET = f"DM p99 ≤ {TARGET_P99_S:.0f} s, 429s ≤ 1 %"
WEBHOOK_SECRET = "bench-webhook-secret-for-delivery"
SIGNING_SECRET = "bench-slack-signing-secret-delivery"
TRIAGE = "C0DLVTRIAGE"


@dataclass(frozen=True)
class Plan:
    burst: int = 100
    burst_reps: int = 20
    rate: float = 20.0
    duration: float = 60.0
    sustained_reps: int = 50
    latency: tuple[float, float] = (0.15, 0.25)
    slack_burst: int = 3
    workers: int = 32  # LEADROUTER_SLACK_WORKERS
    phases: tuple[str, ...] = ("burst", "sustained")


FULL = Plan()
QUICK = Plan(burst=40, burst_reps=10, rate=10.0, duration=10.0, sustained_reps=20)


def team(reps: int) -> tuple[str, list[str], list[str]]:
    """routing.yml for `reps` reps in pools of 5 (10 from 50 reps on), and their Slack ids
    and the pools' channels."""
    size = 10 if reps >= 50 else 5
    ids = [f"rep{i:02d}" for i in range(1, reps + 1)]
    users = [f"U0DLV{i:03d}" for i in range(1, reps + 1)]
    pools = {}
    channels = []
    for n, start in enumerate(range(0, reps, size), 1):
        channel = f"C0DLVPOOL{n:02d}"
        channels.append(channel)
        pools[f"pool{n}"] = {
            "members": ids[start : start + size],
            "strategy": "round_robin",
            "channel": channel,
        }
    config = {
        "version": 1,
        "timezone": "UTC",
        "hours": "always",
        "sla": "30m",
        "reps": {
            rep: {"slack_id": user, "name": rep.title()}
            for rep, user in zip(ids, users, strict=False)
        },
        "pools": pools,
        # every lead matches one rule per pool in turn: leads spread over the pools
        "rules": [
            {"name": f"to {pool}", "when": {"email": {"contains": f"+{pool}@"}}, "pool": pool}
            for pool in pools
        ]
        + [{"name": "everyone else", "pool": next(iter(pools))}],
        "triage": {"channel": TRIAGE},
    }
    return yaml.safe_dump(config, sort_keys=False), users, channels


def bodies(count: int, pools: int, tag: str) -> list[bytes]:
    """Realistic leads whose email sends them round the pools."""
    made = []
    for n, body in enumerate(LeadBodies(tag=tag).take(count)):
        lead = json.loads(body)
        local, _, domain = lead["email"].partition("@")
        lead["email"] = f"{local}+pool{n % pools + 1}@{domain}"
        made.append(json.dumps(lead, ensure_ascii=False).encode())
    return made


@dataclass
class Watch:
    """Every Web API call as the stand-in answers it; the first DM card of each lead."""

    dm_channels: set[str] = field(default_factory=set)
    dm_at: dict[int, float] = field(default_factory=dict)  # lead id -> when its DM card landed
    calls: int = 0
    limited: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, call: Call) -> None:
        now = time.time()
        with self.lock:
            self.calls += 1
            if call.status == 429:
                self.limited += 1
            if call.method != "chat.postMessage" or not call.ok:
                return
            channel = call.answer.get("channel", "")
            if not channel.startswith("D"):
                return
            lead = _lead_of(call.params.get("blocks"))
            if lead is not None and lead not in self.dm_at:
                self.dm_at[lead] = now


def _lead_of(blocks: Any) -> int | None:
    for block in blocks or []:
        for element in block.get("elements", []) if isinstance(block, dict) else []:
            value = element.get("value") if isinstance(element, dict) else None
            if isinstance(value, str) and value.startswith("{"):
                return int(json.loads(value)["lead"])
    return None


@dataclass
class Phase:
    name: str
    answered: dict[int, float] = field(default_factory=dict)  # lead id -> webhook's 202 at
    refused: int = 0
    pending: list[float] = field(default_factory=list)  # outbox pending, sampled each second
    latencies: list[float] = field(default_factory=list)  # seconds, 202 -> DM card
    missing: int = 0

    def finish(self, watch: Watch) -> None:
        with watch.lock:
            got = dict(watch.dm_at)
        self.latencies = sorted(got[i] - t for i, t in self.answered.items() if i in got)
        self.missing = sum(1 for i in self.answered if i not in got)

    def p(self, fraction: float) -> float:
        if not self.latencies:
            return float("nan")
        as_ns = [int(x * 1e9) for x in self.latencies]
        return percentile(as_ns, fraction) / 1e9

    @property
    def bounded(self) -> bool:
        """The queue's last third is no longer than its middle third (plus slack)."""
        if len(self.pending) < 6:
            return True
        third = len(self.pending) // 3
        middle = statistics.mean(self.pending[third : 2 * third])
        last = statistics.mean(self.pending[2 * third :])
        return last <= middle * 1.25 + 20


async def _post(client: LoopbackClient, body: bytes, phase: Phase) -> None:
    status, answer = await client.post(
        "/webhooks/leads",
        body,
        {**signed_headers(body, WEBHOOK_SECRET), "Content-Type": "application/json"},
    )
    if status == 202:
        phase.answered[int(json.loads(answer)["lead_id"])] = time.time()
    else:
        phase.refused += 1


async def burst(url: str, leads: list[bytes], phase: Phase, senders: int = 16) -> None:
    client = LoopbackClient(url)
    queue = iter(leads)

    async def sender() -> None:
        for body in queue:
            await _post(client, body, phase)

    await asyncio.gather(*(sender() for _ in range(senders)))
    await client.aclose()


async def sustained(url: str, leads: list[bytes], rate: float, phase: Phase) -> None:
    client = LoopbackClient(url)
    start = time.perf_counter() + 0.05
    tasks = []
    sampler = asyncio.create_task(_sample(url, phase))
    for i, body in enumerate(leads):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_post(client, body, phase)))
    await asyncio.gather(*tasks)
    sampler.cancel()
    await client.aclose()


async def _sample(url: str, phase: Phase) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        while True:
            phase.pending.append(await _pending(http))
            await asyncio.sleep(1.0)


async def _pending(http: httpx.AsyncClient) -> float:
    text = (await http.get("/metrics")).text
    for line in text.splitlines():
        if line.startswith('leadrouter_outbox_messages{status="pending"}'):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def wait_for_cards(watch: Watch, phase: Phase, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with watch.lock:
            if all(i in watch.dm_at for i in phase.answered):
                return
        time.sleep(0.1)


def run_phase(
    name: str, plan: Plan, reps: int, workdir: Path, standin: SlackStandin, watch: Watch
) -> Phase:
    text, users, channels = team(reps)
    standin.reset()
    standin.realistic(latency=plan.latency, posts_per_second=1.0, burst=plan.slack_burst)
    for user in users:
        standin.add_user(user, user.lower(), tz="UTC")
    for channel in [*channels, TRIAGE]:
        standin.add_channel(channel, channel.lower())
    standin.on_call(watch)
    config = workdir / f"{name}.yml"
    config.write_text(text)
    phase = Phase(name)
    with (
        sqlite_database(workdir, name) as database,
        running(
            start_leadrouter(
                database,
                workdir,
                name=f"leadrouter-{name}",
                scheduler=True,
                ROUTING_CONFIG=str(config),
                WEBHOOK_SECRET=WEBHOOK_SECRET,
                SLACK_BOT_TOKEN=standin.token,
                SLACK_SIGNING_SECRET=SIGNING_SECRET,
                SLACK_API_URL=standin.url,
                LEADROUTER_SLACK_BURST=str(plan.slack_burst),
                LEADROUTER_SLACK_WORKERS=str(plan.workers),
            )
        ) as server,
    ):
        if name == "burst":
            asyncio.run(burst(server.url, bodies(plan.burst, len(channels), "bu"), phase))
        else:
            count = round(plan.rate * plan.duration)
            leads = bodies(count, len(channels), "su")
            asyncio.run(sustained(server.url, leads, plan.rate, phase))
        wait_for_cards(watch, phase, timeout=120)
        phase.finish(watch)
    return phase


def bench(plan: Plan) -> tuple[list[Phase], Watch]:
    watch = Watch()
    with (
        tempfile.TemporaryDirectory(prefix="leadrouter-delivery-") as tmp,
        SlackStandin() as standin,
    ):
        reps = {"burst": plan.burst_reps, "sustained": plan.sustained_reps}
        phases = [run_phase(n, plan, reps[n], Path(tmp), standin, watch) for n in plan.phases]
    return phases, watch


def report(plan: Plan, phases: list[Phase], watch: Watch) -> tuple[list[str], bool]:
    limited = watch.limited / watch.calls if watch.calls else 0.0
    lines = [
        f"Slack stand-in: {plan.latency[0] * 1000:.0f}–{plan.latency[1] * 1000:.0f} ms per call, "
        f"chat.postMessage 1/s per channel with a burst of {plan.slack_burst}; "
        f"{plan.workers} delivery workers",
    ]
    ok = limited <= TARGET_429
    for phase in phases:
        what = (
            f"{plan.burst} leads at once to {plan.burst_reps} reps"
            if phase.name == "burst"
            else f"{plan.rate:g} leads/s for {plan.duration:g} s to {plan.sustained_reps} reps"
        )
        lines.append(
            f"{phase.name}: {what}: DM card after the webhook's answer p50 {phase.p(0.5):.2f} s, "
            f"p99 {phase.p(0.99):.2f} s, max {max(phase.latencies, default=float('nan')):.2f} s; "
            f"{len(phase.latencies)} cards, {phase.missing} missing after 120 s, "
            f"{phase.refused} webhooks refused"
        )
        if phase.pending:
            lines.append(
                f"{phase.name}: outbox pending, sampled each second: max {max(phase.pending):.0f}, "
                f"last {phase.pending[-1]:.0f}; bounded: {'yes' if phase.bounded else 'NO'}"
            )
        ok = ok and phase.p(0.99) <= TARGET_P99_S and not phase.missing and phase.bounded
    lines.append(
        f"429s: {watch.limited} of {watch.calls} Web API calls ({limited:.2%}), target ≤ 1 %"
    )
    return lines, ok


def _result(plan: Plan, phases: list[Phase], ok: bool, notes: list[str]) -> Result:
    """The summary row: the burst's DM cards."""
    first = phases[0]
    return Result(
        name=f"DM card after a burst of {plan.burst}",
        count=len(first.latencies),
        median_us=first.p(0.5) * 1e6,
        p90_us=first.p(0.9) * 1e6,
        p99_us=first.p(0.99) * 1e6,
        max_us=max(first.latencies, default=float("nan")) * 1e6,
        per_second=plan.rate,
        target=TARGET,
        passed=ok,
        notes=notes,
    )


def run(quick: bool = False) -> Result:
    plan = QUICK if quick else FULL
    phases, watch = bench(plan)
    lines, ok = report(plan, phases, watch)
    return _result(plan, phases, ok, lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.delivery_bench",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--quick", action="store_true", help="small runs, for a smoke test")
    parser.add_argument("--burst", type=int)
    parser.add_argument("--burst-reps", type=int)
    parser.add_argument("--rate", type=float)
    parser.add_argument("--duration", type=float)
    parser.add_argument("--sustained-reps", type=int)
    parser.add_argument("--latency", help="low,high seconds per Web API call")
    parser.add_argument("--slack-burst", type=int)
    parser.add_argument("--workers", type=int, help="LEADROUTER_SLACK_WORKERS (32)")
    parser.add_argument("--only", choices=["burst", "sustained"], help="run one phase")
    args = parser.parse_args(argv)
    base = QUICK if args.quick else FULL
    latency = tuple(float(x) for x in args.latency.split(",")) if args.latency else base.latency
    plan = Plan(
        burst=args.burst or base.burst,
        burst_reps=args.burst_reps or base.burst_reps,
        rate=args.rate or base.rate,
        duration=args.duration or base.duration,
        sustained_reps=args.sustained_reps or base.sustained_reps,
        latency=(latency[0], latency[1]),
        slack_burst=args.slack_burst or base.slack_burst,
        workers=args.workers or base.workers,
        phases=(args.only,) if args.only else base.phases,
    )
    started = time.perf_counter()
    phases, watch = bench(plan)
    lines, ok = report(plan, phases, watch)
    for line in lines:
        print(line)
    print()
    print(format_table([_result(plan, phases, ok, [])]))
    print(f"wall time {time.perf_counter() - started:.1f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
