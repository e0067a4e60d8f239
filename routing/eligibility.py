"""Whether a rep can take a lead right now, and if not, the reason shown in the trace.

One `Eligibility` serves one decision: it asks about many reps at one moment, so the local time
(and the "Mon 09:00 Europe/Paris" text of it) is worked out once per time zone, not per rep.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from routing.config import Requirement, Rule
from routing.lead import Lead
from routing.team import Rep, minute_of_week

if TYPE_CHECKING:
    from routing.state import RoutingState


class Eligibility:
    """exclusion_reason() for one lead at one moment, for as many reps as needed."""

    __slots__ = ("_clocks", "away", "exclude", "lead", "now", "open_leads")

    def __init__(self, lead: Lead, state: RoutingState, now: datetime) -> None:
        self.lead = lead
        self.now = now
        self.exclude = state.exclude
        self.away = state.away
        self.open_leads = state.open_leads
        # zone -> (minute of the week, local time): a plain tuple, as this runs per rep
        self._clocks: dict[ZoneInfo, tuple[int, datetime]] = {}

    def _clock(self, zone: ZoneInfo) -> tuple[int, datetime]:
        local = self.now.astimezone(zone)
        clock = self._clocks[zone] = (minute_of_week(local), local)
        return clock

    def reason(self, rep: Rep, rule: Rule | None, *, named_account: bool = False) -> str | None:
        """Why `rep` cannot take the lead now, or None if they can. The first reason found wins."""
        if not rep.active:
            return "inactive"
        rep_id = rep.id
        if rep_id in self.exclude:
            return "already had this lead"
        away = self.away
        if rep_id in away:
            until = away[rep_id]
            if until is None:
                return "away"
            if until > self.now:  # an /away that has run out no longer counts, swept or not
                return f"away until {local_label(until, rep.zone)}"
        if rep.time_off:
            zone = rep.zone
            local = (self._clocks.get(zone) or self._clock(zone))[1]
            time_off = rep.time_off_on(local.date())
            if time_off is not None:
                return f"time off until {time_off.end:%b %d}" + (
                    f" ({time_off.reason})" if time_off.reason else ""
                )
        hours = rep.hours
        if hours is not None:
            zone = rep.zone
            minute, local = self._clocks.get(zone) or self._clock(zone)
            if not hours.contains_minute(minute):
                return f"off hours ({_label(zone, minute, local)})"
        if rule is not None and (rule.require or rule.skills or rule.tiers):
            missing = missing_skill(rep, self.lead, rule)
            if missing:
                return missing
        if rep.capacity is not None and not named_account:
            load = self.open_leads.get(rep_id, 0)
            if load >= rep.capacity:
                return f"at capacity {load}/{rep.capacity}"
        return None


def missing_skill(rep: Rep, lead: Lead, rule: Rule) -> str | None:
    """What `rep` lacks that `rule` requires for `lead` (language, product, skill, tier)."""
    for requirement in rule.require:
        if requirement is Requirement.language and lead.language:
            if lead.language not in rep.languages:
                return f"does not speak {lead.language}"
        elif requirement is Requirement.product and lead.product:
            if lead.product.casefold() not in rep.products:
                return f"not on product {lead.product}"
        elif (
            requirement is Requirement.industry
            and lead.industry
            and lead.industry.casefold() not in rep.industries
        ):
            return f"not a {lead.industry} specialist"
    missing = rule.skills - rep.skills
    if missing:
        return f"lacks skill {', '.join(sorted(missing))}"
    if rule.tiers and (rep.tier or "").lower() not in rule.tiers:
        return f"tier {rep.tier or 'none'}"
    return None


def local_label(moment: datetime, zone: ZoneInfo) -> str:
    """'Mon 09:00 Europe/Paris': `moment` on the clocks of `zone`."""
    local = moment.astimezone(zone)
    return _label(zone, minute_of_week(local), local)


# (zone, minute of the week) -> label. strftime costs more than the rest of a rep's check, and
# the text only changes once a minute; bounded so a long-running server cannot grow it forever.
_LABELS: dict[tuple[str, int], str] = {}
_MOST_LABELS = 20_000


def _label(zone: ZoneInfo, minute: int, local: datetime) -> str:
    key = (zone.key, minute)
    label = _LABELS.get(key)
    if label is None:
        if len(_LABELS) >= _MOST_LABELS:
            _LABELS.clear()
        label = _LABELS[key] = f"{local:%a %H:%M} {zone.key}"
    return label
