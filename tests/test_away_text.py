"""What a rep types after /away, read as wall-clock time in the rep's own zone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.slack.away_text import AwayRequest, AwayUsageError, format_until, parse_away

PARIS = ZoneInfo("Europe/Paris")
LA = ZoneInfo("America/Los_Angeles")
MEANWHILE = "Your unclaimed leads go to your team meanwhile."

# Friday 20 November 2026, 10:00 wherever the rep is.
FRI_PARIS = datetime(2026, 11, 20, 10, 0, tzinfo=PARIS)
FRI_LA = datetime(2026, 11, 20, 10, 0, tzinfo=LA)


def local(tz: ZoneInfo, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=tz)  # type: ignore[misc]


def away(text: str, now: datetime, tz: ZoneInfo, **options: object) -> AwayRequest:
    request = parse_away(text, now, tz, **options)  # type: ignore[arg-type]
    assert request.until is None or request.until.tzinfo is UTC
    return request


def usage_error(text: str, now: datetime = FRI_PARIS, tz: ZoneInfo = PARIS) -> AwayUsageError:
    with pytest.raises(AwayUsageError) as caught:
        parse_away(text, now, tz)
    return caught.value


# ---------------------------------------------------------------- until /back


@pytest.mark.parametrize("tz", [PARIS, LA])
def test_no_text_means_away_until_back(tz: ZoneInfo) -> None:
    request = away("   ", FRI_PARIS, tz)
    assert request == AwayRequest(None, None, f"Away until you type /back. {MEANWHILE}")


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "described", "back_at", "echo"),
    [
        ("2h", "2 hours", (2026, 11, 20, 12, 0), "today at 12:00"),
        ("90m", "90 minutes", (2026, 11, 20, 11, 30), "today at 11:30"),
        ("1h30m", "1 hour 30 minutes", (2026, 11, 20, 11, 30), "today at 11:30"),
        ("1h30", "1 hour 30 minutes", (2026, 11, 20, 11, 30), "today at 11:30"),
        ("2 hours", "2 hours", (2026, 11, 20, 12, 0), "today at 12:00"),
        ("30 min", "30 minutes", (2026, 11, 20, 10, 30), "today at 10:30"),
        ("for 45 minutes", "45 minutes", (2026, 11, 20, 10, 45), "today at 10:45"),
        ("14h", "14 hours", (2026, 11, 21, 0, 0), "tomorrow at 00:00"),
        ("3d", "3 days", (2026, 11, 23, 10, 0), "Mon Nov 23 at 10:00"),
        ("2 days", "2 days", (2026, 11, 22, 10, 0), "Sun Nov 22 at 10:00"),
        ("1w", "1 week", (2026, 11, 27, 10, 0), "Fri Nov 27 at 10:00"),
    ],
)
@pytest.mark.parametrize("tz", [PARIS, LA])
def test_a_duration_counts_from_now(
    tz: ZoneInfo, text: str, described: str, back_at: tuple[int, ...], echo: str
) -> None:
    now = local(tz, 2026, 11, 20, 10, 0)
    request = away(text, now, tz)
    assert request.until == local(tz, *back_at)
    assert request.note is None
    assert request.understood == f"Away for {described}, until {echo} ({tz.key}). {MEANWHILE}"


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("2h dentist", "dentist"),
        ("2h - dentist", "dentist"),
        ("2 hours at the dentist", "at the dentist"),
        ("1h30m 3rd floor all-hands", "3rd floor all-hands"),
    ],
)
def test_text_after_a_duration_is_the_note(text: str, note: str) -> None:
    request = away(text, FRI_PARIS, PARIS)
    assert request.note == note
    assert f'Note: "{note}".' in request.understood


# ---------------------------------------------------------------- until a time


@pytest.mark.parametrize(
    ("text", "now_hm", "back_at", "echo"),
    [
        ("until 5pm", (10, 0), (2026, 11, 20, 17, 0), "today at 17:00"),
        ("until 5 PM", (10, 0), (2026, 11, 20, 17, 0), "today at 17:00"),
        ("until 9 p.m.", (10, 0), (2026, 11, 20, 21, 0), "today at 21:00"),
        ("until 17:30", (10, 0), (2026, 11, 20, 17, 30), "today at 17:30"),
        ("till 9:15am", (8, 0), (2026, 11, 20, 9, 15), "today at 09:15"),
        ("until 9am", (10, 0), (2026, 11, 21, 9, 0), "tomorrow at 09:00"),
        ("until 5pm", (17, 0), (2026, 11, 21, 17, 0), "tomorrow at 17:00"),
        ("until noon", (10, 0), (2026, 11, 20, 12, 0), "today at 12:00"),
        ("until midnight", (10, 0), (2026, 11, 21, 0, 0), "tomorrow at 00:00"),
        ("until 12am", (10, 0), (2026, 11, 21, 0, 0), "tomorrow at 00:00"),
        ("until today 4:45pm", (10, 0), (2026, 11, 20, 16, 45), "today at 16:45"),
    ],
)
@pytest.mark.parametrize("tz", [PARIS, LA])
def test_a_time_is_today_or_tomorrow_if_it_has_passed(
    tz: ZoneInfo, text: str, now_hm: tuple[int, int], back_at: tuple[int, ...], echo: str
) -> None:
    request = away(text, local(tz, 2026, 11, 20, *now_hm), tz)
    assert request.until == local(tz, *back_at)
    assert request.understood == f"Away until {echo} ({tz.key}). {MEANWHILE}"


# ---------------------------------------------------------------- until a day


@pytest.mark.parametrize(
    ("text", "back_at", "echo"),
    [
        # Today is Friday 20 Nov: "Friday" is the next one, never today.
        ("until Friday", (2026, 11, 27, 9, 0), "Fri Nov 27 at 09:00"),
        ("until fri", (2026, 11, 27, 9, 0), "Fri Nov 27 at 09:00"),
        ("until Saturday", (2026, 11, 21, 9, 0), "tomorrow at 09:00"),
        ("until monday 9am", (2026, 11, 23, 9, 0), "Mon Nov 23 at 09:00"),
        ("until Mon at 2:30pm", (2026, 11, 23, 14, 30), "Mon Nov 23 at 14:30"),
        ("until 9am on Tuesday", (2026, 11, 24, 9, 0), "Tue Nov 24 at 09:00"),
        ("until thurs", (2026, 11, 26, 9, 0), "Thu Nov 26 at 09:00"),
        ("until tomorrow", (2026, 11, 21, 9, 0), "tomorrow at 09:00"),
        ("until tomorrow 2pm", (2026, 11, 21, 14, 0), "tomorrow at 14:00"),
        ("until tomorrow at 14:00", (2026, 11, 21, 14, 0), "tomorrow at 14:00"),
        ("until 5pm tomorrow", (2026, 11, 21, 17, 0), "tomorrow at 17:00"),
    ],
)
@pytest.mark.parametrize("tz", [PARIS, LA])
def test_a_day_starts_at_the_working_day_unless_a_time_is_given(
    tz: ZoneInfo, text: str, back_at: tuple[int, ...], echo: str
) -> None:
    request = away(text, local(tz, 2026, 11, 20, 10, 0), tz)
    assert request.until == local(tz, *back_at)
    assert request.understood == f"Away until {echo} ({tz.key}). {MEANWHILE}"


def test_a_weekday_said_on_that_weekday_before_the_day_starts_is_still_next_week() -> None:
    early_friday = local(PARIS, 2026, 11, 20, 7, 0)
    assert away("until Friday", early_friday, PARIS).until == local(PARIS, 2026, 11, 27, 9, 0)
    assert away("until 9am", early_friday, PARIS).until == local(PARIS, 2026, 11, 20, 9, 0)


def test_the_working_day_start_is_a_parameter() -> None:
    request = away("until Monday", FRI_PARIS, PARIS, day_start=time(8, 30))
    assert request.until == local(PARIS, 2026, 11, 23, 8, 30)
    assert "Mon Nov 23 at 08:30" in request.understood


# ---------------------------------------------------------------- until a date


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ("until 2026-12-24", None),
        ("until 2026-12-24 Holiday", "Holiday"),
        ("until Dec 24", None),
        ("until December 24th, 2026: back from PTO", "back from PTO"),
        ("until 24 Dec dentist", "dentist"),
        ("until 24th December 2026", None),
        ("until 12/24", None),  # slashes are month/day, US order
        ("until 12/24/2026 Holiday", "Holiday"),
        ("until Thu Dec 24", None),
        ("until Thursday, Dec 24 at 09:00", None),
    ],
)
@pytest.mark.parametrize("tz", [PARIS, LA])
def test_a_date_starts_at_the_working_day_and_the_rest_is_the_note(
    tz: ZoneInfo, text: str, note: str | None
) -> None:
    request = away(text, local(tz, 2026, 11, 20, 10, 0), tz)
    assert request.until == local(tz, 2026, 12, 24, 9, 0)
    assert request.note == note
    noted = f' Note: "{note}".' if note else ""
    assert request.understood == f"Away until Thu Dec 24 at 09:00 ({tz.key}).{noted} {MEANWHILE}"


def test_a_date_with_a_time() -> None:
    request = away("until Dec 24 5:30pm", FRI_LA, LA)
    assert request.until == local(LA, 2026, 12, 24, 17, 30)


def test_a_date_of_today_is_fine_while_the_working_day_has_not_started() -> None:
    early = local(PARIS, 2026, 11, 20, 8, 0)
    request = away("until 2026-11-20", early, PARIS)
    assert request.until == local(PARIS, 2026, 11, 20, 9, 0)
    assert request.understood == f"Away until today at 09:00 (Europe/Paris). {MEANWHILE}"


# ---------------------------------------------------------------- daylight saving time


def test_eu_fall_back_a_day_keeps_nine_oclock_local() -> None:
    # Clocks go back in Paris on Sunday 25 Oct 2026: 09:00 is 07:00 UTC before, 08:00 after.
    friday = local(PARIS, 2026, 10, 23, 10, 0)
    request = away("until Monday", friday, PARIS)
    assert request.until == datetime(2026, 10, 26, 8, 0, tzinfo=UTC)
    assert request.understood == f"Away until Mon Oct 26 at 09:00 (Europe/Paris). {MEANWHILE}"


def test_eu_fall_back_days_are_calendar_days_and_hours_are_elapsed() -> None:
    saturday = local(PARIS, 2026, 10, 24, 10, 0)
    one_day = away("1d", saturday, PARIS)
    assert one_day.until == datetime(2026, 10, 25, 9, 0, tzinfo=UTC)  # 10:00 CET, 25 h later
    assert "until tomorrow at 10:00 (Europe/Paris)" in one_day.understood
    day_of_hours = away("24h", saturday, PARIS)
    assert day_of_hours.until == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)
    assert "until tomorrow at 09:00 (Europe/Paris)" in day_of_hours.understood


def test_eu_a_repeated_time_is_the_first_unless_the_zone_is_named() -> None:
    friday = local(PARIS, 2026, 10, 23, 10, 0)
    first = away("until Sunday 2:30am", friday, PARIS)
    assert first.until == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert first.understood == (
        "Away until Sun Oct 25 at 02:30 CEST (Europe/Paris). 02:30 happens twice that night"
        ' (the clocks go back): this is the first, CEST. Say "02:30 CET" for the second.'
        f" {MEANWHILE}"
    )
    second = away("until Sunday 2:30am CET", friday, PARIS)
    assert second.until == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert second.understood == f"Away until Sun Oct 25 at 02:30 CET (Europe/Paris). {MEANWHILE}"


def test_us_fall_back_a_day_keeps_nine_oclock_local() -> None:
    # Clocks go back in Los Angeles on Sunday 1 Nov 2026: 09:00 is 16:00 UTC before, 17:00 after.
    friday = local(LA, 2026, 10, 30, 10, 0)
    request = away("until Monday", friday, LA)
    assert request.until == datetime(2026, 11, 2, 17, 0, tzinfo=UTC)
    assert request.understood == (
        f"Away until Mon Nov 2 at 09:00 (America/Los_Angeles). {MEANWHILE}"
    )
    assert away("until 2026-11-03", friday, LA).until == datetime(2026, 11, 3, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "utc_hour", "echo"),
    [
        ("until 1:30am", 8, "tomorrow at 01:30 PDT"),
        ("until 1:30am PDT", 8, "tomorrow at 01:30 PDT"),
        ("until 1:30am PST", 9, "tomorrow at 01:30 PST"),
        ("until 1:30 am pst", 9, "tomorrow at 01:30 PST"),
        ("until 1:30am PT", 8, "tomorrow at 01:30 PDT"),
        ("until 1:30am UTC-8", 9, "tomorrow at 01:30 PST"),
    ],
)
def test_us_fall_back_the_repeated_hour(text: str, utc_hour: int, echo: str) -> None:
    saturday_night = local(LA, 2026, 10, 31, 22, 0)
    request = away(text, saturday_night, LA)
    assert request.until == datetime(2026, 11, 1, utc_hour, 30, tzinfo=UTC)
    assert request.understood.startswith(f"Away until {echo} (America/Los_Angeles).")


def test_us_spring_forward_a_missing_time_moves_on_by_the_gap() -> None:
    # 8 Mar 2026 in Los Angeles: 02:00 PST jumps to 03:00 PDT; there is no 02:30.
    saturday_night = local(LA, 2026, 3, 7, 23, 0)
    request = away("until 2:30am", saturday_night, LA)
    assert request.until == datetime(2026, 3, 8, 10, 30, tzinfo=UTC)
    assert request.understood == (
        "Away until tomorrow at 03:30 (America/Los_Angeles). There is no 02:30 that night"
        f" (the clocks go forward), so that is 03:30. {MEANWHILE}"
    )
    # Three elapsed hours from 23:00 PST are 03:00 PDT, not 02:00.
    assert away("3h", saturday_night, LA).until == local(LA, 2026, 3, 8, 3, 0)


def test_eu_spring_forward_a_missing_time_moves_on_by_the_gap() -> None:
    saturday_night = local(PARIS, 2026, 3, 28, 20, 0)
    request = away("until 2:30am", saturday_night, PARIS)
    assert request.until == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert "tomorrow at 03:30 (Europe/Paris). There is no 02:30" in request.understood
    assert away("until tomorrow", saturday_night, PARIS).until == datetime(
        2026, 3, 29, 7, 0, tzinfo=UTC
    )


# ---------------------------------------------------------------- the year end


@pytest.mark.parametrize(
    ("text", "back_at", "echo"),
    [
        ("until Jan 4", (2027, 1, 4, 9, 0), "Mon Jan 4 2027 at 09:00"),
        ("until 1/2", (2027, 1, 2, 9, 0), "Sat Jan 2 2027 at 09:00"),
        ("until 2027-01-04 back from PTO", (2027, 1, 4, 9, 0), "Mon Jan 4 2027 at 09:00"),
        ("until Monday", (2027, 1, 4, 9, 0), "Mon Jan 4 2027 at 09:00"),
        ("until Dec 31", (2026, 12, 31, 9, 0), "tomorrow at 09:00"),
        ("3d", (2027, 1, 2, 15, 0), "Sat Jan 2 2027 at 15:00"),
    ],
)
@pytest.mark.parametrize("tz", [PARIS, LA])
def test_across_the_year_end_a_date_without_a_year_is_the_next_one(
    tz: ZoneInfo, text: str, back_at: tuple[int, ...], echo: str
) -> None:
    request = away(text, local(tz, 2026, 12, 30, 15, 0), tz)
    assert request.until == local(tz, *back_at)
    assert f"until {echo} ({tz.key})." in request.understood


def test_tomorrow_on_new_years_eve_is_new_years_day() -> None:
    request = away("until tomorrow", local(LA, 2026, 12, 31, 20, 0), LA)
    assert request.until == local(LA, 2027, 1, 1, 9, 0)
    assert request.understood.startswith("Away until tomorrow at 09:00 (America/Los_Angeles).")


# ---------------------------------------------------------------- what it will not read


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("until the cows come home", '"the cows come home" is not a time, day or date I can read.'),
        ("lunch-ish", '"lunch-ish" is not a duration or "until …".'),
        ("until 2019-01-01", '"2019-01-01" is in the past.'),
        ("until 2025-12-24", '"2025-12-24" is Wed Dec 24 2025 at 09:00, which has passed.'),
        ("until today 8am", '"today 8am" is today at 08:00, which has passed.'),
        ("until 25:00", '"25:00" is not a time of day (use 00:00 to 23:59).'),
        ("until 13pm", '"13pm" is not a time of day.'),
        ("-2h", '"-2h": a duration cannot be negative.'),
        ("until yesterday", '"yesterday" is in the past.'),
        ("0m", '"0m" is no time at all.'),
        ("1.5h", '"1.5h": use whole numbers, like 1h30m or 90m.'),
        ("2h 2h", '"2h" gives the hours twice.'),
        ("2 dentist", '"2" needs a unit: 2h, 2m or 2 days.'),
        ("2 months", '"2 months": for long absences give a date, like "until Dec 24".'),
        ("99999999999w", '"99999999999w" is far too long.'),
        ("until 5", '"5" could be 5am or 5pm: write 5am, 5pm or 17:00.'),
        ("until 17", '"17" needs minutes: write 17:00.'),
        ("until 17h", '"17h": write clock times like 17:30 or 5:30pm.'),
        ("until Friday 3", '"3" could be 3am or 3pm: write 3am, 3pm or 15:00.'),
        ("until 24.12", '"24.12" could be a date or a time: write Dec 24, 2026-12-24 or 17:30.'),
        ("until 12/24/26", '"12/24/26": write the year in full, like 12/24/2026.'),
        ("until Feb 30", '"Feb 30" is not a date.'),
        ("until December", '"December" needs a day, like "December 24".'),
        ("until today", '"today" needs a time, like "until today 5pm".'),
        ("until", '"until" needs a time, a day or a date.'),
        ("for", 'expected a duration after "for", found nothing.'),
        ("until Friday at", 'expected a time after "at", found nothing.'),
        ("until Mon Dec 24", '"Mon Dec 24": Dec 24 2026 is a Thursday.'),
        ("tomorrow", 'to say when you are back, start with "until": /away until tomorrow'),
        ("5pm dentist", 'to say when you are back, start with "until": /away until 5pm dentist'),
        (
            "until next friday",
            '"next friday" can mean two different days: say "until Friday" (the next Friday to'
            " come) or give a date.",
        ),
        (
            "until 24/12",
            '"24/12": dates with slashes are month/day (US order), and there is no month 24.'
            " Write Dec 24 or a date like 2026-12-24.",
        ),
        (
            "2h tomorrow",
            'I read "2h" but not what follows: "tomorrow". Give one time, day or duration'
            " (a note after it must not start with one).",
        ),
        ("until Friday morning", 'I read "until Friday" but not what follows: "morning".'),
        ("2h 30", 'I read "2h" but not what follows: "30".'),
        ("2h at 5pm", 'I read "2h" but not what follows: "at 5pm".'),
        ("2h until 5pm", 'I read "2h" but not what follows: "until 5pm".'),
        (
            "until 5pm EST",
            '"EST": times are read in your own time zone (Europe/Paris). Leave out "EST" and give'
            " the time as it is there.",
        ),
        (
            "91d",
            '"91d" is Fri Feb 19 2027 at 10:00: /away lasts at most 90 days. For a longer absence,'
            " use /away alone and type /back when you return.",
        ),
        ("until Dec 24 2027", '"Dec 24 2027" is Fri Dec 24 2027 at 09:00: /away lasts at most'),
        ("2h " + "x" * 201, "the note is 201 characters long; keep it under 200."),
        ("²h", '"²h" is not a duration or "until …".'),
        ("until ٣pm", '"٣pm" is not a time, day or date I can read.'),
    ],
)
def test_unreadable_text_is_a_usage_error_that_says_why(text: str, problem: str) -> None:
    error = usage_error(text)
    assert error.problem.startswith(problem)
    assert error.message.startswith(f"Sorry, I could not understand `/away {text}`.")
    assert problem[0].upper() + problem[1:] in error.message
    for example in ("`/away`", "`/away 2h", "`/away until 5pm`", "`/away until Friday`"):
        assert example in error.message
    assert "`/away until 2026-12-04 Holiday`" in error.message
    assert error.message.endswith("Times are in your time zone, Europe/Paris.")


@pytest.mark.parametrize(
    ("text", "unread"),
    [
        ("until the cows come home", "the cows come home"),
        ("lunch-ish", "lunch-ish"),
        ("until 25:00 dentist", "25:00"),
        ("2h tomorrow", "tomorrow"),
        ("until 2019-01-01", "2019-01-01"),
    ],
)
def test_the_usage_error_names_the_words_it_could_not_read(text: str, unread: str) -> None:
    assert usage_error(text).unread == unread


def test_a_time_in_another_zone_is_refused_in_los_angeles_too() -> None:
    error = usage_error("until 5pm CET", FRI_LA, LA)
    assert "times are read in your own time zone (America/Los_Angeles)" in error.problem
    assert error.message.endswith("Times are in your time zone, America/Los_Angeles.")


def test_the_longest_absence_is_a_parameter() -> None:
    assert away("3d", FRI_PARIS, PARIS, max_away=timedelta(days=3)).until is not None
    with pytest.raises(AwayUsageError) as error:
        parse_away("4d", FRI_PARIS, PARIS, max_away=timedelta(days=3))
    assert "/away lasts at most 3 days." in error.value.problem


@pytest.mark.parametrize("tz", [PARIS, LA])
def test_every_example_in_the_usage_message_works(tz: ZoneInfo) -> None:
    now = local(tz, 2026, 11, 20, 10, 0)
    message = usage_error("lunch-ish", now, tz).message
    tips = message.split("Try one of these:")[1]
    examples = re.findall(r"`/away ?([^`]*)`", tips)
    assert "until Friday" in examples and "2h dentist" in examples
    for example in examples:
        away(example, now, tz)


def test_now_must_carry_its_time_zone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_away("2h", datetime(2026, 11, 20, 10, 0), PARIS)


# ---------------------------------------------------------------- format_until


@pytest.mark.parametrize(
    ("until", "shown"),
    [
        (local(PARIS, 2026, 11, 20, 17, 0), "today at 17:00"),
        (local(PARIS, 2026, 11, 21, 9, 0), "tomorrow at 09:00"),
        (local(PARIS, 2026, 11, 27, 9, 0), "Fri Nov 27 at 09:00"),
        (local(PARIS, 2027, 1, 1, 9, 0), "Fri Jan 1 2027 at 09:00"),
        (datetime(2026, 11, 20, 23, 30, tzinfo=UTC), "tomorrow at 00:30"),
    ],
)
def test_format_until_reads_in_the_reps_zone(until: datetime, shown: str) -> None:
    assert format_until(until, PARIS, FRI_PARIS) == shown


def test_format_until_names_the_zone_of_a_repeated_time() -> None:
    now = local(LA, 2026, 10, 31, 12, 0)
    first = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    assert format_until(first, LA, now) == "tomorrow at 01:30 PDT"
    assert format_until(first + timedelta(hours=1), LA, now) == "tomorrow at 01:30 PST"


# ---------------------------------------------------------------- properties

ZONES = [
    PARIS,
    LA,
    ZoneInfo("UTC"),
    ZoneInfo("Europe/London"),
    ZoneInfo("Asia/Kolkata"),
    ZoneInfo("Australia/Sydney"),
    ZoneInfo("Australia/Lord_Howe"),  # half-hour DST shift
]
NOWS = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=400, deadline=None)
@given(tz=st.sampled_from(ZONES), now=NOWS, minutes=st.integers(1, 90 * 1440 - 1))
def test_an_echoed_time_reads_back_as_the_same_moment(
    tz: ZoneInfo, now: datetime, minutes: int
) -> None:
    until = (now + timedelta(minutes=minutes)).replace(second=0, microsecond=0)
    if until <= now:
        return
    shown = format_until(until, tz, now)
    assert parse_away(f"until {shown}", now, tz).until == until


WORDS = st.sampled_from(
    [
        "until", "till", "for", "at", "on", "next", "2h", "90m", "1h30", "3", "5pm", "17:30",
        "25:00", "noon", "friday", "tomorrow", "today", "yesterday", "dec", "24", "24th",
        "2026-12-24", "12/24", "2027", "pst", "CET", "dentist", "-2h", "1.5h", "days", "am",
    ]
)  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    now=NOWS,
    text=st.one_of(st.lists(WORDS, max_size=6).map(" ".join), st.text(max_size=40)),
)
def test_any_text_is_either_understood_within_limits_or_a_usage_error(
    tz: ZoneInfo, now: datetime, text: str
) -> None:
    try:
        request = parse_away(text, now, tz)
    except AwayUsageError as error:
        assert error.message.startswith("Sorry, I could not understand")
        return
    assert request.understood.endswith(MEANWHILE)
    if request.until is not None:
        assert now < request.until <= now + timedelta(days=90)
