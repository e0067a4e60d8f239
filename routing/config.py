"""The routing config (`routing.yml`): reps, pools, ordered rules, accounts, fallback, triage.

Validated by pydantic with unknown keys rejected; `routing.loader` reads the YAML and turns
every error into file:line: field: message.
"""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    field_validator,
    model_validator,
)

from routing.conditions import Condition, parse_condition
from routing.crm_config import CrmConfig, Subscription
from routing.durations import Duration
from routing.field_mapping import FieldMapping
from routing.normalize import website_domain
from routing.rule_index import RuleIndex
from routing.team import ID_PATTERN, Pool, Rep, TimeZoneName, WorkingHours

DEFAULT_SLA = timedelta(minutes=30)


def _condition(value: Any) -> Any:
    return parse_condition(value) if value is not None else None


ConditionSpec = Annotated[
    Condition,
    BeforeValidator(_condition),
    PlainSerializer(lambda c: repr(c), return_type=str),
]


class Priority(StrEnum):
    normal = "normal"
    high = "high"


class Requirement(StrEnum):
    """A skill the rep must share with the lead: the lead's language, product or industry."""

    language = "language"
    product = "product"
    industry = "industry"


class Rule(BaseModel):
    """One routing rule. Rules are tried in order; the first whose `when` matches decides."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    name: str = Field(min_length=1, max_length=120)
    when: ConditionSpec | None = Field(None, description="No `when` matches every lead")
    pool: str | None = None
    rep: str | None = None
    nurture: bool = False
    fallback: str | None = Field(None, description="Pool tried when the target has nobody free")
    priority: Priority = Priority.normal
    sla: Duration | None = None
    account_owner: bool = Field(True, description="Named account owners get their accounts first")
    escalation: str | None = Field(
        None, description="Escalation policy for leads this rule places (else the pool's)"
    )
    require: frozenset[Requirement] = frozenset()
    skills: frozenset[str] = Field(frozenset(), description="Tags every candidate must have")
    tiers: frozenset[str] = Field(frozenset(), description="Only reps of these tiers")

    @field_validator("skills", "tiers", mode="before")
    @classmethod
    def _lower(cls, value: Any) -> Any:
        return [str(v).strip().lower() for v in value] if value is not None else value

    @model_validator(mode="after")
    def _one_target(self) -> Rule:
        targets = [t for t in ("pool", "rep") if getattr(self, t)] + (["nurture"] * self.nurture)
        if len(targets) != 1:
            raise ValueError("a rule needs exactly one of `pool`, `rep` or `nurture: true`")
        if self.nurture and self.fallback:
            raise ValueError("a nurture rule routes nowhere, so `fallback` makes no sense")
        return self

    @property
    def target(self) -> str:
        if self.nurture:
            return "nurture"
        return f"pool {self.pool}" if self.pool else f"rep {self.rep}"


class Triage(BaseModel):
    """Where a lead goes when nobody anywhere can take it: a channel humans watch."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    channel: str | None = Field(None, pattern=r"^(C|G)[A-Z0-9]{2,}$|^#[a-z0-9._-]+$")
    name: str = "triage"


class EscalationAction(StrEnum):
    remind = "remind"
    pass_on = "pass"
    open_to_pool = "open_to_pool"
    manager = "manager"
    leadership = "leadership"


class EscalationStep(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    after: Duration = Field(description="Time since assignment")
    action: EscalationAction
    channel: str | None = Field(None, description="For leadership: where to post")


class EscalationPolicy(BaseModel):
    """An escalation ladder, climbed while a lead stays unclaimed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    steps: tuple[EscalationStep, ...] = Field(min_length=1)

    @field_validator("steps")
    @classmethod
    def _ordered(cls, steps: tuple[EscalationStep, ...]) -> tuple[EscalationStep, ...]:
        for earlier, later in itertools.pairwise(steps):
            if later.after < earlier.after:
                raise ValueError("escalation steps must be in order of `after`")
        return steps


class SlowResponders(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    missed_in_a_row: int = Field(
        0, ge=0, description="Set a rep away after this many missed claim SLAs in a row (0: off)"
    )


class Digest(BaseModel):
    """A weekly /routing-stats report sent to every manager by DM."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    hour: int = Field(9, ge=0, le=23, description="Local hour, in the top-level timezone")


class Permissions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    reassign: Literal["members", "managers"] = Field(
        "members", description="Who may reassign: the owner, pool members and managers, or managers"
    )


SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,39}")  # a URL segment; leads.source


class Intake(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    mappings: dict[str, FieldMapping] = Field(
        default_factory=dict,
        description="Per source: how its fields map to lead fields and how it is "
        "authenticated (see the README). A name that is not a built-in provider adds a source "
        "at /webhooks/leads/<name>",
    )
    duplicate_window: Duration = Field(
        timedelta(days=30),
        description="A new lead with the email of an open lead this recent "
        "joins it as a repeat touch",
    )
    retry_window: Duration = Field(
        timedelta(hours=24),
        description="A delivery without an id whose body is the same as one this recent is "
        "a retry of it (answered as before); after it, the same body is a new touch",
    )

    @field_validator("mappings")
    @classmethod
    def _source_names(cls, value: dict[str, FieldMapping]) -> dict[str, FieldMapping]:
        for name in value:
            if not SOURCE_NAME.fullmatch(name):
                raise ValueError(
                    f"source name {name!r}: use up to 40 letters, digits, '-' or '_' "
                    "(it is the last part of the webhook URL)"
                )
        return value


class RoutingConfig(BaseModel):
    """The whole of routing.yml."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    timezone: TimeZoneName = Field("UTC", description="Default time zone for reps")
    hours: WorkingHours = Field(
        WorkingHours.model_validate({"mon-fri": "09:00-17:00"}),
        description="Default working hours for reps",
    )
    sla: Duration = Field(DEFAULT_SLA, description="Default claim SLA")
    escalation: str | None = Field(
        None, description="Escalation policy for leads whose rule and pool name none"
    )
    reps: dict[str, Rep]
    pools: dict[str, Pool]
    rules: tuple[Rule, ...] = ()
    accounts: dict[str, str] = Field(default_factory=dict, description="Company domain -> rep")
    accounts_csv: str | None = Field(None, description="CSV of domain,owner (relative to config)")
    fallback: str | None = Field(None, description="Pool that takes leads no rule placed")
    triage: Triage = Triage()
    managers: tuple[str, ...] = ()
    escalation_policies: dict[str, EscalationPolicy] = Field(default_factory=dict)
    permissions: Permissions = Permissions()
    intake: Intake = Intake()
    slow_responders: SlowResponders = SlowResponders()
    digest: Digest | None = Field(None, description="Weekly stats to managers (off unless set)")
    crm: CrmConfig | None = Field(None, description="The CRM that closes the loop (off unless set)")
    events: dict[str, Subscription] = Field(
        default_factory=dict, description="Signed webhooks to other systems, by name"
    )

    @field_validator("accounts", mode="before")
    @classmethod
    def _domains(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {website_domain(str(domain)): owner for domain, owner in value.items()}
        return value

    @model_validator(mode="after")
    def _resolve(self) -> RoutingConfig:
        reps = {
            key: rep.model_copy(
                update={
                    "id": key,
                    "timezone": rep.timezone or self.timezone,
                    "hours": rep.hours or self.hours,
                }
            )
            for key, rep in self.reps.items()
        }
        pools = {
            key: pool.model_copy(
                update={
                    "id": key,
                    "timezone": pool.timezone or self.timezone,
                    "hours": pool.hours or self.hours,
                }
            )
            for key, pool in self.pools.items()
        }
        object.__setattr__(self, "reps", reps)
        object.__setattr__(self, "pools", pools)
        self._check_references()
        return self

    def _check_references(self) -> None:
        errors: list[tuple[tuple[str | int, ...], str]] = []

        def need(kind: str, key: str | None, known: dict[str, Any], *where: str | int) -> None:
            if key is not None and key not in known:
                hint = ", ".join(sorted(known)[:8]) or "none defined"
                errors.append((where, f"unknown {kind} {key!r} (known: {hint})"))

        def need_person(key: str | None, *where: str | int) -> None:
            """A manager: a rep, a top-level manager, or a Slack member id (U…/W…) for someone
            who manages only this pool or rep and takes no leads."""
            if key is None or key in self.reps or key in self.managers:
                return
            if not re.fullmatch(r"[UW][A-Z0-9]{2,}", key):
                errors.append(
                    (where, f"unknown rep or manager {key!r} (a rep, or a Slack member id U…)")
                )

        for section in ("reps", "pools"):
            for key in getattr(self, section):
                if not re.fullmatch(ID_PATTERN, key) or not key:
                    errors.append(
                        (
                            (section, key),
                            f"{key!r} is not a usable handle "
                            "(letters, digits, '.', '_' and '-', at most 80)",
                        )
                    )
        seen_slack: dict[str, str] = {}
        for key, rep in self.reps.items():
            if rep.slack_id in seen_slack:
                other = seen_slack[rep.slack_id]
                errors.append((("reps", key, "slack_id"), f"{rep.slack_id} is also rep {other!r}"))
            seen_slack.setdefault(rep.slack_id, key)
            need_person(rep.manager, "reps", key, "manager")
        for key, pool in self.pools.items():
            for i, member in enumerate(pool.members):
                need("rep", member, self.reps, "pools", key, "members", i)
            need(
                "pool or rep", pool.fallback, {**self.pools, **self.reps}, "pools", key, "fallback"
            )
            need(
                "escalation policy",
                pool.escalation,
                self.escalation_policies,
                "pools",
                key,
                "escalation",
            )
            need_person(pool.manager, "pools", key, "manager")
        if self.crm is not None:
            for crm_owner, rep_id in self.crm.owners.items():
                need("rep", rep_id, self.reps, "crm", "owners", crm_owner)
        names: set[str] = set()
        for i, rule in enumerate(self.rules):
            if rule.name in names:
                errors.append((("rules", i, "name"), f"another rule is called {rule.name!r}"))
            names.add(rule.name)
            need("pool", rule.pool, self.pools, "rules", i, "pool")
            need("rep", rule.rep, self.reps, "rules", i, "rep")
            need("pool", rule.fallback, self.pools, "rules", i, "fallback")
            need(
                "escalation policy",
                rule.escalation,
                self.escalation_policies,
                "rules",
                i,
                "escalation",
            )
        for domain, owner in self.accounts.items():
            need("rep", owner, self.reps, "accounts", domain)
        need("pool", self.fallback, self.pools, "fallback")
        need("escalation policy", self.escalation, self.escalation_policies, "escalation")
        if errors:
            raise ReferenceErrors(errors)

    @cached_property
    def rule_index(self) -> RuleIndex:
        """The index that finds the first matching rule (routing.rule_index), built on first use.

        Pydantic leaves cached properties alone on frozen models: the value is kept in the
        instance's __dict__, outside the fields (not validated, dumped or compared). Build a
        changed config with model_validate, never model_copy(update=...): a copy carries the
        cache along, and would index the old rules."""
        return RuleIndex(self.rules)

    def manager_slack_ids(self) -> list[str]:
        """Everyone who manages: `managers:`, pool managers and rep managers, as Slack ids."""
        names = [
            *self.managers,
            *(p.manager for p in self.pools.values()),
            *(r.manager for r in self.reps.values()),
        ]
        ids = [self.reps[n].slack_id if n in self.reps else n for n in names if n]
        return list(dict.fromkeys(ids))

    def pools_of(self, rep_id: str) -> list[str]:
        return [key for key, pool in self.pools.items() if rep_id in pool.members]

    def rep_by_slack_id(self, slack_id: str) -> Rep | None:
        return next((rep for rep in self.reps.values() if rep.slack_id == slack_id), None)

    def escalation_for(self, rule: Rule | None, pool: Pool | None) -> str | None:
        """The ladder a lead climbs: its rule's, else its pool's, else the default."""
        if rule is not None and rule.escalation:
            return rule.escalation
        if pool is not None and pool.escalation:
            return pool.escalation
        return self.escalation

    def sla_for(self, rule: Rule | None, pool: Pool | None) -> timedelta:
        if rule is not None and rule.sla is not None:
            return rule.sla
        if pool is not None and pool.sla is not None:
            return pool.sla
        return self.sla


class ReferenceErrors(ValueError):
    """Several dangling references at once, each as (path in the config, message)."""

    def __init__(self, errors: list[tuple[tuple[str | int, ...], str]]) -> None:
        super().__init__("; ".join(f"{'.'.join(map(str, p))}: {m}" for p, m in errors))
        self.errors = errors
