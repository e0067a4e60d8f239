"""Read what a rep types after `/away`. Pure: no Slack, no database, no clock read.

    parse_away(text, now, tz) -> AwayRequest        or raises AwayUsageError
    format_until(until, tz, now) -> "today at 17:00" | "tomorrow at 09:00" | "Fri Nov 27 at 09:00"

Grammar (case-insensitive; whatever follows what was read is the rep's note):

    /away                          until the rep types /back
    /away [for] DURATION [note]    2h, 90m, 1h30m, 1h30, 2 hours, 30 min, 3d, 2 days, 1w
    /away until WHEN [note]        also "till" / "til"

    WHEN := DAY [[at] TIME [ZONE]] | TIME [ZONE] [[on] DAY]
    DAY  := today | tomorrow | WEEKDAY | [WEEKDAY] DATE
    DATE := 2026-12-24 | Dec 24 [2026] | 24 Dec [2026] | 12/24[/2026]   (slashes: month/day, US)
    TIME := 5pm | 5:30 pm | 17:30 | noon | midnight     ZONE: the rep's own, e.g. PST, CET, UTC+1

Meaning, always as wall-clock time in the rep's zone `tz`:
- a TIME alone is today at that time, or tomorrow if that moment has passed;
- a WEEKDAY is the next such day strictly after today (1 to 7 days ahead: "until Friday" said
  on a Friday means next week's Friday; for later today, give a time or "today 5pm");
- a DATE without a year is this year's, or next year's if that day is already behind us;
- a DAY without a TIME starts at `day_start` (09:00), so a date across a DST change is still
  09:00 local;
- minutes and hours of a DURATION are elapsed time; days and weeks are calendar days that keep
  the wall-clock time ("1d" at 10:00 is 10:00 tomorrow even across a DST change).

DST: a wall time that does not exist (clocks jump forward) moves forward by the gap, 02:30 ->
03:30; a wall time that happens twice (clocks go back) is the first one unless the rep names the
zone ("1:30am PST"). `understood` says so in either case.

Never guesses: a bare "5" (am or pm?), "next Friday" (which one?), "2h tomorrow", a time in
another zone, 24/12 (slashes are month/day), a past or too distant end, or anything unread raise
AwayUsageError, whose `message` echoes the text and shows examples that work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

_T = TypeVar("_T")

DEFAULT_DAY_START = time(9, 0)
DEFAULT_MAX_AWAY = timedelta(days=90)
NOTE_MAX_CHARS = 200  # the width of storage.models.Availability.note
MEANWHILE = "Your unclaimed leads go to your team meanwhile."


@dataclass(frozen=True)
class AwayRequest:
    until: datetime | None
    """When the rep is back, in UTC; None means until they type /back."""
    note: str | None
    understood: str
    """One sentence (or three) to echo back, in the rep's own time zone."""


class AwayUsageError(ValueError):
    """The text could not be read. `message` is the whole reply to show the rep."""

    def __init__(self, problem: str, unread: str, message: str) -> None:
        super().__init__(message)
        self.problem = problem  # one sentence: what was wrong
        self.unread = unread  # the part of the text that could not be read
        self.message = message


class _Unreadable(Exception):
    def __init__(self, problem: str, unread: str) -> None:
        super().__init__(problem)
        self.problem, self.unread = problem, unread


# ---------------------------------------------------------------- words

_UNTIL = {"until", "till", "til", "'til", "untill"}
_UNITS = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), "m"),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), "h"),
    **dict.fromkeys(("d", "day", "days"), "d"),
    **dict.fromkeys(("w", "wk", "wks", "week", "weeks"), "w"),
}
_TOO_LONG_UNITS = {"mo", "mos", "month", "months", "y", "yr", "yrs", "year", "years"}
_UNIT_NAMES = {"w": "week", "d": "day", "h": "hour", "m": "minute"}
_MINUTES = {"w": 7 * 1440, "d": 1440, "h": 60, "m": 1}

_WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_FULL_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAYS = {
    **dict.fromkeys(("mon", "monday"), 0),
    **dict.fromkeys(("tue", "tues", "tuesday"), 1),
    **dict.fromkeys(("wed", "weds", "wednesday"), 2),
    **dict.fromkeys(("thu", "thur", "thurs", "thursday"), 3),
    **dict.fromkeys(("fri", "friday"), 4),
    **dict.fromkeys(("sat", "saturday"), 5),
    **dict.fromkeys(("sun", "sunday"), 6),
}
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTHS = {name.lower(): number for number, name in enumerate(_MONTH_NAMES, 1)} | {
    "january": 1,
    "february": 2,
    "march": 3,
    "april": 4,
    "june": 6,
    "july": 7,
    "august": 8,
    "sept": 9,
    "september": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
_TOMORROW = {"tomorrow", "tmrw", "tmr", "tmw"}
# Words that say "time" without saying which: a note may not start with one of them.
_VAGUE = {
    "next", "this", "coming", "until", "till", "til", "for",
    "morning", "afternoon", "evening", "night", "tonight", "eod", "eow", "cob", "noon",
    "midnight", "am", "pm", "a.m", "p.m", "o'clock", "oclock", "week", "weekend", "month",
    "year", "later", "soon", "now", "yesterday", "ish",
}  # fmt: skip

_PREPOSITIONS = {"at", "on", "from", "by", "to", "till", "until", "after", "before"}

# Zone abbreviations a rep might add after a time. Letters count only in capitals, or for the
# few lower-case spellings no note word collides with.
_ZONE_ABBREVIATIONS = {
    "UTC", "GMT", "EST", "EDT", "CST", "CDT", "MST", "MDT", "PST", "PDT", "AKST", "AKDT", "HST",
    "CET", "CEST", "EET", "EEST", "WET", "WEST", "BST", "IST", "JST", "KST", "AEST", "AEDT",
    "ACST", "ACDT", "AWST", "NZST", "NZDT", "SGT", "HKT", "MSK", "SAST",
}  # fmt: skip
_LOWER_CASE_ZONES = {"utc", "gmt", "est", "edt", "cst", "cdt", "pst", "pdt", "cet", "cest"}
_GENERIC_ZONES = {
    "ET": {"EST", "EDT"},
    "CT": {"CST", "CDT"},
    "MT": {"MST", "MDT"},
    "PT": {"PST", "PDT"},
}
_OFFSET = re.compile(r"(?:utc|gmt)?([+-])(\d{1,2})(?::?(\d{2}))?", re.ASCII)

_DURATION_TOKEN = re.compile(r"(?:\d+[a-z]+)+", re.ASCII)
_DURATION_PART = re.compile(r"(\d+)([a-z]+)", re.ASCII)
_HOURS_MINUTES = re.compile(r"(\d+)h(\d{2})", re.ASCII)  # "1h30"
_TIME_12 = re.compile(r"(\d{1,2})(?::(\d{2}))?([ap])\.?m\.?", re.ASCII)
_TIME_24 = re.compile(r"(\d{1,2}):(\d{2})", re.ASCII)
_CONTINENTAL_TIME = re.compile(r"\d{1,2}(?:h\d{0,2}|\.\d{2})", re.ASCII)  # "17h", "17h30", "17.30"
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})", re.ASCII)
_SLASH_DATE = re.compile(r"(\d{1,2})/(\d{1,2})(?:/(\d+))?", re.ASCII)
_DOT_DATE = re.compile(r"\d{1,2}\.\d{1,2}(?:\.\d{2,4})?", re.ASCII)
_DAY_OF_MONTH = re.compile(r"(\d{1,2})(?:st|nd|rd|th)?", re.ASCII)
_NUMBER = re.compile(r"[0-9]+")
_YEAR = re.compile(r"\d{4}", re.ASCII)
_TRAILING = ",;:!?."  # "Friday," "Dec 24th, 2026:" read as "friday", "2026"
_NOTE_LEAD = re.compile(r"^[\s\-–—:;,|]+", re.ASCII)  # "2h - dentist" -> "dentist"


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class _Token:
    raw: str  # as typed
    word: str  # lower case, trailing punctuation gone
    start: int
    end: int


class _Cursor:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = [
            _Token(m[0], m[0].lower().rstrip(_TRAILING), m.start(), m.end())
            for m in re.finditer(r"\S+", text)
        ]
        self.i = 0

    def peek(self, ahead: int = 0) -> _Token | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def word(self, ahead: int = 0) -> str:
        token = self.peek(ahead)
        return token.word if token else ""

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def rest(self) -> str:
        token = self.peek()
        return self.text[token.start :].strip() if token else ""

    def since(self, first: int) -> str:
        """The raw text of the tokens read since index `first`."""
        if first >= self.i:
            return ""
        return self.text[self.tokens[first].start : self.tokens[self.i - 1].end]

    def clone(self) -> _Cursor:
        other = _Cursor.__new__(_Cursor)
        other.text, other.tokens, other.i = self.text, self.tokens, self.i
        return other


# ---------------------------------------------------------------- durations


def _read_duration(cur: _Cursor, strict: bool) -> dict[str, int] | None:
    """'2h', '1h30m', '1h30', '2 hours 30 min' -> {'h': 2, 'm': 30}; None if not a duration.

    `strict` (the first word of the command) turns near misses into errors; after that a word
    that is not a duration part ends the duration.
    """
    parts: dict[str, int] = {}
    while (token := cur.peek()) is not None:
        first = strict and not parts
        word = token.word
        if match := _HOURS_MINUTES.fullmatch(word):
            pairs, size = [(match[1], "h"), (match[2], "m")], 1
        elif _DURATION_TOKEN.fullmatch(word):
            pairs, size = _DURATION_PART.findall(word), 1
        elif _NUMBER.fullmatch(word) and cur.word(1):
            pairs, size = [(word, cur.word(1))], 2
        else:
            if first:
                _duration_near_miss(token)
                _hint_until(cur)
            break
        unknown = [unit for _, unit in pairs if unit not in _UNITS]
        if unknown:
            if first:
                _hint_until(cur)
            if first or (size == 2 and parts):
                _bad_unit(cur, token, size, unknown[0])
            break
        raw = " ".join(t.raw for t in cur.tokens[cur.i : cur.i + size])
        for number, unit in pairs:
            key = _UNITS[unit]
            if key in parts:
                raise _Unreadable(f'"{raw}" gives the {_UNIT_NAMES[key]}s twice.', raw)
            parts[key] = int(number)
        cur.i += size
    return parts or None


def _duration_near_miss(token: _Token) -> None:
    word = token.word
    if re.fullmatch(r"[-−–]\s*[0-9].*", word):
        raise _Unreadable(f'"{token.raw}": a duration cannot be negative.', token.raw)
    if re.fullmatch(r"[0-9]*[.,][0-9]+\s*[a-z]*", word):
        raise _Unreadable(f'"{token.raw}": use whole numbers, like 1h30m or 90m.', token.raw)


def _bad_unit(cur: _Cursor, token: _Token, size: int, unit: str) -> None:
    raw = " ".join(t.raw for t in cur.tokens[cur.i : cur.i + size])
    if unit in _TOO_LONG_UNITS:
        raise _Unreadable(f'"{raw}": for long absences give a date, like "until Dec 24".', raw)
    if size == 2:
        number = token.raw
        raise _Unreadable(f'"{number}" needs a unit: {number}h, {number}m or {number} days.', raw)
    raise _Unreadable(f'"{raw}" is not a duration: use m, h, d or w, like 90m or 2h.', raw)


def _describe_duration(parts: dict[str, int]) -> str:
    words = []
    for key in ("w", "d", "h", "m"):
        if key in parts:
            count = parts[key]
            words.append(f"{count} {_UNIT_NAMES[key]}{'' if count == 1 else 's'}")
    return " ".join(words)


# ---------------------------------------------------------------- days, dates, times


@dataclass(frozen=True)
class _Day:
    kind: str  # "today" | "tomorrow" | "weekday" | "date"
    weekday: int | None = None  # the named weekday; for a date, a check
    month: int = 0
    day: int = 0
    year: int | None = None
    raw: str = ""


def _read_day(cur: _Cursor) -> _Day | None:
    start, word = cur.i, cur.word()
    if word == "today":
        cur.take()
        return _Day("today", raw=cur.since(start))
    if word in _TOMORROW:
        cur.take()
        return _Day("tomorrow", raw=cur.since(start))
    if word == "yesterday":
        raise _Unreadable('"yesterday" is in the past.', cur.take().raw)
    if word in ("next", "this", "coming") and (cur.word(1) in _WEEKDAYS or cur.word(1) == "week"):
        raw = f"{cur.take().raw} {cur.take().raw}"
        raise _Unreadable(
            f'"{raw}" can mean two different days: say "until Friday" (the next Friday to come)'
            " or give a date.",
            raw,
        )
    weekday = _WEEKDAYS.get(word)
    if weekday is not None:
        cur.take()
        on_date = _read_date(cur)
        if on_date is None:
            return _Day("weekday", weekday=weekday, raw=cur.since(start))
        return _Day("date", weekday, on_date.month, on_date.day, on_date.year, raw=cur.since(start))
    return _read_date(cur)


def _read_date(cur: _Cursor) -> _Day | None:
    """A calendar date at the cursor; None (nothing read) when the words are not date-shaped."""
    token = cur.peek()
    if token is None:
        return None
    start, word = cur.i, token.word
    if match := _ISO_DATE.fullmatch(word):
        cur.take()
        return _Day("date", None, int(match[2]), int(match[3]), int(match[1]), raw=token.raw)
    if match := _SLASH_DATE.fullmatch(word):
        month, day, year = int(match[1]), int(match[2]), match[3]
        if month > 12:
            raise _Unreadable(
                f'"{token.raw}": dates with slashes are month/day (US order), and there is no'
                f" month {month}. Write {_MONTH_NAMES[day - 1] if 1 <= day <= 12 else 'Dec'}"
                f" {month} or a date like 2026-12-24.",
                token.raw,
            )
        if year is not None and len(year) != 4:
            raise _Unreadable(f'"{token.raw}": write the year in full, like 12/24/2026.', token.raw)
        cur.take()
        return _Day("date", None, month, day, int(year) if year else None, raw=token.raw)
    if _DOT_DATE.fullmatch(word):
        raise _Unreadable(
            f'"{token.raw}" could be a date or a time: write Dec 24, 2026-12-24 or 17:30.',
            token.raw,
        )
    month = _MONTHS.get(word)
    if month is not None:  # "Dec 24", "Dec 24th, 2026"
        day_match = _DAY_OF_MONTH.fullmatch(cur.word(1))
        if day_match is None:
            return None
        cur.i += 2
        return _Day("date", None, month, int(day_match[1]), _read_year(cur), raw=cur.since(start))
    day_match = _DAY_OF_MONTH.fullmatch(word)
    if day_match is not None and cur.word(1) in _MONTHS:  # "24 Dec", "24th December 2026"
        month = _MONTHS[cur.word(1)]
        cur.i += 2
        return _Day("date", None, month, int(day_match[1]), _read_year(cur), raw=cur.since(start))
    return None


def _read_year(cur: _Cursor) -> int | None:
    if _YEAR.fullmatch(cur.word()):
        return int(cur.take().word)
    return None


def _read_time(cur: _Cursor) -> time | None:
    """A clock time at the cursor; None when the next word is not a time at all."""
    token = cur.peek()
    if token is None:
        return None
    word = token.word
    if word == "noon":
        cur.take()
        return time(12, 0)
    if word == "midnight":
        cur.take()
        return time(0, 0)
    if re.fullmatch(r"[ap]\.?m\.?", cur.word(1)) and re.fullmatch(
        r"[0-9]{1,2}(?::[0-9]{2})?", word
    ):
        raw = f"{token.raw} {cur.peek(1).raw}"  # type: ignore[union-attr]
        word = word + cur.word(1)
        size = 2
    else:
        raw, size = token.raw, 1
    if match := _TIME_12.fullmatch(word):
        hour, minute = int(match[1]), int(match[2] or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise _Unreadable(f'"{raw}" is not a time of day.', raw)
        cur.i += size
        return time(hour % 12 + (12 if match[3] == "p" else 0), minute)
    if match := _TIME_24.fullmatch(word):
        hour, minute = int(match[1]), int(match[2])
        if hour > 23 or minute > 59:
            raise _Unreadable(f'"{raw}" is not a time of day (use 00:00 to 23:59).', raw)
        cur.take()
        return time(hour, minute)
    if _NUMBER.fullmatch(word) and len(word) <= 2:
        hour = int(word)
        if 1 <= hour <= 12:
            raise _Unreadable(
                f'"{raw}" could be {hour}am or {hour}pm: write {hour}am, {hour}pm or'
                f" {hour % 12 + 12:02d}:00.",
                raw,
            )
        if hour <= 23:
            raise _Unreadable(f'"{raw}" needs minutes: write {hour:02d}:00.', raw)
        raise _Unreadable(f'"{raw}" is not a time of day.', raw)
    if _CONTINENTAL_TIME.fullmatch(word):
        raise _Unreadable(f'"{raw}": write clock times like 17:30 or 5:30pm.', raw)
    return None


def _read_zone(cur: _Cursor) -> _Token | None:
    """A time-zone word after a time ('PST', 'UTC+1'), checked later against the rep's zone."""
    token = cur.peek()
    if token is None:
        return None
    letters = token.raw.rstrip(_TRAILING)
    if (
        letters in _ZONE_ABBREVIATIONS
        or letters in _GENERIC_ZONES
        or token.word in _LOWER_CASE_ZONES
        or _OFFSET.fullmatch(token.word)
    ):
        return cur.take()
    return None


@dataclass(frozen=True)
class _When:
    day: _Day | None
    at: time | None
    zone: _Token | None
    raw: str


def _read_when(cur: _Cursor) -> _When:
    start = cur.i
    if cur.peek() is None:
        raise _Unreadable('"until" needs a time, a day or a date.', "until")
    day = _read_day(cur)
    at: time | None = None
    if day is not None:
        if cur.word() == "at":
            cur.take()
            at = _require(_read_time(cur), cur, 'a time after "at"')
        else:
            at = _read_time(cur)
    else:
        at = _read_time(cur)
        if at is None:
            _unreadable_when(cur)
    zone = _read_zone(cur) if at is not None else None
    if day is None:
        if cur.word() == "on":
            cur.take()
            day = _require(_read_day(cur), cur, 'a day after "on"')
        else:
            day = _read_day(cur)
    return _When(day, at, zone, cur.since(start))


def _require(value: _T | None, cur: _Cursor, what: str) -> _T:
    if value is None:
        rest = cur.rest()
        found = f'"{rest}"' if rest else "nothing"
        raise _Unreadable(f"expected {what}, found {found}.", rest)
    return value


def _unreadable_when(cur: _Cursor) -> None:
    token = cur.peek()
    assert token is not None
    if token.word in _MONTHS:
        raise _Unreadable(f'"{token.raw}" needs a day, like "{token.raw} 24".', token.raw)
    rest = cur.rest()
    raise _Unreadable(f'"{rest}" is not a time, day or date I can read.', rest)


# ---------------------------------------------------------------- wall-clock time


def _zoned(day: date, at: time, tz: ZoneInfo, fold: int = 0) -> datetime:
    """The UTC instant of a wall-clock time; one in a spring-forward gap moves on by the gap."""
    return datetime.combine(day, at).replace(tzinfo=tz, fold=fold).astimezone(UTC)


def _in_gap(day: date, at: time, tz: ZoneInfo) -> bool:
    return _zoned(day, at, tz).astimezone(tz).replace(tzinfo=None) != datetime.combine(day, at)


def _is_repeated(day: date, at: time, tz: ZoneInfo) -> bool:
    first = datetime.combine(day, at).replace(tzinfo=tz)
    return not _in_gap(day, at, tz) and first.utcoffset() != first.replace(fold=1).utcoffset()


def _zone_label(local: datetime) -> str:
    """What tells the two 01:30s of a fall-back night apart: 'PDT', or 'UTC+10:30'."""
    other = local.replace(fold=1 - local.fold)
    name = local.tzname() or ""
    if name and name != other.tzname() and not _OFFSET.fullmatch(name.lower()):
        return name
    offset = local.utcoffset() or timedelta(0)
    sign, minutes = ("+" if offset >= timedelta(0) else "-"), abs(int(offset.total_seconds())) // 60
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _matches_zone(zone: _Token, local: datetime) -> bool:
    letters = zone.raw.rstrip(_TRAILING).upper()
    name = (local.tzname() or "").upper()
    if letters == name or name in _GENERIC_ZONES.get(letters, ()):
        return True
    offset = _OFFSET.fullmatch(zone.word)
    if letters in ("UTC", "GMT"):
        wanted = timedelta(0)
    elif offset:
        wanted = timedelta(hours=int(offset[2]), minutes=int(offset[3] or 0))
        wanted = -wanted if offset[1] == "-" else wanted
    else:
        return False
    return local.utcoffset() == wanted


def _resolve(when: _When, now: datetime, tz: ZoneInfo, day_start: time) -> tuple[datetime, str]:
    """The UTC instant of a WHEN, and a remark about DST if the rep should know one."""
    today = now.astimezone(tz).date()
    day, at = when.day, when.at
    if day is None:
        assert at is not None
        target = today if _zoned(today, at, tz) > now else today + timedelta(days=1)
    elif day.kind == "today":
        if at is None:
            raise _Unreadable('"today" needs a time, like "until today 5pm".', day.raw)
        target = today
    elif day.kind == "tomorrow":
        target = today + timedelta(days=1)
    elif day.kind == "weekday":
        assert day.weekday is not None
        target = today + timedelta(days=(day.weekday - today.weekday()) % 7 or 7)
    else:
        target = _calendar_date(day, today)
    at = at or day_start

    fold, remark = 0, ""
    if when.zone is not None:
        folds = [f for f in (0, 1) if _matches_zone(when.zone, _local(target, at, tz, f))]
        if not folds:
            raise _Unreadable(
                f'"{when.zone.raw}": times are read in your own time zone ({_zone_name(tz)}).'
                f' Leave out "{when.zone.raw}" and give the time as it is there.',
                when.zone.raw,
            )
        fold = folds[0]
    if _in_gap(target, at, tz):
        fold = 0
        moved = _zoned(target, at, tz).astimezone(tz)
        remark = (
            f" There is no {at:%H:%M} that night (the clocks go forward), so that is {moved:%H:%M}."
        )
    elif _is_repeated(target, at, tz) and when.zone is None:
        first, second = _local(target, at, tz, 0), _local(target, at, tz, 1)
        remark = (
            f" {at:%H:%M} happens twice that night (the clocks go back): this is the first,"
            f' {_zone_label(first)}. Say "{at:%H:%M} {_zone_label(second)}" for the second.'
        )
    return _zoned(target, at, tz, fold), remark


def _local(day: date, at: time, tz: ZoneInfo, fold: int) -> datetime:
    return datetime.combine(day, at).replace(tzinfo=tz, fold=fold)


def _calendar_date(day: _Day, today: date) -> date:
    if day.year is not None and day.year < today.year - 1:
        raise _Unreadable(f'"{day.raw}" is in the past.', day.raw)
    if day.year is not None and day.year > today.year + 1:
        raise _Unreadable(f'"{day.raw}" is too far ahead.', day.raw)
    years = [day.year] if day.year is not None else [today.year, today.year + 1]
    for year in years:
        try:
            target = date(year, day.month, day.day)
        except ValueError:
            raise _Unreadable(f'"{day.raw}" is not a date.', day.raw) from None
        if day.year is not None or target >= today:
            break
    if day.weekday is not None and target.weekday() != day.weekday:
        raise _Unreadable(
            f'"{day.raw}": {_MONTH_NAMES[target.month - 1]} {target.day} {target.year} is a'
            f" {_FULL_WEEKDAY_NAMES[target.weekday()]}.",
            day.raw,
        )
    return target


def _zone_name(tz: ZoneInfo) -> str:
    return getattr(tz, "key", None) or str(tz)


# ---------------------------------------------------------------- the public API


def format_until(until: datetime, tz: ZoneInfo, now: datetime) -> str:
    """'today at 17:00', 'tomorrow at 09:00', 'Fri Nov 27 at 09:00', 'Fri Jan 1 2027 at 09:00'.

    The year shows when it is not this year; on a fall-back night a repeated time carries its
    zone ('tomorrow at 01:30 PDT'). Times are wall-clock in `tz`.
    """
    local = until.astimezone(tz)
    today = now.astimezone(tz).date()
    ahead = (local.date() - today).days
    if ahead == 0:
        day = "today"
    elif ahead == 1:
        day = "tomorrow"
    else:
        day = f"{_WEEKDAY_NAMES[local.weekday()]} {_MONTH_NAMES[local.month - 1]} {local.day}"
        if local.year != today.year:
            day += f" {local.year}"
    repeated = local.utcoffset() != local.replace(fold=1 - local.fold).utcoffset()
    zone = f" {_zone_label(local)}" if repeated else ""
    return f"{day} at {local:%H:%M}{zone}"


def parse_away(
    text: str,
    now: datetime,
    tz: ZoneInfo,
    *,
    day_start: time = DEFAULT_DAY_START,
    max_away: timedelta = DEFAULT_MAX_AWAY,
) -> AwayRequest:
    """Read the text after `/away` (see the module docstring). Raises AwayUsageError."""
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    text = " ".join(text.split())
    try:
        return _parse(text, now, tz, day_start, max_away)
    except _Unreadable as error:
        raise AwayUsageError(
            error.problem, error.unread, _usage(text, error.problem, now, tz, day_start)
        ) from None


def _parse(
    text: str, now: datetime, tz: ZoneInfo, day_start: time, max_away: timedelta
) -> AwayRequest:
    cur = _Cursor(text)
    if cur.peek() is None:
        return AwayRequest(None, None, f"Away until you type /back. {MEANWHILE}")

    remark = ""
    if cur.word() in _UNTIL:
        cur.take()
        when = _read_when(cur)
        until, remark = _resolve(when, now, tz, day_start)
        what = f'"{when.raw}"'
        lead = "Away until"
    else:
        if cur.word() == "for":
            cur.take()
        start = cur.i
        parts = _read_duration(cur, strict=True)
        if parts is None:
            if start:
                _require(None, cur, 'a duration after "for"')
            _not_a_start(cur)
            assert parts is not None
        what = f'"{cur.since(start)}"'
        until = _after(parts, now, tz, what)
        lead = f"Away for {_describe_duration(parts)}, until"

    if until <= now:
        raise _Unreadable(
            f"{what} is {format_until(until, tz, now)}, which has passed.", what.strip('"')
        )
    if until - now > max_away:
        longest = _describe_duration({"d": max_away.days}) if max_away.days else str(max_away)
        raise _Unreadable(
            f"{what} is {format_until(until, tz, now)}: /away lasts at most {longest}."
            " For a longer absence, use /away alone and type /back when you return.",
            what.strip('"'),
        )
    note = _read_note(cur)
    said = f"{lead} {format_until(until, tz, now)} ({_zone_name(tz)}).{remark}"
    if note:
        said += f' Note: "{note}".'
    return AwayRequest(until.astimezone(UTC), note, f"{said} {MEANWHILE}")


def _after(parts: dict[str, int], now: datetime, tz: ZoneInfo, what: str) -> datetime:
    """Days and weeks keep the wall-clock time; hours and minutes are elapsed time."""
    minutes = sum(count * _MINUTES[key] for key, count in parts.items())
    if minutes == 0:
        raise _Unreadable(f"{what} is no time at all.", what.strip('"'))
    if minutes > 100 * 366 * 1440:  # keep datetime arithmetic in range; max_away says how long
        raise _Unreadable(f"{what} is far too long.", what.strip('"'))
    start = now.astimezone(UTC)
    days = parts.get("w", 0) * 7 + parts.get("d", 0)
    if days:
        wall = now.astimezone(tz).replace(tzinfo=None) + timedelta(days=days)
        start = wall.replace(tzinfo=tz).astimezone(UTC)
    return start + timedelta(hours=parts.get("h", 0), minutes=parts.get("m", 0))


def _hint_until(cur: _Cursor) -> None:
    """'/away Friday' or '/away 5pm': the rep forgot 'until' (or means 'from'); ask, never guess."""
    if _reads_as_when(cur.clone(), near_misses=False):
        rest = cur.rest()
        raise _Unreadable(f'to say when you are back, start with "until": /away until {rest}', rest)


def _reads_as_when(probe: _Cursor, near_misses: bool) -> bool:
    """Whether the words read as a day or a time; `near_misses` counts '5' or '25:00' too."""
    try:
        return _read_day(probe.clone()) is not None or _read_time(probe.clone()) is not None
    except _Unreadable:
        return near_misses


def _not_a_start(cur: _Cursor) -> None:
    """The first word is neither a duration nor 'until': explain, never guess."""
    _hint_until(cur)
    rest = cur.rest()
    raise _Unreadable(f'"{rest}" is not a duration or "until …".', rest)


def _read_note(cur: _Cursor) -> str | None:
    note = _NOTE_LEAD.sub("", cur.rest()).strip()
    if not note:
        return None
    probe = _Cursor(note)
    if probe.word() in _PREPOSITIONS and probe.peek(1) is not None:
        probe.take()  # "at 5pm", "on Friday" are as time-like as "5pm", "Friday"
    try:
        timeish = (
            probe.word() in _VAGUE
            or _reads_as_when(probe, near_misses=True)
            or _read_duration(probe.clone(), strict=False) is not None
        )
    except _Unreadable:
        timeish = True
    if timeish:
        read = cur.since(0)
        raise _Unreadable(
            f'I read "{read}" but not what follows: "{note}". Give one time, day or duration'
            " (a note after it must not start with one).",
            note,
        )
    if len(note) > NOTE_MAX_CHARS:
        raise _Unreadable(
            f"the note is {len(note)} characters long; keep it under {NOTE_MAX_CHARS}.", note
        )
    return note


def _usage(text: str, problem: str, now: datetime, tz: ZoneInfo, day_start: time) -> str:
    example_date = (now.astimezone(tz).date() + timedelta(days=14)).isoformat()
    problem = problem[0].upper() + problem[1:]
    return "\n".join(
        [
            f"Sorry, I could not understand `/away {text}`. {problem}",
            "Try one of these:",
            "• `/away` (until you type `/back`)",
            "• `/away 2h` (also 90m, 1h30m, 2 days; add a note after it: `/away 2h dentist`)",
            "• `/away until 5pm` (today, or tomorrow if 5pm has passed)",
            f"• `/away until Friday` (Friday at {day_start:%H:%M}; `until Friday 2pm` for a time)",
            f"• `/away until {example_date} Holiday` (a date, then a note)",
            f"Times are in your time zone, {_zone_name(tz)}.",
        ]
    )
