"""Routing analytics over the stored history: volume, speed to lead, fairness, escalations,
outcomes. One computation feeds /routing-stats, `leadrouter stats` and the App Home.

The period is a cohort of leads: those that arrived in [since, until], `until` being the moment
the report is taken (everything that has happened by then counts). Fairness (offers) and
escalations (ladder steps) are things that happened in the period, counted when they happened.

Who gets the credit when a lead changed hands:
- speed to lead is measured from the moment the lead arrived: that is how long the buyer waited,
  whoever passed it on. The first claim ends the wait and counts for the rep who made it; a later
  reassignment neither resets it nor moves it. Time to first contact counts for the rep who owned
  the lead when it was first contacted (an outcome recorded without a contact counts as the
  contact, as the lifecycle does);
- within SLA means that first claim came no later than the lead's SLA after it arrived;
- fairness counts every offer: each assignment (first routing, re-route, pass, "not mine",
  reassignment) counts for the pool member it was offered to, so a "not mine" still spends that
  rep's turn. A reassignment to someone outside the pool is not the pool's rotation and is left
  out of that pool's shares;
- volume, speed by rule/pool and outcomes count for the lead's final pool and rule; escalations
  for the pool the lead was in and the rep who had it when the step fired, each lead once per
  step (a restarted ladder may remind the same lead twice: it is one lead reminded).
Volume splits the period's leads by how they were first handled: routed, nurture, or triage
(nobody could take it on arrival); a lead routed and later passed into triage counts as routed.
A pool's report has no nurture or triage: those leads have no pool.
Fairness is routing.fairness's figure, the one `leadrouter simulate` shows too: a rep's intended
share is their weight (1 unless the pool is weighted) times the fraction of the period they were
not /away, normalised over the pool, so a week off does not read as unfair routing; the figure
is the largest over the smallest normalised share (share / intended) among reps meant at least
1%: 1.0 is perfectly fair.
Medians are the middle value (the mean of the two middle ones for an even count); p90 is linear
interpolation between closest ranks (numpy's default). Win rate is won / closed, closed being
won + lost + disqualified, the same measure the top_performer strategy ranks by.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Engine, Float, Text, case, cast, extract, func
from sqlmodel import Session, col, select

from routing import RoutingConfig
from routing.fairness import RepShare, pool_fairness
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
# Ladder steps in the order a lead climbs them (routing.config.EscalationAction).
STEPS = ("remind", "pass", "open_to_pool", "manager", "leadership")
NO_RULE = "(no rule)"
NO_POOL = "(no pool)"
CONTACT_KINDS = ("contacted", "outcome")


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
        # to the millisecond: the durations come from the database's float arithmetic
        median = round(statistics.median(ordered), 3)
        return cls(len(ordered), median, round(_percentile(ordered, 0.9), 3))


@dataclass(frozen=True)
class PoolFairness:
    pool: str
    strategy: str
    reps: list[RepShare]
    figure: float | None  # routing.fairness: largest / smallest normalised share; 1.0 is fair

    @property
    def offers(self) -> int:
        return sum(r.offers for r in self.reps)


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
    contact_by_rule: dict[str, Speed] = field(default_factory=dict)
    contact_by_pool: dict[str, Speed] = field(default_factory=dict)
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
    """Every figure of the report, read in one transaction: one function per figure below,
    volume, speed and outcomes sharing one read of the period's leads (the cohort)."""
    scope = Scope(since, until, pool)
    with read_only(engine) as session:
        cohort = read_cohort(session, scope)
        volume = volume_of(session, scope, cohort)
        speed = speed_to_lead(cohort)
        outcomes, outcomes_by_rule, outcomes_by_pool = outcomes_of(cohort)
        unclaimed = unclaimed_now(session, scope)
        oldest = oldest_unclaimed(session, scope)
        escalations, escalations_by_pool, escalations_by_rep = escalations_of(session, scope)
        fairness = fairness_of(session, config, scope)
    return Report(
        since=since,
        until=until,
        pool=pool,
        received=volume.received,
        routed=volume.routed,
        nurture=volume.nurture,
        triage=volume.triage,
        unclaimed_now=unclaimed,
        oldest_unclaimed=oldest,
        claim=speed.claim,
        contact=speed.contact,
        within_sla=speed.within_sla,
        claim_by_rule=speed.claim_by_rule,
        claim_by_pool=speed.claim_by_pool,
        claim_by_rep=speed.claim_by_rep,
        contact_by_rule=speed.contact_by_rule,
        contact_by_pool=speed.contact_by_pool,
        contact_by_rep=speed.contact_by_rep,
        fairness=fairness,
        escalations=escalations,
        escalations_by_pool=escalations_by_pool,
        escalations_by_rep=escalations_by_rep,
        outcomes=outcomes,
        outcomes_by_rule=outcomes_by_rule,
        outcomes_by_pool=outcomes_by_pool,
    )


@dataclass(frozen=True)
class Scope:
    """What a report covers: the leads that arrived in [since, until], of `pool` if given."""

    since: datetime
    until: datetime
    pool: str | None = None


@dataclass(frozen=True)
class Cohort:
    """The period's leads, as volume, speed and outcomes read them (see read_cohort).

    groups: (rule, pool, claimer, state, contacted?, leads, waits, reaches, within SLA) for
    leads never reassigned, waits and reaches as comma-joined seconds (whoever claimed such a
    lead also made its first contact).
    moved_leads: (id, rule, pool, state, contacted?, sla) of reassigned leads, and
    moved_events: (lead id, event id, kind, owner, seconds since arrival) of their claims and
    contacts: the first of each counts, for whoever made it."""

    groups: list[tuple]
    moved_leads: list[tuple]
    moved_events: list[tuple]

    @property
    def received(self) -> int:
        return sum(group[5] for group in self.groups) + len(self.moved_leads)


@dataclass(frozen=True)
class Volume:
    received: int
    routed: int
    nurture: int
    triage: int


@dataclass(frozen=True)
class SpeedToLead:
    claim: Speed
    contact: Speed
    within_sla: float | None
    claim_by_rule: dict[str, Speed]
    claim_by_pool: dict[str, Speed]
    claim_by_rep: dict[str, Speed]
    contact_by_rule: dict[str, Speed]
    contact_by_pool: dict[str, Speed]
    contact_by_rep: dict[str, Speed]


def read_cohort(session: Session, scope: Scope) -> Cohort:
    """The period's leads in one pass of the database.

    The leads table carries each lead's current claim and its first contact (a reassignment
    clears the claim, never the contact). So for leads that were never reassigned the database
    groups the period's leads and hands back the durations as one list per group (Python only
    sorts them for the medians); the few reassigned leads have their claims and contacts
    re-read from the event log, to credit the first claim and the first contact as the module
    says. Durations are computed by the database: no million datetimes cross into Python.
    """
    db = session.connection()
    since, until, pool = scope.since, scope.until, scope.pool
    postgres = db.dialect.name == "postgresql"
    cohort = [LeadRow.created_at >= since, LeadRow.created_at <= until]
    if pool:
        cohort.append(LeadRow.pool == pool)
    moved = col(LeadRow.id).in_(
        select(Event.lead_id)
        .where(Event.kind == "reassigned", Event.at >= since, Event.at <= until)
        .where(col(Event.lead_id).is_not(None))
    )
    each = (
        select(
            LeadRow.rule,
            LeadRow.pool,
            LeadRow.claimed_by,
            LeadRow.state,
            col(LeadRow.contacted_at).is_not(None).label("reached"),
            LeadRow.sla_seconds,
            _seconds(db, LeadRow.claimed_at, LeadRow.created_at).label("wait"),
            _seconds(db, LeadRow.contacted_at, LeadRow.created_at).label("reach"),
        )
        .where(*cohort)
        .where(~moved)
        .subquery()
    )
    keys = (each.c.rule, each.c.pool, each.c.claimed_by, each.c.state, each.c.reached)
    if postgres:
        # PostgreSQL guesses tens of thousands of groups (there are hundreds) and sorts
        # every lead of the period to group them; hashing them in memory is 2-4x faster.
        db.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        db.exec_driver_sql("SET LOCAL enable_sort = off")
    groups = db.execute(
        select(
            *keys,
            func.count(),
            _joined(db, each.c.wait),
            _joined(db, each.c.reach),
            func.sum(case((each.c.wait <= each.c.sla_seconds + SLACK, 1), else_=0)),
        ).group_by(*keys)
    ).all()
    if postgres:
        db.exec_driver_sql("SET LOCAL enable_sort = on")
    moved_leads = db.execute(
        select(
            LeadRow.id,
            LeadRow.rule,
            LeadRow.pool,
            LeadRow.state,
            col(LeadRow.contacted_at).is_not(None),
            LeadRow.sla_seconds,
        )
        .where(*cohort)
        .where(moved)
    ).all()
    moved_events = db.execute(
        select(
            Event.lead_id,
            Event.id,
            Event.kind,
            Event.owner,
            _seconds(db, Event.at, LeadRow.created_at),
        )
        .join(LeadRow, col(LeadRow.id) == Event.lead_id)
        .where(*cohort)
        .where(moved)
        .where(col(Event.kind).in_(("claimed", *CONTACT_KINDS)), Event.at <= until)
    ).all()
    return Cohort(list(groups), list(moved_leads), list(moved_events))


def volume_of(session: Session, scope: Scope, cohort: Cohort) -> Volume:
    """The period's leads by how they were first handled: routed, nurture or triage. A pool's
    report has no nurture or triage: those leads have no pool."""
    nurture = triage = 0
    if not scope.pool:
        first = (
            session.connection()
            .execute(
                select(Assignment.outcome, func.count())
                .where(Assignment.at >= scope.since, Assignment.at <= scope.until)
                .where(Assignment.kind == "intake")
                .group_by(Assignment.outcome)
            )
            .all()
        )
        counts = {outcome: count for outcome, count in first}
        nurture, triage = counts.get("nurture", 0), counts.get("triage", 0)
    received = cohort.received
    return Volume(received, received - nurture - triage, nurture, triage)


def speed_to_lead(cohort: Cohort) -> SpeedToLead:
    """Time to claim and to first contact from arrival, overall and by rule, pool and rep, and
    the share of claims within the lead's SLA."""
    claims, contacts = _Groups(), _Groups()
    within = 0
    for rule, pool, claimer, _state, _reached, _n, waits, reaches, in_time in cohort.groups:
        within += in_time or 0
        if waits:
            claims.extend(_floats(waits), rule, pool, claimer)
        if reaches:
            contacts.extend(_floats(reaches), rule, pool, claimer)

    firsts: dict[int, dict[str, tuple[float, int, str | None]]] = defaultdict(dict)
    for lead_id, event_id, kind, owner, after in cohort.moved_events:
        which = "claim" if kind == "claimed" else "contact"
        seen = firsts[lead_id].get(which)
        if seen is None or (after, event_id) < seen[:2]:
            firsts[lead_id][which] = (after, event_id, owner)
    for lead_id, rule, pool, _state, _reached, sla in cohort.moved_leads:
        first = firsts.get(lead_id, {})
        if "claim" in first:
            wait, _, claimer = first["claim"]
            within += wait <= sla + SLACK
            claims.extend([wait], rule, pool, claimer)
        if "contact" in first:
            reach, _, by = first["contact"]
            contacts.extend([reach], rule, pool, by)

    claim = Speed.of(claims.all)
    return SpeedToLead(
        claim,
        Speed.of(contacts.all),
        within / claim.count if claim.count else None,
        *claims.speeds(),
        *contacts.speeds(),
    )


def outcomes_of(cohort: Cohort) -> tuple[Outcomes, dict[str, Outcomes], dict[str, Outcomes]]:
    """Contacts and closes of the period's leads: overall, by rule and by pool."""
    outcome: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    closed = set(CLOSED_STATES)

    def settle(rule: str | None, pool: str | None, state: str, reached: bool, n: int) -> None:
        if not reached and state not in closed:
            return
        for key in (("all", ""), ("rule", rule or NO_RULE), ("pool", pool or NO_POOL)):
            counts = outcome[key]
            if reached:
                counts["contacted"] += n
            if state in closed:
                counts[state] += n

    for rule, pool, _claimer, state, reached, n, *_ in cohort.groups:
        settle(rule, pool, state, bool(reached), n)
    for _lead_id, rule, pool, state, reached, _sla in cohort.moved_leads:
        settle(rule, pool, state, bool(reached), 1)

    def make(counts: dict[str, int]) -> Outcomes:
        return Outcomes(
            counts.get("contacted", 0),
            counts.get(LeadState.won, 0),
            counts.get(LeadState.lost, 0),
            counts.get(LeadState.disqualified, 0),
        )

    ordered = sorted(outcome.items())
    return (
        make(outcome.get(("all", ""), {})),
        {k: make(v) for (kind, k), v in ordered if kind == "rule"},
        {k: make(v) for (kind, k), v in ordered if kind == "pool"},
    )


def _unclaimed(scope: Scope) -> list[Any]:
    unclaimed = [col(LeadRow.state).in_(UNCLAIMED_STATES)]
    if scope.pool:
        unclaimed.append(LeadRow.pool == scope.pool)
    return unclaimed


def unclaimed_now(session: Session, scope: Scope) -> int:
    """Leads waiting for a claim right now (of the pool, if any), whenever they arrived."""
    return session.exec(select(func.count()).select_from(LeadRow).where(*_unclaimed(scope))).one()


def oldest_unclaimed(session: Session, scope: Scope, limit: int = 3) -> list[LeadRow]:
    """The leads that have waited longest for a claim, oldest first."""
    return list(
        session.exec(
            select(LeadRow)
            .where(*_unclaimed(scope))
            .order_by(col(LeadRow.created_at), col(LeadRow.id))
            .limit(limit)
        ).all()
    )


def escalations_of(
    session: Session, scope: Scope
) -> tuple[dict[str, int], dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Leads that reached each ladder step in the period: overall, by pool and by rep. A lead
    counts once per step (a reassignment restarts the ladder, so the same lead may be reminded
    twice; it is still one lead reminded)."""
    rows = (
        session.connection()
        .execute(
            select(Event.lead_id, Event.detail["action"].as_string(), Event.pool, Event.owner)
            .where(Event.kind == "escalated", Event.at >= scope.since, Event.at <= scope.until)
            .where(*([Event.pool == scope.pool] if scope.pool else []))
        )
        .all()
    )
    steps: dict[str, set[int | None]] = defaultdict(set)
    by_pool: dict[str, dict[str, set[int | None]]] = defaultdict(lambda: defaultdict(set))
    by_rep: dict[str, dict[str, set[int | None]]] = defaultdict(lambda: defaultdict(set))
    for lead_id, action, pool, owner in rows:
        step = action or "escalated"
        steps[step].add(lead_id)
        # the event is written before a pass moves the lead on: its pool and owner are where
        # the lead was when the step fired
        by_pool[pool or NO_POOL][step].add(lead_id)
        by_rep[owner or "?"][step].add(lead_id)
    return (
        _step_order({k: len(v) for k, v in steps.items()}),
        {k: _step_order({s: len(ids) for s, ids in v.items()}) for k, v in sorted(by_pool.items())},
        {k: _step_order({s: len(ids) for s, ids in v.items()}) for k, v in sorted(by_rep.items())},
    )


def fairness_of(session: Session, config: RoutingConfig, scope: Scope) -> list[PoolFairness]:
    """Each pool's shares of the period's offers and its figure, by routing.fairness with time
    away credited; pools offered nothing in the period are left out."""
    offers = (
        session.connection()
        .execute(
            select(Assignment.pool, Assignment.owner, func.count())
            .where(Assignment.at >= scope.since, Assignment.at <= scope.until)
            .where(Assignment.outcome == "assigned", col(Assignment.pool).is_not(None))
            .where(*([Assignment.pool == scope.pool] if scope.pool else []))
            .group_by(Assignment.pool, Assignment.owner)
        )
        .all()
    )
    away_and_back = session.exec(
        select(Event.kind, Event.at, Event.detail)
        .where(col(Event.kind).in_(["away", "back"]))
        .where(Event.at <= scope.until)
        .order_by(col(Event.at), col(Event.id))
    ).all()
    available = _available(away_and_back, scope.since, scope.until)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for pool, owner, count in offers:
        if owner:
            counts[pool][owner] = count
    result = []
    for pool_id, pool in config.pools.items():
        if scope.pool and pool_id != scope.pool:
            continue
        fairness = pool_fairness(pool, config.reps, counts.get(pool_id, {}), available)
        if fairness.offers == 0:
            continue
        result.append(
            PoolFairness(pool_id, pool.strategy.value, list(fairness.reps), fairness.figure)
        )
    return result


def _joined(db: Connection, seconds: Any) -> ColumnElement[str]:
    """The group's durations as one comma-joined string (NULLs left out)."""
    if db.dialect.name == "sqlite":
        return func.group_concat(seconds, ",")
    return func.string_agg(cast(seconds, Text), ",")


def _seconds(db: Connection, later: Any, earlier: Any) -> ColumnElement[float]:
    """later - earlier in seconds, computed by the database (NULL if either is NULL)."""
    if db.dialect.name == "sqlite":
        # julianday is a double: exact to well under a millisecond at today's dates
        return cast((func.julianday(later) - func.julianday(earlier)) * 86400.0, Float)
    return cast(extract("epoch", later - earlier), Float)


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _floats(joined: str) -> list[float]:
    return [float(x) for x in joined.split(",")]


SLACK = 0.0005  # durations come from float arithmetic in the database: compare to the ms


class _Groups:
    """Durations overall and by rule, pool and rep."""

    def __init__(self) -> None:
        self.all: list[float] = []
        self.rule: dict[str | None, list[float]] = defaultdict(list)
        self.pool: dict[str | None, list[float]] = defaultdict(list)
        self.rep: dict[str | None, list[float]] = defaultdict(list)

    def extend(
        self, seconds: list[float], rule: str | None, pool: str | None, rep: str | None
    ) -> None:
        self.all.extend(seconds)
        self.rule[rule].extend(seconds)
        self.pool[pool].extend(seconds)
        self.rep[rep].extend(seconds)

    def speeds(self) -> tuple[dict[str, Speed], dict[str, Speed], dict[str, Speed]]:
        return _by(self.rule, NO_RULE), _by(self.pool, NO_POOL), _by(self.rep, "?")


def _by(groups: dict[str | None, list[float]], missing: str) -> dict[str, Speed]:
    return dict(sorted((key or missing, Speed.of(values)) for key, values in groups.items()))


def _step_order(counts: dict[str, int]) -> dict[str, int]:
    rank = {step: i for i, step in enumerate(STEPS)}
    return dict(sorted(counts.items(), key=lambda item: (rank.get(item[0], len(STEPS)), item[0])))


def _available(rows: Iterable[tuple], since: datetime, until: datetime) -> dict[str, float]:
    """Fraction of [since, until) each rep was not away, from the away/back events.

    An away with an end time ends then, even if the scheduler wrote the 'back' a little later
    (or has not yet); an open-ended away lasts until 'back'."""
    period = (until - since).total_seconds()
    if period <= 0:
        return {}
    away_since: dict[str, tuple[datetime, datetime | None]] = {}
    away_seconds: dict[str, float] = defaultdict(float)

    def spent(rep: str, start: datetime, end: datetime) -> None:
        start, end = max(start, since), min(end, until)
        if end > start:
            away_seconds[rep] += (end - start).total_seconds()

    for kind, at, detail in rows:
        rep = (detail or {}).get("rep")
        if not rep:
            continue
        if rep in away_since:
            start, planned = away_since[rep]
            if planned is not None and planned <= at:  # ended on time, before this event
                spent(rep, start, planned)
                del away_since[rep]
        if kind == "away":
            planned = _parse_time((detail or {}).get("until"))
            start = away_since[rep][0] if rep in away_since else at
            away_since[rep] = (start, planned)  # a second /away changes the end, not the start
        elif kind == "back" and rep in away_since:
            spent(rep, away_since.pop(rep)[0], at)
    for rep, (start, planned) in away_since.items():  # still away at the end of the period
        spent(rep, start, planned if planned is not None else until)
    return {rep: max(0.0, 1 - seconds / period) for rep, seconds in away_seconds.items()}


def _parse_time(text: object) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None
