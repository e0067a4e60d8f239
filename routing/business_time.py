"""Clocks that stop outside business hours: a pool may count its claim SLA and escalation
ladder only while it is open, so a lead that arrives Friday at 17:50 is due Monday morning
rather than in the middle of the night.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from routing.team import WorkingHours

WEEK_MINUTES = 7 * 1440


def _week_start(local: datetime) -> datetime:
    monday = local - timedelta(days=local.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)


def business_deadline(
    start: datetime, duration: timedelta, hours: WorkingHours, zone: ZoneInfo
) -> datetime:
    """`start` plus `duration` counted only inside `hours` (wall clock in `zone`).

    A start outside the hours waits for the next opening. With no hours at all, the clock
    never runs and the answer is the wall-clock deadline (nothing would ever come due)."""
    if not hours.spans or duration <= timedelta(0):
        return start + max(duration, timedelta(0))
    remaining = duration.total_seconds()
    local = start.astimezone(zone).replace(tzinfo=None)  # wall clock, naive
    week = _week_start(local)
    for _ in range(8 * len(hours.spans) + 8):  # at most a few weeks of spans
        minute = (local - week).total_seconds() / 60
        for span_start, span_end in hours.spans:
            if minute >= span_end:
                continue
            opens = week + timedelta(minutes=span_start)
            closes = week + timedelta(minutes=span_end)
            begin = max(local, opens)
            available = (closes - begin).total_seconds()
            if remaining <= available:
                return (
                    (begin + timedelta(seconds=remaining))
                    .replace(tzinfo=zone)
                    .astimezone(start.tzinfo)
                )
            remaining -= available
            local = closes
            minute = span_end
        week += timedelta(days=7)
        local = max(local, week)
    raise ValueError("business hours too short to ever reach the deadline")
