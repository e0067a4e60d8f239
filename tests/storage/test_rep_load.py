"""Open leads per rep (rep_load) stay equal to a count of the leads through every transition,
and transitions that write a whole lead never overwrite a claim made meanwhile."""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from routing import Lead
from storage import availability, escalation, intake, lifecycle, load
from storage.lifecycle import Refused
from storage.models import LeadState
from tests.support.team import team

# Ana has room for two leads; the ladder reminds, opens the lead to the pool, then passes it;
# two missed SLAs in a row set a rep away (the sweep's own /away path).
CONFIG = team(
    {
        "name: Ana, capacity: 100": "name: Ana, capacity: 2",
        "      - {after: 10m, action: pass}": (
            "      - {after: 7m, action: open_to_pool}\n      - {after: 10m, action: pass}"
        ),
        "managers: [U0BOSS]": "managers: [U0BOSS]\nslow_responders: {missed_in_a_row: 2}",
    }
)
REPS = ["ana", "ben", "chloe", "dev", "mia"]

lead_index = st.integers(0, 30)
rep = st.sampled_from(REPS)
operation = st.one_of(
    st.tuples(st.just("intake"), st.integers(0, 12), st.sampled_from([50, 2])),
    st.tuples(st.just("claim"), lead_index, rep),
    st.tuples(st.just("contacted"), lead_index, rep),
    st.tuples(st.just("outcome"), lead_index, st.sampled_from(["won", "lost", "disqualified"])),
    st.tuples(st.just("decline"), lead_index, rep),
    st.tuples(st.just("reassign"), lead_index, rep),
    st.tuples(st.just("reroute"), lead_index, st.just("")),
    st.tuples(st.just("away"), rep, st.booleans()),
    st.tuples(st.just("back"), rep, st.just("")),
    st.tuples(st.just("sweep"), st.integers(1, 15), st.just("")),
)


def counts(engine) -> tuple[dict[str, int], dict[str, int]]:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return load.read(conn), load.recount(conn)


def run(engine, config, ops, now) -> None:  # type: ignore[no-untyped-def]
    """Apply `ops`, skipping the ones the lifecycle refuses."""
    leads: list[int] = []
    for step, (kind, a, b) in enumerate(ops):
        now += timedelta(minutes=1)
        lead_id = leads[a % len(leads)] if leads and isinstance(a, int) else 0
        try:
            if kind == "intake":
                person = Lead(email=f"p{a}@example.com", company=f"P{a}", employees=b)
                result = intake.intake(engine, config, person, source="generic", now=now)
                leads.append(result.lead_id)
            elif kind == "claim":
                lifecycle.claim(engine, config, lead_id, b, now)
            elif kind == "contacted":
                lifecycle.mark_contacted(engine, config, lead_id, b, now)
            elif kind == "outcome":
                lifecycle.set_outcome(engine, config, lead_id, "U0BOSS", LeadState(b), now)
            elif kind == "decline":
                lifecycle.decline(engine, config, lead_id, b, "", now)
            elif kind == "reassign":
                lifecycle.reassign(engine, config, lead_id, "U0BOSS", b, "", now)
            elif kind == "reroute":
                lifecycle.reroute(engine, config, lead_id, "unreachable", now)
            elif kind == "away":
                until = now + timedelta(minutes=5) if b else None
                availability.set_away(engine, config, a, now, until=until)
            elif kind == "back":
                availability.set_back(engine, config, a, now)
            else:
                now += timedelta(minutes=a)
                availability.end_due_away(engine, config, now)
                escalation.sweep(engine, config, now)
        except Refused:
            pass
        stored, counted = counts(engine)
        assert stored == counted, f"after step {step} {kind}: {ops[: step + 1]}"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=5, max_size=30))
def test_open_lead_counts_equal_a_recount_after_any_sequence_of_transitions(engine, now, ops):
    # (the database carries over between examples: the counts must hold whatever came before)
    run(engine, CONFIG, ops, now)
    assert load.reconcile(engine) == {}


def test_a_long_day_of_everything_keeps_the_counts_and_routes_by_them(engine, now):
    ops = [("intake", n, 50) for n in range(8)]
    ops += [("claim", 0, "ana"), ("claim", 1, "ben"), ("sweep", 8, ""), ("away", "dev", False)]
    ops += [("outcome", 0, "won"), ("reassign", 2, "mia"), ("claim", 3, "ana"), ("sweep", 12, "")]
    run(engine, CONFIG, ops, now)
    stored, _ = counts(engine)
    assert sum(stored.values()) > 0
    # capacity reads the stored counts: Ana (capacity 2) gets no lead while she has two open
    for n in range(20, 26):
        person = Lead(email=f"q{n}@example.com", employees=50)
        result = intake.intake(engine, CONFIG, person, source="generic", now=now)
        stored, _ = counts(engine)
        assert stored.get("ana", 0) <= 2, result.reason


def test_reconcile_repairs_counts_that_drifted(engine, now):
    for n in range(6):
        intake.intake(engine, CONFIG, Lead(email=f"r{n}@example.com"), source="generic", now=now)
    with engine.begin() as conn:
        conn.execute(text("UPDATE rep_load SET open_leads = open_leads + 5 WHERE rep = 'ben'"))
        conn.execute(text("INSERT INTO rep_load (rep, open_leads) VALUES ('ghost', 3)"))
        conn.execute(text("DELETE FROM rep_load WHERE rep = 'chloe'"))

    fixed = load.reconcile(engine)

    assert fixed == {"ben": (7, 2), "ghost": (3, 0), "chloe": (0, 1)}
    stored, counted = counts(engine)
    assert stored == counted == {"ana": 2, "ben": 2, "chloe": 1, "dev": 1}
    assert load.reconcile(engine) == {}


def test_a_pass_racing_a_claim_never_undoes_the_claim(engine, now):
    """'Not mine' and a claim of the same lead at once: one of them wins, never both."""
    config = team()
    ids = [
        intake.intake(engine, config, Lead(email=f"c{n}@example.com"), source="g", now=now)
        for n in range(24)
    ]

    def claim(result: intake.IntakeResult) -> bool:
        try:
            lifecycle.claim(engine, config, result.lead_id, result.owner or "", now)
            return True
        except Refused:
            return False

    def decline(result: intake.IntakeResult) -> bool:
        try:
            lifecycle.decline(engine, config, result.lead_id, result.owner or "", "", now)
            return True
        except Refused:
            return False

    with ThreadPoolExecutor(max_workers=8) as pool:
        races = [(pool.submit(claim, r), pool.submit(decline, r)) for r in ids]
        results = [(c.result(), d.result()) for c, d in races]
    outcomes: Counter[str] = Counter()
    for result, (claimed, declined) in zip(ids, results, strict=True):
        row = lifecycle.get_lead(engine, result.lead_id)
        assert not (claimed and declined), f"lead {result.lead_id}: both went through"
        if claimed:
            assert row.state == "claimed" and row.owner == result.owner
        outcomes["claimed" if claimed else "declined"] += 1
    assert sum(outcomes.values()) == 24
    stored, counted = counts(engine)
    assert stored == counted
