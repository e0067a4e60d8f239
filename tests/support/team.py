"""A small team for storage tests: four reps round-robin in one pool, a fallback, triage."""

from __future__ import annotations

from routing import RoutingConfig
from routing.loader import parse_config

TEAM_YAML = """
timezone: UTC
hours: always
reps:
  ana: {slack_id: U0ANA, name: Ana, capacity: 100}
  ben: {slack_id: U0BEN, name: Ben}
  chloe: {slack_id: U0CHLOE, name: Chloé}
  dev: {slack_id: U0DEV, name: Dev}
  mia: {slack_id: U0MIA, name: Mia}
pools:
  sales: {members: [ana, ben, chloe, dev], channel: C0SALES, escalation: standard}
  overflow: {members: [mia], channel: C0OVER}
rules:
  - name: Tiny companies
    when: {employees: {lt: 5}}
    nurture: true
  - name: Everyone else
    pool: sales
fallback: overflow
triage: {channel: C0TRIAGE}
managers: [U0BOSS]
escalation_policies:
  standard:
    steps:
      - {after: 5m, action: remind}
      - {after: 10m, action: pass}
"""


def team(replace: dict[str, str] | None = None) -> RoutingConfig:
    """The team above; `replace` swaps snippets of its YAML for a variation."""
    text = TEAM_YAML
    for old, new in (replace or {}).items():
        assert old in text, old
        text = text.replace(old, new)
    return parse_config(text, "team.yml")
