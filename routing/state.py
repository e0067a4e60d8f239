"""RoutingState: what the database knows right now, as routing.decide() needs it.

Its own module so that the engine, the eligibility checks and the strategies all import it from
one place that imports nothing of theirs: no import cycle through routing.engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from routing.strategies import Rotation


@dataclass(frozen=True)
class RoutingState:
    """What the database knows right now, as the engine needs it.

    rotation: pool id -> rep id -> credit (see routing.strategies); missing means 0.
    open_leads: rep id -> leads assigned and not yet closed.
    away: rep id -> end of their time away (None: until they say /back).
    performance: rep id -> score for the top_performer strategy (higher is better).
    exclude: reps who already had this lead (a re-route never goes back to them).
    """

    rotation: Mapping[str, Rotation] = field(default_factory=dict)
    open_leads: Mapping[str, int] = field(default_factory=dict)
    away: Mapping[str, datetime | None] = field(default_factory=dict)
    performance: Mapping[str, float] = field(default_factory=dict)
    exclude: frozenset[str] = frozenset()
