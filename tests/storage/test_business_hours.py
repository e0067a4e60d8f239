"""A pool's clocks stop while it is closed; a held lead's clocks start when it opens."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from routing import Lead
from routing.loader import parse_config
from storage import intake, lifecycle

NEW_YORK = ZoneInfo("America/New_York")
TEAM = """
timezone: America/New_York
hours: {mon-fri: "09:00-18:00"}
reps:
  ana: {slack_id: U0ANA, name: Ana}
  ben: {slack_id: U0BEN, name: Ben}
pools:
  sales: {members: [ana, ben], escalation: standard, SETTINGS}
rules:
  - {name: All, pool: sales}
triage: {channel: C0TRIAGE}
escalation_policies:
  standard: {steps: [{after: 15m, action: remind}, {after: 1h, action: pass}]}
"""


def config(settings: str):  # type: ignore[no-untyped-def]
    return parse_config(TEAM.replace("SETTINGS", settings), "team.yml")


def test_a_paused_pool_counts_the_sla_and_the_ladder_in_open_hours_only(engine):
    friday_evening = datetime(2026, 11, 27, 17, 50, tzinfo=NEW_YORK)
    lead_id = intake.intake(
        engine,
        config("pause_sla: true"),
        Lead(email="a@b.co"),
        source="generic",
        now=friday_evening,
    ).lead_id
    row = lifecycle.get_lead(engine, lead_id)
    assert row.owner == "ana"
    assert row.claim_due_at == datetime(2026, 11, 30, 9, 20, tzinfo=NEW_YORK)  # 10 + 20 min
    assert row.escalate_at == datetime(2026, 11, 30, 9, 5, tzinfo=NEW_YORK)  # 10 + 5 min
    assert row.escalation[1]["at"] == datetime(2026, 11, 30, 9, 50, tzinfo=NEW_YORK).isoformat()


def test_without_the_pause_the_clock_runs_through_the_night(engine):
    friday_evening = datetime(2026, 11, 27, 17, 50, tzinfo=NEW_YORK)
    lead_id = intake.intake(
        engine,
        config("after_hours: coverage"),
        Lead(email="a@b.co"),
        source="generic",
        now=friday_evening,
    ).lead_id
    row = lifecycle.get_lead(engine, lead_id)
    assert row.claim_due_at == datetime(2026, 11, 27, 18, 20, tzinfo=NEW_YORK)


def test_a_lead_held_over_the_weekend_is_due_after_monday_opens(engine):
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=NEW_YORK)
    result = intake.intake(
        engine, config("after_hours: hold"), Lead(email="a@b.co"), source="generic", now=saturday
    )
    row = lifecycle.get_lead(engine, result.lead_id)
    assert result.owner == "ana" and "held for Ana" in result.reason
    assert row.claim_due_at == datetime(2026, 11, 30, 9, 30, tzinfo=NEW_YORK)
    assert row.escalate_at == datetime(2026, 11, 30, 9, 15, tzinfo=NEW_YORK)


def test_a_closed_pool_without_hold_or_coverage_sends_the_lead_to_triage(engine):
    saturday = datetime(2026, 11, 28, 12, 0, tzinfo=NEW_YORK)
    result = intake.intake(
        engine,
        config("after_hours: coverage"),
        Lead(email="a@b.co"),
        source="generic",
        now=saturday,
    )
    assert result.state == "triage" and "Ana off hours (Sat 12:00" in result.reason
