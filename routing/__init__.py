"""The routing decision: which rep gets a lead, and why. Pure: no database, Slack or clock."""

from routing.config import Priority, RoutingConfig, Rule
from routing.engine import Decision, decide, exclusion_reason
from routing.lead import Lead
from routing.loader import ConfigError, load_config
from routing.state import RoutingState
from routing.team import Pool, Rep, Strategy

__all__ = [
    "ConfigError",
    "Decision",
    "Lead",
    "Pool",
    "Priority",
    "Rep",
    "RoutingConfig",
    "RoutingState",
    "Rule",
    "Strategy",
    "decide",
    "exclusion_reason",
    "load_config",
]
