"""Pools that keep business hours: coverage by a named rep, leads held for the morning, and
clocks that stop while the pool is closed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from routing import RoutingState, decide
from routing.business_time import business_deadline
from routing.loader import parse_config
from routing.team import WorkingHours
from tests.routing.factories import lead

NEW_YORK = ZoneInfo("America/New_York")
OFFICE = WorkingHours.model_validate({"mon-fri": "09:00-18:00"})
FRIDAY_EVENING = datetime(2026, 11, 27, 22, 50, tzinfo=UTC)  # 17:50 in New York
SATURDAY_NOON = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)

TEAM = """
timezone: America/New_York
hours: {mon-fri: "09:00-18:00"}
reps:
  ana: {slack_id: U0ANA, name: Ana}
  ben: {slack_id: U0BEN, name: Ben}
  night: {slack_id: U0NIGHT, name: Nadia Night, hours: always}
pools:
  sales: {members: [ana, ben], fallback: POLICY, after_hours: AFTER}
rules:
  - {name: All, pool: sales}
triage: {channel: C0TRIAGE}
"""


def team(fallback: str = "night", after_hours: str = "coverage"):  # type: ignore[no-untyped-def]
    text = TEAM.replace("POLICY", fallback).replace("AFTER", after_hours)
    return parse_config(text, "team.yml")


def test_a_deadline_counts_only_open_hours():
    assert business_deadline(FRIDAY_EVENING, timedelta(minutes=30), OFFICE, NEW_YORK) == (
        datetime(2026, 11, 30, 9, 20, tzinfo=NEW_YORK)
    )  # 10 minutes on Friday, 20 on Monday
    assert business_deadline(SATURDAY_NOON, timedelta(hours=10), OFFICE, NEW_YORK) == (
        datetime(2026, 12, 1, 10, 0, tzinfo=NEW_YORK)
    )  # Monday's nine hours, then one on Tuesday


def test_a_pools_coverage_can_be_a_named_rep():
    decision = decide(lead(email="a@b.co"), team(), RoutingState(), SATURDAY_NOON)
    assert decision.owner_id == "night" and not decision.held
    assert decision.reason.startswith("All → pool sales: nobody available (Ana off hours")
    assert decision.reason.endswith("→ rep Nadia Night")


def test_a_closed_pool_can_hold_a_lead_for_the_next_rep_in_line():
    decision = decide(lead(email="a@b.co"), team(after_hours="hold"), RoutingState(), SATURDAY_NOON)
    assert decision.owner_id == "ana" and decision.held and decision.pool_id == "sales"
    assert "closed, held for Ana (next in line) until the pool opens" in decision.reason


def test_holding_never_wins_over_someone_who_is_working():
    weekday = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    decision = decide(lead(email="a@b.co"), team(after_hours="hold"), RoutingState(), weekday)
    assert decision.owner_id == "ana" and not decision.held


def test_an_away_rep_is_not_held_for():
    state = RoutingState(away={"ana": None, "ben": None})
    decision = decide(lead(email="a@b.co"), team(after_hours="hold"), state, SATURDAY_NOON)
    assert decision.owner_id == "night", "nobody to hold it for: coverage takes it"
