"""Durations: the config notation both ways, and the one "how long" people read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.slack import cards
from routing.durations import format_duration, format_elapsed, parse_duration


@pytest.mark.parametrize("text", ["90s", "5m", "2h", "1d", "1h30m", "1d2h3m4s"])
def test_the_config_notation_reads_back_what_it_writes(text):
    assert format_duration(parse_duration(text)) == text.replace("90s", "1m30s")


@pytest.mark.parametrize(
    ("delta", "shown"),
    [
        (timedelta(seconds=-5), "0s"),
        (timedelta(seconds=45.9), "45s"),
        (timedelta(minutes=2, seconds=5), "2m 05s"),
        (timedelta(hours=3, minutes=7, seconds=59), "3h 07m"),
        (timedelta(hours=47, minutes=59), "47h 59m"),
        (timedelta(days=2, hours=4, minutes=30), "2d 4h"),
    ],
)
def test_how_long_reads_to_the_second_then_the_minute_then_days_and_hours(delta, shown):
    assert format_elapsed(delta) == shown


def test_the_cards_span_is_the_same_formatter():
    assert cards.span is format_elapsed
