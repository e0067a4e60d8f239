"""The explanation of a decision: the steps taken and every rep left out, and why."""

from __future__ import annotations

from dataclasses import dataclass, field

from routing.team import Rep


@dataclass(frozen=True)
class Exclusion:
    rep: str
    reason: str
    pool: str | None = None


@dataclass
class Trace:
    steps: list[str] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)
    _names: dict[str, str] = field(default_factory=dict)

    def step(self, text: str) -> None:
        self.steps.append(text)

    def exclude(self, rep: Rep, reason: str, pool: str | None = None) -> None:
        self.exclusions.append(Exclusion(rep.id, reason, pool))
        self._names[rep.id] = rep.name

    def pool_exclusions(self, pool: str) -> str:
        """' (Ben away, Chloé at capacity 12/12)' for the reps left out of `pool`, or ''."""
        parts = [f"{self._names[e.rep]} {e.reason}" for e in self.exclusions if e.pool == pool]
        return f" ({', '.join(parts)})" if parts else ""

    def sentence(self) -> str:
        """One line a rep can read: 'Enterprise EMEA → pool emea-enterprise → round robin: …'."""
        return " → ".join(self.steps)
