"""Lead intake: store and route new leads, several per transaction when several arrive at once.

A lead is committed before anything else happens: its webhook answers after the COMMIT.
Leads that arrive while a transaction is being written go together in the next one (group
commit, see storage.intake_queue): one routing lock, one read of the routing state, then one
statement per table for all of them. They are decided one after another in order of arrival, on
a routing state kept current in memory, so the decisions are the same as one transaction each.

No ORM objects on this hot path: the read goes through SQLAlchemy Core, the batch's rows
through storage.bulk (the driver's executemany; on PostgreSQL two round trips per batch, one
for the lock and the read, one for the rows and the COMMIT). The rows are built by
storage.rows and decided on storage.routing_state's LiveState, as the re-routes in
storage.lifecycle are, so the two agree.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    JSON,
    Connection,
    Engine,
    Integer,
    String,
    any_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, OperationalError

from routing import Lead, RoutingConfig
from routing.crm_config import CrmAnswer
from routing.intake_notes import unreachable, with_notes
from storage import bulk, load, outbox, rotations, rows
from storage.bulk import Write
from storage.models import (
    OPEN_STATES,
    Assignment,
    Event,
    IdempotencyKey,
    LeadRow,
    LeadState,
    OutboxMessage,
    UTCDateTime,
)
from storage.routing_state import LiveState, state_branches
from storage.rows import SYSTEM

log = logging.getLogger(__name__)

LEADS = LeadRow.__table__  # type: ignore[attr-defined]
EVENTS = Event.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxMessage.__table__  # type: ignore[attr-defined]
ASSIGNMENTS = Assignment.__table__  # type: ignore[attr-defined]
IDEMPOTENCY = IdempotencyKey.__table__  # type: ignore[attr-defined]
TOUCHABLE = (*OPEN_STATES, LeadState.triage)  # states a repeat from the same person joins

# Built once: SQLAlchemy's statement cache still computes a key per execution, building costs more.
SEEN = select(IDEMPOTENCY.c.key, IDEMPOTENCY.c.response).where(
    IDEMPOTENCY.c.key.in_(bindparam("keys", expanding=True))
)


def _batch_read(postgresql: bool = False) -> Any:
    """What a batch reads under the routing lock, in one statement: the routing state (as
    storage.lifecycle reads it), the answers already given to these deliveries ('k' rows), and
    the recent leads from these emails ('e' rows: email, created_at, id, state). Those are found
    by (email, created_at) alone: given the states too, SQLite's planner would rather walk every
    open lead once a batch holds a few dozen emails.

    `postgresql`: the lists as arrays (= ANY), so the SQL is the same for any batch and can be
    compiled once and sent with the lock in one round trip (storage.bulk.read_locked)."""
    no_json, no_time = cast(null(), JSON), cast(null(), UTCDateTime)
    if postgresql:
        keys = IDEMPOTENCY.c.key == any_(bindparam("keys", type_=ARRAY(String)))
        emails = LEADS.c.email == any_(bindparam("emails", type_=ARRAY(String)))
    else:
        keys = IDEMPOTENCY.c.key.in_(bindparam("keys", expanding=True))
        emails = LEADS.c.email.in_(bindparam("emails", expanding=True))
    no_int, no_text = cast(null(), Integer), cast(null(), String)
    branches = [branch.add_columns(no_text) for branch in state_branches()]
    if not postgresql:  # SQLite: the largest lead id so far ('n'), for the ids of new leads
        largest = select(func.coalesce(func.max(LEADS.c.id), 0)).scalar_subquery()
        branches.append(select(literal_column("'n'"), no_text, no_json, no_time, largest, no_text))
    return union_all(
        *branches,
        select(
            literal_column("'k'"), IDEMPOTENCY.c.key, IDEMPOTENCY.c.response,
            IDEMPOTENCY.c.created_at, no_int, no_text,
        ).where(keys),
        select(
            literal_column("'e'"), LEADS.c.email, no_json, LEADS.c.created_at, LEADS.c.id,
            LEADS.c.state,
        ).where(emails, LEADS.c.created_at >= bindparam("since", type_=UTCDateTime)),
    )  # fmt: skip


BATCH_READ, BATCH_READ_PG = _batch_read(), _batch_read(postgresql=True)
INSERT_LEADS_WITH_IDS = insert(LEADS)
INSERT_EVENTS, INSERT_OUTBOX = insert(EVENTS), insert(OUTBOX)
INSERT_ASSIGNMENTS, INSERT_KEYS = insert(ASSIGNMENTS), insert(IDEMPOTENCY)
DELETE_KEYS = delete(IDEMPOTENCY).where(IDEMPOTENCY.c.key.in_(bindparam("keys", expanding=True)))
TOUCH = (
    update(LEADS)
    .where(LEADS.c.id == bindparam("lead_id"))
    .values(touches=LEADS.c.touches + 1)
    .returning(LEADS.c.state, LEADS.c.owner, LEADS.c.pool, LEADS.c.rule, LEADS.c.reason)
)


KEY_COLUMN_LENGTH = 300  # idempotency_keys.key: '<source>:<delivery id>'
MAX_KEY_LENGTH = 255  # of a delivery id a sender chooses (source names are 40 at most)


@dataclass(frozen=True)
class IntakeRequest:
    """One lead as a webhook received it. `idempotency_key`: the provider's delivery id, the
    Idempotency-Key header or a hash of the body; a second delivery with it gets the first
    answer, within `key_expires_after` of the first when that is set (a hash of the body: the
    same answers sent much later are a new touch). `notes`: what intake could not read
    ("employees 'Prefer not to say' not understood"), for the reason and the trace. `crm`:
    who the CRM says owns the lead (bot.crm.ownership, asked within the lead's budget), or
    None when there is no CRM to ask."""

    lead: Lead
    source: str
    now: datetime
    idempotency_key: str | None = None
    key_expires_after: timedelta | None = None
    notes: tuple[str, ...] = ()
    crm: CrmAnswer | None = None

    @property
    def key(self) -> str | None:
        if not self.idempotency_key:
            return None
        key = f"{self.source}:{self.idempotency_key}"
        if len(key) > KEY_COLUMN_LENGTH:  # a long id from a body: its hash is as unique
            digest = hashlib.sha256(self.idempotency_key.encode("utf-8", "surrogatepass"))
            key = f"{self.source}:sha256-of-id:{digest.hexdigest()}"
        return key


@dataclass(frozen=True)
class IntakeResult:
    lead_id: int
    state: str
    owner: str | None
    rule: str | None
    reason: str
    duplicate: bool = False  # joined an open lead with the same email as a repeat touch
    replayed: bool = False  # the same delivery was seen before: this is the first answer

    def response(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "lead_id": self.lead_id,
            "state": self.state,
            "owner": self.owner,
            "rule": self.rule,
            "reason": self.reason,
        }
        if self.duplicate:
            body["duplicate"] = True
        return body

    def stored(self) -> dict[str, Any]:
        """What the idempotency key keeps, to answer a retried delivery."""
        return {**self.response(), "duplicate": self.duplicate}


def intake(
    engine: Engine,
    config: RoutingConfig,
    lead: Lead,
    *,
    source: str,
    now: datetime,
    idempotency_key: str | None = None,
) -> IntakeResult:
    """Store a lead and route it, in one transaction. A repeated delivery returns the first
    answer; a new lead from the email of a recent open lead joins it as a repeat touch."""
    request = IntakeRequest(lead, source, now, idempotency_key)
    outcome = intake_many(engine, config, [request])[0]
    if isinstance(outcome, Exception):
        raise outcome
    return outcome


def intake_many(
    engine: Engine,
    config: RoutingConfig,
    requests: Sequence[IntakeRequest],
    *,
    conn: Connection | None = None,
) -> list[IntakeResult | Exception]:
    """Each request's result, or the exception that stopped it, committed in one transaction.
    If that transaction fails because of a lead, each lead is tried again on its own, so a bad
    lead fails alone; if the database is unreachable or locked, they all fail at once.
    `conn`: a connection to reuse (the intake writer keeps one), else one from the pool."""
    try:
        with _transaction(engine, conn) as connection:
            return _Batch(connection, config, requests).run()
    except Exception as exc:
        if len(requests) == 1:
            return [_answer_after_conflict(engine, requests[0], exc)]
        if _database_unavailable(exc):  # retrying lead by lead would wait once per lead
            return [exc] * len(requests)
        log.warning("a batch of %d leads failed (%r): each is tried alone", len(requests), exc)
        return [
            outcome for one in requests for outcome in intake_many(engine, config, [one], conn=conn)
        ]


@contextmanager
def _transaction(engine: Engine, conn: Connection | None) -> Iterator[Connection]:
    if conn is None:
        with engine.begin() as connection:
            yield connection
    else:
        with conn.begin():
            yield conn


def _database_unavailable(exc: Exception) -> bool:
    """The database, not any lead, is the problem: down, unreachable, or locked too long."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, OperationalError | InterfaceError | TimeoutError)


def _answer_after_conflict(
    engine: Engine, request: IntakeRequest, exc: Exception
) -> IntakeResult | Exception:
    """A concurrent delivery of the same key won the insert: answer as it did."""
    if isinstance(exc, IntegrityError) and request.key:
        with engine.execution_options(read_only=True).begin() as conn:
            seen = conn.execute(SEEN, {"keys": [request.key]}).first()
        if seen is not None:
            return IntakeResult(**seen.response, replayed=True)
    return exc


@dataclass
class _NewLead:
    """A decided lead waiting for its id (the insert gives it), with the rows that need it."""

    lead: dict[str, Any]
    events: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    assignment: dict[str, Any]
    result: IntakeResult
    key: str | None
    lead_id: int = 0


@dataclass
class _Batch:
    conn: Connection
    config: RoutingConfig
    requests: Sequence[IntakeRequest]
    waiting: list[_NewLead] = field(default_factory=list)  # decided, not yet inserted
    keys: list[dict[str, Any]] = field(default_factory=list)  # idempotency rows to insert
    writes: list[Write] = field(default_factory=list)  # rows needing no answer, sent at the end
    state: LiveState = field(init=False)  # read under the lock, kept current as leads are decided
    load: dict[str, int] = field(default_factory=dict)  # rep -> open leads added
    open_by_email: dict[str, tuple[int, datetime]] = field(default_factory=dict)
    spare_ids: list[int] = field(default_factory=list)  # PostgreSQL: lead ids drawn, not used
    largest_id: int = 0  # SQLite: the largest lead id in the table so far
    expired: list[str] = field(default_factory=list)  # keys seen too long ago to be retries

    def __post_init__(self) -> None:
        self.state = LiveState(self.config)

    def run(self) -> list[IntakeResult | Exception]:
        conn, requests = self.conn, self.requests
        earliest = min(r.now for r in requests)
        window = self.config.intake.duplicate_window
        seen = self._read(earliest, window)
        new_by_email: dict[str, _NewLead] = {}
        taken: dict[str, _NewLead | IntakeResult] = {}  # key -> who took it in this batch
        outcomes: list[tuple[_NewLead | IntakeResult, bool]] = []  # (outcome, a replay?)
        for request in requests:
            key, email = request.key, request.lead.email
            if key in seen and self._expired(request, seen[key][1]):
                del seen[key]
                self.expired.append(key)
            if key in seen:
                outcomes.append((IntakeResult(**seen[key][0]), True))
                continue
            if key in taken:  # the same delivery twice in one batch
                outcomes.append((taken[key], True))
                continue
            if email in new_by_email:  # the same person twice in one batch: insert the first
                self._insert_waiting()
                bulk.insert_all(conn, self.writes)  # (the touch below needs the lead's row)
                self.writes = []
                first = new_by_email.pop(email)
                self.open_by_email[email] = (first.lead_id, first.lead["created_at"])
            repeated = self.open_by_email.get(email) if email else None
            if repeated is not None and repeated[1] >= request.now - window:
                outcome: _NewLead | IntakeResult = self._touch(repeated[0], request)
            else:
                outcome = self._new(request)
                if email and outcome.lead["state"] in TOUCHABLE:
                    new_by_email[email] = outcome
            outcomes.append((outcome, False))
            if key:
                taken[key] = outcome
        self._insert_waiting()
        self._write_routing_state(earliest)
        if self.expired:  # rare: a key that is now a new delivery takes the old one's place
            bulk.insert_all(conn, self.writes)
            conn.execute(DELETE_KEYS, {"keys": self.expired})
            self.writes = []
        self.writes.append((INSERT_KEYS, self.keys))
        bulk.insert_all(conn, self.writes, commit=True)
        return [_result(outcome, replayed) for outcome, replayed in outcomes]

    @staticmethod
    def _expired(request: IntakeRequest, first_seen: datetime | None) -> bool:
        expires = request.key_expires_after
        return expires is not None and first_seen is not None and first_seen < request.now - expires

    def _read(
        self, earliest: datetime, window: timedelta
    ) -> dict[str, tuple[dict[str, Any], datetime | None]]:
        """Load the routing state and the recent leads of the batch's emails; returns the
        stored answers of the batch's keys that were seen before."""
        requests = self.requests
        params = {
            "now": earliest,
            "keys": sorted({r.key for r in requests if r.key}),
            "emails": sorted({r.lead.email for r in requests if r.lead.email}),
            "since": earliest - window,
        }
        if self.conn.dialect.name == "postgresql":  # lock, read and ids in one round trip
            found, self.spare_ids = bulk.read_locked(
                self.conn, BATCH_READ_PG, params, new_ids=len(requests)
            )
        else:  # (SQLite: the write transaction already keeps every other writer out)
            found = self.conn.execute(BATCH_READ, params).all()
        seen: dict[str, tuple[dict[str, Any], datetime | None]] = {}
        recent = []
        for kind, key, blob, at, number, state in found:
            if self.state.take(kind, key, blob, at, number):
                continue
            if kind == "k":
                seen[key] = (blob, at)
            elif kind == "n":
                self.largest_id = number
            elif state in TOUCHABLE:
                recent.append((at, number, key))
        for created, lead_id, email in sorted(recent):  # the newest of each email stays
            self.open_by_email[email] = (lead_id, created)
        self.state.read_performance(self.conn, earliest)
        return seen

    def _new(self, request: IntakeRequest) -> _NewLead:
        now, source = request.now, request.source
        if request.lead.email or request.lead.phone:
            decision = self.state.decide(request.lead, now, crm=request.crm)
        else:  # stored all the same: a human in triage may find them another way
            decision = unreachable(self.config)
        decision = with_notes(decision, request.notes)
        values = rows.decided(self.config, decision, now)
        state, owner, pool, rule = values["state"], values["owner"], values["pool"], values["rule"]
        if holder := load.holder(owner, state):
            self.load[holder] = self.load.get(holder, 0) + 1
        data = request.lead.model_dump(mode="json", exclude_none=True, exclude_defaults=True)
        waiting = LeadState.triage.value  # a new lead waits in triage until decided
        new = _NewLead(
            lead={**rows.new_lead(request.lead, data, source, now), **values},
            events=[
                rows.event(
                    None, "received", SYSTEM, now, (waiting, waiting, None, None, None),
                    reason=f"from {source}",
                ),
                rows.event(
                    None, decision.outcome, SYSTEM, now, (waiting, state, owner, pool, rule),
                    reason=decision.reason, detail={"via": "intake"},
                ),
            ],
            messages=[
                rows.message(kind, now, None, to)
                for kind, to in rows.new_owner_notices(decision, self.config)
            ],
            assignment=rows.decision_assignment(None, decision, "intake", now),
            result=IntakeResult(0, state, owner, rule, values["reason"]),
            key=request.key,
        )  # fmt: skip
        self.waiting.append(new)
        return new

    def _touch(self, lead_id: int, request: IntakeRequest) -> IntakeResult:
        """The same person wrote again while their lead is open: one more touch on it."""
        conn, lead, now = self.conn, request.lead, request.now
        state, owner, pool, rule, reason = conn.execute(TOUCH, {"lead_id": lead_id}).one()
        event = rows.event(
            lead_id, "repeat_touch", SYSTEM, now, (state, state, owner, pool, rule),
            reason=f"the same person wrote again ({lead.source or 'form'})",
            detail={"lead": lead.model_dump(mode="json", exclude_none=True)},
        )  # fmt: skip
        self.writes.append((INSERT_EVENTS, [event]))
        messages = []
        if owner:
            payload = {"template": "repeat_touch", "message": lead.message or ""}
            messages.append(rows.message(outbox.Kind.notify, now, lead_id, owner, payload))
        messages.append(rows.message(outbox.Kind.update_cards, now, lead_id))
        self.writes.append((INSERT_OUTBOX, messages))
        result = IntakeResult(
            lead_id, state, owner, rule, "repeat touch on an open lead: " + reason, duplicate=True
        )
        if request.key:
            self.keys.append(_key_row(request.key, result, now))
        return result

    def _insert_waiting(self) -> None:
        """Give the decided leads their ids and queue their rows for the batch's last writes.
        SQLite inserts the leads at once, as their ids are the largest so far plus one."""
        waiting, self.waiting = self.waiting, []
        if not waiting:
            return
        conn = self.conn
        if conn.dialect.name == "sqlite":
            # This transaction holds SQLite's only write lock, and a new INTEGER PRIMARY KEY is
            # the largest plus one: the ids are known (and SQLAlchemy would insert row by row
            # to learn them), so give them, in one multi-row INSERT.
            ids = list(range(self.largest_id + 1, self.largest_id + 1 + len(waiting)))
            self.largest_id += len(waiting)
            leads = [{**new.lead, "id": i} for new, i in zip(waiting, ids, strict=True)]
            bulk.insert_all(conn, [(INSERT_LEADS_WITH_IDS, leads)])
        else:  # ids drawn from the sequence with the batch's first read; inserted with the rest
            ids, self.spare_ids = self.spare_ids[: len(waiting)], self.spare_ids[len(waiting) :]
            leads = [{**new.lead, "id": i} for new, i in zip(waiting, ids, strict=True)]
            self.writes.append((INSERT_LEADS_WITH_IDS, leads))
        events, messages, assignments = [], [], []
        for new, lead_id in zip(waiting, ids, strict=True):
            new.lead_id = lead_id
            new.result = replace(new.result, lead_id=lead_id)
            events += [{**row, "lead_id": lead_id} for row in new.events]
            messages += [{**row, "lead_id": lead_id} for row in new.messages]
            assignments.append({**new.assignment, "lead_id": lead_id})
            if new.key:
                self.keys.append(_key_row(new.key, new.result, new.lead["created_at"]))
        self.writes += [
            (INSERT_EVENTS, events),
            (INSERT_OUTBOX, messages),
            (INSERT_ASSIGNMENTS, assignments),
        ]

    def _write_routing_state(self, now: datetime) -> None:
        """The pools' new round-robin credits and the reps' new open-lead counts."""
        dialect = self.conn.dialect.name
        credits = [
            {"pool": pool, "credits": dict(self.state.rotation[pool]), "updated_at": now}
            for pool in sorted(self.state.moved_pools)
        ]
        self.writes += [
            (rotations.upsert(dialect), credits),
            (load.upsert(dialect), load.rows(self.load)),
        ]


def _key_row(key: str, result: IntakeResult, now: datetime) -> dict[str, Any]:
    return {"key": key, "lead_id": result.lead_id, "response": result.stored(), "created_at": now}


def _result(outcome: _NewLead | IntakeResult, replayed: bool) -> IntakeResult:
    result = outcome.result if isinstance(outcome, _NewLead) else outcome
    return replace(result, replayed=True) if replayed else result
