"""Reps and pools: who can take leads, when, and how a pool shares them out."""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from routing import normalize
from routing.durations import Duration

# Handles for reps and pools in routing.yml: letters, digits, '.', '_' and '-'.
ID_PATTERN = r"^$|^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def _time_zone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value!r} (use an IANA name such as 'Europe/Paris')"
        ) from None
    return str(value)


TimeZoneName = Annotated[str, BeforeValidator(_time_zone)]


def _weekdays(key: str) -> list[int]:
    """'mon-fri' -> [0..4], 'sat' -> [5], 'mon,wed' -> [0, 2]."""
    days: list[int] = []
    for part in key.lower().replace(" ", "").split(","):
        if "-" in part:
            start, end = part.split("-", 1)
            if start not in WEEKDAYS or end not in WEEKDAYS:
                raise ValueError(f"unknown weekday range {part!r} (use mon-fri)")
            first, last = WEEKDAYS.index(start), WEEKDAYS.index(end)
            days.extend(
                range(first, last + 1) if first <= last else [*range(first, 7), *range(last + 1)]
            )
        elif part in WEEKDAYS:
            days.append(WEEKDAYS.index(part))
        else:
            raise ValueError(f"unknown weekday {part!r} (use mon, tue, ... sun)")
    return days


def _minutes(hours: str, minutes: str, text: str) -> int:
    if int(hours) > 24 or int(minutes) > 59 or (int(hours) == 24 and int(minutes)):
        raise ValueError(f"bad time in {text!r}")
    return int(hours) * 60 + int(minutes)


class WorkingHours(BaseModel):
    """Weekly hours in the rep's own time zone: {'mon-fri': '09:00-17:30', 'sat': '10:00-14:00'}.

    'always' means around the clock. A span whose end is before its start ('22:00-06:00')
    runs past midnight into the next day.
    """

    model_config = ConfigDict(frozen=True)

    # minute-of-week spans [start, end), 0 = Monday 00:00
    spans: tuple[tuple[int, int], ...]
    text: str

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, value: Any) -> Any:
        if isinstance(value, WorkingHours) or (isinstance(value, dict) and "spans" in value):
            return value
        if isinstance(value, str) and value.strip().lower() in ("always", "24/7", "24x7"):
            return {"spans": ((0, 7 * 1440),), "text": "always"}
        if not isinstance(value, dict):
            raise ValueError("working hours are 'always' or a mapping like {mon-fri: 09:00-17:00}")
        spans: list[tuple[int, int]] = []
        for key, spec in value.items():
            days = _weekdays(str(key))
            for span_text in str(spec).split(","):
                span_text = span_text.strip()
                if span_text.lower() == "off":
                    continue
                match = _SPAN.match(span_text)
                if not match:
                    raise ValueError(f"cannot read hours {span_text!r} for {key} (use 09:00-17:30)")
                start = _minutes(match[1], match[2], span_text)
                end = _minutes(match[3], match[4], span_text)
                if end == start:
                    raise ValueError(f"empty span {span_text!r} for {key}")
                for day in days:
                    begin = day * 1440 + start
                    finish = day * 1440 + end if end > start else (day + 1) * 1440 + end
                    if finish > 7 * 1440:  # Sunday night into Monday morning wraps the week
                        spans.append((begin, 7 * 1440))
                        spans.append((0, finish - 7 * 1440))
                    else:
                        spans.append((begin, finish))
        text = ", ".join(f"{k} {v}" for k, v in value.items())
        return {"spans": tuple(sorted(spans)), "text": text}

    def contains(self, local: datetime) -> bool:
        return self.contains_minute(minute_of_week(local))

    def contains_minute(self, minute: int) -> bool:
        """Whether minute-of-week `minute` (0 = Monday 00:00, local time) is working time."""
        for start, end in self.spans:  # noqa: SIM110 - a plain loop skips building a generator
            if start <= minute < end:
                return True
        return False


def minute_of_week(local: datetime) -> int:
    return local.weekday() * 1440 + local.hour * 60 + local.minute


class TimeOff(BaseModel):
    """Planned absence known in advance (holidays), inclusive dates in the rep's time zone."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: date
    end: date
    reason: str | None = None

    @model_validator(mode="after")
    def _ordered(self) -> TimeOff:
        if self.end < self.start:
            raise ValueError("time off ends before it starts")
        return self


class Rep(BaseModel):
    """A sales rep. `id` is the short handle used in the config; `slack_id` is who gets pinged."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field("", pattern=ID_PATTERN)
    slack_id: str = Field(
        pattern=r"^[UW][A-Z0-9]{2,}$", description="Slack member id, e.g. U024BE7LH"
    )
    name: str
    email: str | None = None
    timezone: TimeZoneName | None = None
    hours: WorkingHours | None = None
    time_off: tuple[TimeOff, ...] = ()
    languages: frozenset[str] = frozenset()
    products: frozenset[str] = frozenset()
    industries: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()
    tier: str | None = None
    capacity: int | None = Field(None, ge=0, description="Most open leads at once")
    weight: int = Field(1, ge=1, le=10, description="Share in weighted pools, 1-10")
    manager: str | None = None
    active: bool = True

    @field_validator("languages", mode="before")
    @classmethod
    def _languages(cls, value: Any) -> Any:
        return [normalize.language_code(str(v)) for v in value] if value is not None else value

    @field_validator("products", "industries", "skills", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return [str(v).strip().lower() for v in value] if value is not None else value

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or "UTC")

    def is_working(self, now: datetime) -> bool:
        return self.hours is None or self.hours.contains(now.astimezone(self.zone))

    def time_off_at(self, now: datetime) -> TimeOff | None:
        if not self.time_off:
            return None
        return self.time_off_on(now.astimezone(self.zone).date())

    def time_off_on(self, day: date) -> TimeOff | None:
        """The time off covering `day` (a date in the rep's own zone), if any."""
        return next((t for t in self.time_off if t.start <= day <= t.end), None)


class Strategy(StrEnum):
    round_robin = "round_robin"
    weighted = "weighted"
    least_loaded = "least_loaded"
    top_performer = "top_performer"


class Pool(BaseModel):
    """A team that shares leads: its members, how it shares, where it talks, how it escalates."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field("", pattern=ID_PATTERN)
    name: str | None = None
    members: tuple[str, ...] = Field(min_length=1)
    strategy: Strategy = Strategy.round_robin
    channel: str | None = Field(None, pattern=r"^(C|G)[A-Z0-9]{2,}$|^#[a-z0-9._-]+$")
    sla: Duration | None = None
    escalation: str | None = None
    fallback: str | None = Field(None, description="Coverage: a pool, or a rep, tried next")
    manager: str | None = None
    hours: WorkingHours | None = Field(None, description="Business hours (default: the top level)")
    timezone: TimeZoneName | None = Field(None, description="Of `hours` (default: the top level)")
    pause_sla: bool = Field(
        False, description="Count the claim SLA and the escalation ladder only within `hours`"
    )
    after_hours: Literal["coverage", "hold"] = Field(
        "coverage",
        description="When every member is off hours: try the coverage (fallback) chain, or "
        "hold the lead for the next member in line with its clock paused until opening",
    )

    @field_validator("members")
    @classmethod
    def _unique(cls, members: tuple[str, ...]) -> tuple[str, ...]:
        seen = set()
        for member in members:
            if member in seen:
                raise ValueError(f"{member!r} is listed twice")
            seen.add(member)
        return members

    @property
    def label(self) -> str:
        return self.name or self.id

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone or "UTC")
