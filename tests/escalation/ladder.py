"""A pool with the whole ladder, and helpers to read what the sweep wrote."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from routing import Lead, RoutingConfig
from routing.loader import parse_config
from storage.models import Event, OutboxMessage

LADDER_YAML = """
timezone: UTC
hours: always
reps:
  ana: {slack_id: U0ANA, name: Ana}
  ben: {slack_id: U0BEN, name: Ben}
  chloe: {slack_id: U0CHLOE, name: Chloé}
  mia: {slack_id: U0MIA, name: Mia}
pools:
  sales: {members: [ana, ben, chloe], channel: C0SALES, escalation: full, manager: U0BOSS}
  support: {members: [mia], channel: C0SUPPORT}
rules:
  - name: Everyone
    pool: sales
triage: {channel: C0TRIAGE}
managers: [U0BOSS]
escalation_policies:
  full:
    steps:
      - {after: 5m, action: remind}
      - {after: 10m, action: pass}
      - {after: 15m, action: open_to_pool}
      - {after: 20m, action: manager}
      - {after: 30m, action: leadership, channel: C0LEADS}
"""


def config(replace: dict[str, str] | None = None) -> RoutingConfig:
    """The config above; `replace` swaps snippets of its YAML for a variation."""
    text = LADDER_YAML
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return parse_config(text, "ladder.yml")


def lead(n: int = 1) -> Lead:
    return Lead(email=f"buyer{n}@example{n}.com", company=f"Example {n}", employees=50)


def escalations(engine: Engine, lead_id: int) -> list[tuple[str, str]]:
    """(action, reason) of every ladder step the lead went through, in order."""
    with Session(engine) as session:
        rows = session.exec(
            select(Event)
            .where(Event.lead_id == lead_id)
            .where(Event.kind == "escalated")
            .order_by(col(Event.id))
        ).all()
        return [(e.detail["action"], e.reason) for e in rows]


def outbox_since(engine: Engine, after_id: int = 0) -> list[str]:
    """'kind:target' of every outbox row newer than `after_id` (notify rows name the template)."""
    with Session(engine) as session:
        rows = session.exec(
            select(OutboxMessage).where(OutboxMessage.id > after_id).order_by(col(OutboxMessage.id))
        ).all()
        return [_label(m.kind, m.target, m.payload) for m in rows]


def _label(kind: str, target: str | None, payload: dict[str, Any]) -> str:
    label = f"{kind}:{target}" if target else kind
    template = payload.get("template")
    return f"{label}:{template}" if template else label


def last_outbox_id(engine: Engine) -> int:
    with Session(engine) as session:
        rows = session.exec(select(OutboxMessage.id).order_by(col(OutboxMessage.id).desc()))
        return rows.first() or 0
