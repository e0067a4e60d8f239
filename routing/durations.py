"""Durations, read and written.

- parse_duration / format_duration: the config notation ('90s', '5m', '2h', '1d', '1h30m'),
  each the inverse of the other (an SLA, a ladder step, `--hold`);
- format_elapsed: how long something took or how long ago it was, for people to read on a
  card, in the stats or in a reason ('45s', '2m 05s', '3h 07m', '2d 4h').
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_PART = re.compile(r"(\d+)\s*(d|h|m|s)")
_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}


def parse_duration(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError("a duration looks like '90s', '5m', '2h', '1d' or '1h30m'")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    text = str(value).strip().lower().replace(" ", "")
    if re.fullmatch(r"(\d+[dhms])+", text):
        return timedelta(seconds=sum(int(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(text)))
    raise ValueError(f"cannot read duration {value!r}: write '90s', '5m', '2h', '1d' or '1h30m'")


def format_duration(delta: timedelta) -> str:
    """timedelta(minutes=90) -> '1h30m'; the inverse of parse_duration."""
    seconds = int(delta.total_seconds())
    if seconds == 0:
        return "0s"
    parts = []
    for unit, size in _UNIT_SECONDS.items():
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def format_elapsed(delta: timedelta) -> str:
    """How long, to the second under an hour, to the minute under two days, then days and hours:
    '45s', '2m 05s', '3h 07m', '2d 4h'. A negative span reads as '0s' (a clock a little behind).
    The one formatter for "claimed in …", "… ago", "overdue by …" and the stats' medians."""
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m"
    return f"{hours // 24}d {hours % 24}h"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
]
