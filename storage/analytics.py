"""Routing analytics over the stored history: volume, speed to lead, fairness, escalations,
outcomes. One computation feeds /routing-stats, `leadrouter stats` and the App Home.

Who gets the credit when a lead changed hands (decided here, documented in the README):
- speed to lead (claim and first contact) counts for the rep who claimed, measured from the
  moment the lead arrived: that is how long the buyer waited, whoever passed it on;
- fairness counts every offer: each assignment (first routing, re-route, pass, reassignment)
  counts for the rep it was offered to, so a "not mine" still spends that rep's turn;
- outcomes and win rates count for the lead's final owner, pool and rule.
Time away is credited in fairness: a rep's intended share is their weight times the fraction of
the period they were available, so a week off does not read as unfair routing.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Engine, and_, func
from sqlmodel import col, select

from routing import RoutingConfig
from routing.team import Strategy
from storage.db import read_only
from storage.models import (
    CLOSED_STATES,
    UNCLAIMED_STATES,
    Assignment,
    Event,
    LeadRow,
    LeadState,
)

PERIODS = {
    "today": None,
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}


@dataclass(frozen=True)
class Speed:
    count: int
    median: float | None  # seconds
    p90: float | None

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Speed:
        if not seconds:
            return cls(0, None, None)
        ordered = sorted(seconds)
        return cls(len(ordered), statistics.median(ordered), _percentile(ordered, 0.9))


@dataclass(frozen=True)
class RepShare:
    rep: str
    offers: int
    share: float  # of the pool's offers
    intended: float  # what the strategy meant to give, with time away taken into account
    available: float  # fraction of the period the rep was not away

    @property
    def ratio(self) -> float | None:
        return self.share / self.intended if self.intended else None


@dataclass(frozen=True)
class PoolFairness:
    pool: str
    strategy: str
    reps: list[RepShare]
    figure: float | None  # largest / smallest normalised share; 1.0 is perfectly fair


@dataclass(frozen=True)
class Outcomes:
    contacted: int = 0
    won: int = 0
    lost: int = 0
    disqualified: int = 0

    @property
    def closed(self) -> int:
        return self.won + self.lost + self.disqualified

    @property
    def win_rate(self) -> float | None:
        return self.won / self.closed if self.closed else None


@dataclass
class Report:
    since: datetime
    until: datetime
    pool: str | None
    received: int = 0
    routed: int = 0
    nurture: int = 0
    triage: int = 0
    unclaimed_now: int = 0
    oldest_unclaimed: list[LeadRow] = field(default_factory=list)
    claim: Speed = Speed(0, None, None)
    contact: Speed = Speed(0, None, None)
    within_sla: float | None = None
    claim_by_rule: dict[str, Speed] = field(default_factory=dict)
    claim_by_pool: dict[str, Speed] = field(default_factory=dict)
    claim_by_rep: dict[str, Speed] = field(default_factory=dict)
    contact_by_rep: dict[str, Speed] = field(default_factory=dict)
    fairness: list[PoolFairness] = field(default_factory=list)
    escalations: dict[str, int] = field(default_factory=dict)  # ladder step -> leads
    escalations_by_pool: dict[str, dict[str, int]] = field(default_factory=dict)
    escalations_by_rep: dict[str, dict[str, int]] = field(default_factory=dict)
    outcomes: Outcomes = Outcomes()
    outcomes_by_rule: dict[str, Outcomes] = field(default_factory=dict)
    outcomes_by_pool: dict[str, Outcomes] = field(default_factory=dict)


def period_start(period: str, now: datetime, zone_now: datetime | None = None) -> datetime:
    """'today' starts at midnight in the reader's time zone (`zone_now`), else UTC midnight."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r} (use {', '.join(PERIODS)})")
    length = PERIODS[period]
    if length is not None:
        return now - length
    local = zone_now or now
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return now - (local - midnight)


def build_report(
    engine: Engine,
    config: RoutingConfig,
    since: datetime,
    until: datetime,
    pool: str | None = None,
) -> Report:
    report = Report(since=since, until=until, pool=pool)
    with read_only(engine) as session:
        in_window = and_(LeadRow.created_at >= since, LeadRow.created_at < until)
        scope = [in_window] + ([LeadRow.pool == pool] if pool else [])

        states = dict(
            session.exec(
                select(LeadRow.state, func.count()).where(*scope).group_by(LeadRow.state)
            ).all()
        )
        report.received = sum(states.values())
        report.nurture = states.get(LeadState.nurture, 0)
        # leads nobody could take when they arrived (a pool report has none: they have no pool)
        report.triage = (
            0
            if pool
            else session.exec(
                select(func.count(func.distinct(Event.lead_id))).where(
                    Event.kind == "triage", Event.at >= since, Event.at < until
                )
            ).one()
        )
        report.routed = report.received - report.nurture - report.triage

        unclaimed = [col(LeadRow.state).in_(UNCLAIMED_STATES)]
        if pool:
            unclaimed.append(LeadRow.pool == pool)
        report.unclaimed_now = session.exec(
            select(func.count()).select_from(LeadRow).where(*unclaimed)
        ).one()
        report.oldest_unclaimed = list(
            session.exec(
                select(LeadRow).where(*unclaimed).order_by(col(LeadRow.created_at)).limit(3)
            ).all()
        )

        claimed = session.exec(
            select(
                LeadRow.created_at,
                LeadRow.claimed_at,
                LeadRow.contacted_at,
                LeadRow.claimed_by,
                LeadRow.rule,
                LeadRow.pool,
                LeadRow.sla_seconds,
            )
            .where(*scope)
            .where(col(LeadRow.claimed_at).is_not(None))
        ).all()
        _speeds(report, claimed)

        outcomes = session.exec(
            select(
                LeadRow.state,
                LeadRow.rule,
                LeadRow.pool,
                col(LeadRow.contacted_at).is_not(None),
                func.count(),
            )
            .where(*scope)
            .group_by(
                LeadRow.state, LeadRow.rule, LeadRow.pool, col(LeadRow.contacted_at).is_not(None)
            )
        ).all()
        _outcomes(report, outcomes)

        escalated = session.exec(
            select(Event.detail, Event.pool, Event.owner).where(
                Event.kind == "escalated",
                Event.at >= since,
                Event.at < until,
                *([Event.pool == pool] if pool else []),
            )
        ).all()
        _escalations(report, escalated)

        offers = session.exec(
            select(Assignment.pool, Assignment.owner, func.count())
            .where(
                Assignment.at >= since,
                Assignment.at < until,
                Assignment.outcome == "assigned",
                col(Assignment.pool).is_not(None),
                *([Assignment.pool == pool] if pool else []),
            )
            .group_by(Assignment.pool, Assignment.owner)
        ).all()
        availability = session.exec(
            select(Event.kind, Event.at, Event.detail)
            .where(col(Event.kind).in_(["away", "back"]))
            .where(Event.at < until)
            .order_by(col(Event.at), col(Event.id))
        ).all()
    report.fairness = _fairness(config, offers, _available(availability, since, until), pool)
    return report


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _speeds(report: Report, rows: Iterable[tuple]) -> None:
    claim_all: list[float] = []
    contact_all: list[float] = []
    by_rule: dict[str, list[float]] = defaultdict(list)
    by_pool: dict[str, list[float]] = defaultdict(list)
    by_rep: dict[str, list[float]] = defaultdict(list)
    contact_rep: dict[str, list[float]] = defaultdict(list)
    within = 0
    for created, claimed, contacted, claimer, rule, pool, sla in rows:
        wait = (claimed - created).total_seconds()
        claim_all.append(wait)
        within += wait <= sla
        by_rule[rule or "(no rule)"].append(wait)
        by_pool[pool or "(no pool)"].append(wait)
        by_rep[claimer or "?"].append(wait)
        if contacted is not None:
            reach = (contacted - created).total_seconds()
            contact_all.append(reach)
            contact_rep[claimer or "?"].append(reach)
    report.claim = Speed.of(claim_all)
    report.contact = Speed.of(contact_all)
    report.within_sla = within / len(claim_all) if claim_all else None
    report.claim_by_rule = {k: Speed.of(v) for k, v in sorted(by_rule.items())}
    report.claim_by_pool = {k: Speed.of(v) for k, v in sorted(by_pool.items())}
    report.claim_by_rep = {k: Speed.of(v) for k, v in sorted(by_rep.items())}
    report.contact_by_rep = {k: Speed.of(v) for k, v in sorted(contact_rep.items())}


def _outcomes(report: Report, rows: Iterable[tuple]) -> None:
    total: dict[str, int] = defaultdict(int)
    by_rule: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_pool: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for state, rule, pool, contacted, count in rows:
        for bucket in (total, by_rule[rule or "(no rule)"], by_pool[pool or "(no pool)"]):
            if contacted:
                bucket["contacted"] += count
            if state in CLOSED_STATES:
                bucket[state] += count

    def make(counts: dict[str, int]) -> Outcomes:
        return Outcomes(
            counts.get("contacted", 0),
            counts.get(LeadState.won, 0),
            counts.get(LeadState.lost, 0),
            counts.get(LeadState.disqualified, 0),
        )

    report.outcomes = make(total)
    report.outcomes_by_rule = {k: make(v) for k, v in sorted(by_rule.items()) if v}
    report.outcomes_by_pool = {k: make(v) for k, v in sorted(by_pool.items()) if v}


def _escalations(report: Report, rows: Iterable[tuple]) -> None:
    steps: dict[str, int] = defaultdict(int)
    by_pool: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    by_rep: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for detail, pool, owner in rows:
        step = (detail or {}).get("action", "escalated")
        steps[step] += 1
        by_pool[pool or "(no pool)"][step] += 1
        rep = (detail or {}).get("owner") or owner or "?"
        by_rep[rep][step] += 1
    report.escalations = dict(steps)
    report.escalations_by_pool = {k: dict(v) for k, v in by_pool.items()}
    report.escalations_by_rep = {k: dict(v) for k, v in by_rep.items()}


def _available(rows: Iterable[tuple], since: datetime, until: datetime) -> dict[str, float]:
    """Fraction of [since, until) each rep was not away, from the away/back events."""
    period = (until - since).total_seconds()
    away_since: dict[str, datetime] = {}
    away_seconds: dict[str, float] = defaultdict(float)
    for kind, at, detail in rows:
        rep = (detail or {}).get("rep")
        if not rep:
            continue
        if kind == "away" and rep not in away_since:
            away_since[rep] = at
        elif kind == "back" and rep in away_since:
            start = max(away_since.pop(rep), since)
            end = min(at, until)
            if end > start:
                away_seconds[rep] += (end - start).total_seconds()
    for rep, start in away_since.items():  # still away at the end of the period
        start = max(start, since)
        if until > start:
            away_seconds[rep] += (until - start).total_seconds()
    return {rep: max(0.0, 1 - seconds / period) for rep, seconds in away_seconds.items()}


def _fairness(
    config: RoutingConfig, offers: Iterable[tuple], available: dict[str, float], only: str | None
) -> list[PoolFairness]:
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for pool, owner, count in offers:
        if owner:
            counts[pool][owner] = count
    result = []
    for pool_id, pool in config.pools.items():
        if only and pool_id != only:
            continue
        got = counts.get(pool_id, {})
        total = sum(got.values())
        if total == 0:
            continue
        weighted = pool.strategy is Strategy.weighted
        members = [m for m in pool.members if config.reps[m].active]
        intent = {
            m: (config.reps[m].weight if weighted else 1) * available.get(m, 1.0) for m in members
        }
        intent_total = sum(intent.values()) or 1.0
        shares = [
            RepShare(
                rep=m,
                offers=got.get(m, 0),
                share=got.get(m, 0) / total,
                intended=intent[m] / intent_total,
                available=available.get(m, 1.0),
            )
            for m in members
        ]
        ratios = [s.ratio for s in shares if s.ratio is not None and s.intended >= 0.01]
        figure = None
        if ratios:
            figure = float("inf") if min(ratios) == 0 else max(ratios) / min(ratios)
        result.append(PoolFairness(pool_id, pool.strategy.value, shares, figure))
    return result
