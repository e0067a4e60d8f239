"""`leadrouter simulate` and /routing-stats give the same fairness figure for the same leads:
both take it from routing.fairness, each passing the availability it knows (the simulator the
config's time off, lead by lead; the stored history the rep's /away, over the period)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from routing.simulate import simulate
from storage import availability, intake, lifecycle
from storage.analytics import build_report
from tests.analytics.history import lead
from tests.support.team import team

SINCE = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday, midnight UTC
UNTIL = SINCE + timedelta(days=4)
AWAY_FROM = SINCE + timedelta(days=2)  # dev is away for the second half of the period
# one lead every 12 hours, mid-slot: 4 before dev leaves, 4 after
ARRIVALS = [SINCE + timedelta(hours=6 + 12 * k) for k in range(8)]

LIVE = team()
# the same absence as the simulator knows it: time off on the 18th and 19th (dev is in UTC)
SIMULATED = team(
    {
        "dev: {slack_id: U0DEV, name: Dev}": (
            "dev: {slack_id: U0DEV, name: Dev, time_off: [{start: 2026-11-18, end: 2026-11-19}]}"
        )
    }
)


def test_the_simulator_and_the_stats_give_the_same_fairness_for_the_same_leads(engine):
    leads = [(at, lead()) for at in ARRIVALS]

    replay = simulate(leads, SIMULATED)

    live_owners = []
    for at, item in leads:
        if at > AWAY_FROM and "dev" not in availability.away_status(engine):
            availability.set_away(engine, LIVE, "dev", AWAY_FROM)
        result = intake.intake(engine, LIVE, item, source="generic", now=at)
        if result.owner == "dev":  # claimed, so going away does not pass it on
            lifecycle.claim(engine, LIVE, result.lead_id, "dev", at + timedelta(minutes=1))
        live_owners.append(result.owner)
    stats = build_report(engine, LIVE, SINCE, UNTIL)

    assert [r.owner_key for r in replay.results] == live_owners, "the same offers both ways"
    assert live_owners == ["ana", "ben", "chloe", "dev", "ana", "ben", "chloe", "ana"]
    replayed = next(p for p in replay.fairness if p.pool == "sales")
    [stored] = stats.fairness
    # due: 1, 1, 1 and 0.5 of 3.5; got 3, 2, 2, 1 of 8 → ana 1.3125, the others 0.875
    assert stored.figure == pytest.approx(1.5)
    assert replayed.ratio == stored.figure
    assert (replayed.busiest, replayed.quietest) == ("ana", "dev")
    assert {s.rep: s.available for s in stored.reps}["dev"] == pytest.approx(0.5)
    assert {r.rep: r.available for r in replay.reps if r.via == "sales"}["dev"] == 4
