"""HubSpot's limits kept ahead of time: a rolling window counted as HubSpot counts it, a share
left for routing-time look-ups, and no 429 from the stand-in under a burst of write-backs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from bot.crm import writeback
from bot.crm.hubspot import HubSpotCrm
from bot.crm.ownership import Ownership
from bot.crm.pacing import WINDOW, HubSpotPace
from bot.slack.errors import Failed, Handling
from storage.models import LeadRow
from tests.crm.conftest import crm_team

CONFIG = crm_team("{provider: hubspot}")
NOW = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_write_back_leaves_a_fifth_of_the_window_to_routing_and_waits_a_rolling_window():
    clock = Clock()
    pace = HubSpotPace(100, clock=clock, sleep=clock.sleep)
    for _ in range(80):
        pace.before(search=False, routing=False)
    clock.now += 1
    for _ in range(20):  # routing may still look up
        pace.before(search=False, routing=True)
    with pytest.raises(Failed) as full:
        pace.before(search=False, routing=True)
    assert full.value.kind is Handling.rate_limited
    # A write-back now waits for the oldest calls to leave the window: 9.5 s, more than it
    # may wait in its thread, so it goes back to the outbox for that long.
    with pytest.raises(Failed) as later:
        pace.before(search=False, routing=False)
    assert later.value.retry_after == pytest.approx(WINDOW - 1)
    clock.now += WINDOW - 1 - 1.0
    pace.before(search=False, routing=False)  # within MAX_WAIT: it sleeps, then goes
    assert clock.slept == [pytest.approx(1.0)]


def test_searches_have_their_own_window():
    clock = Clock()
    pace = HubSpotPace(100, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        pace.before(search=True, routing=False)
    pace.before(search=True, routing=False)  # the fourth write-back search waits its turn
    assert clock.slept == [pytest.approx(1.1)]
    pace.before(search=False, routing=False)  # other calls do not


def many_leads(count: int) -> list[LeadRow]:
    return [
        LeadRow(
            id=100 + n,
            created_at=NOW,
            source="typeform",
            email=f"lead{n}@acme{n}.com",
            company="Acme",
            data={"email": f"lead{n}@acme{n}.com", "name": f"Kim {n}"},
            state="assigned",
            owner="ana",
            reason="pool sales",
            claim_due_at=NOW + timedelta(minutes=30),
        )
        for n in range(count)
    ]


def sync_all(crm: HubSpotCrm, leads: list[LeadRow]) -> list[str]:
    ownership = Ownership(crm, CONFIG)
    ownership.refresh_owners()

    def one(row: LeadRow) -> str:
        try:
            writeback.sync(crm, ownership, CONFIG, row, None, NOW)
        except Failed as failed:
            return failed.code
        return "ok"

    with ThreadPoolExecutor(4) as pool:  # as the outbox's workers would
        return list(pool.map(one, leads))


@pytest.mark.parametrize("burst", [100, 0], ids=["paced", "not paced"])
def test_a_burst_of_write_backs_meets_no_429_when_paced(hubspot, burst):
    """40 new leads at once, three calls each: more than HubSpot's 100 a 10 s. Paced, the
    writes past the window go back to the outbox for as long as it lasts, and HubSpot never
    answers 429 (its guidelines ask that errors stay under 5% of calls)."""
    results = sync_all(HubSpotCrm(hubspot.token, hubspot.url, burst=burst), many_leads(40))
    refused = [c for c in hubspot.calls() if c.status == 429]
    if burst:
        assert refused == [] and results.count("ok") >= 20
        assert set(results) <= {"ok", "HubSpot write held back under its rate limit"}
    else:  # what pacing prevents: 429s, each write pushed back by HubSpot's 10 s window
        assert refused and "HubSpot 429 RATE_LIMIT TEN_SECONDLY_ROLLING" in results
