"""Lint a routing config that loads: rules that can never fire, and teams that cannot take leads.

`lint(config, lines)` returns findings, each with a severity, the path of the field in the
YAML, its line (when `lines` is given) and a sentence.

Errors are config that certainly does not do what it says:
  - a rule that can never match (`in: []`, `eq: US` and `eq: DE` on one field, `gte: 500` with
    `lt: 100`, `eq: X` with `not_in: [X]`, a test and its negation, ...);
  - a rule shadowed by an earlier one: every lead it matches is taken by the earlier rule.
Warnings are config that is likely a mistake but may be deliberate: a pool with no active
member, an active rep who can receive no lead, a pool or a rep-targeted rule with nowhere to
go when nobody is free, a rule requiring a language that nobody in its target speaks.

Rule findings come from `routing.condition_logic`, which is sound but incomplete: a reported
shadow or dead rule is always real, some real ones are not found (see its docstring for the
limits). Line numbers come from the loader's own line index of the YAML.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

from routing.condition_logic import Form, contradiction, implies, normal_form, values_of
from routing.config import Requirement, RoutingConfig, Rule
from routing.loader import Path_, _index_lines, load_config, parse_config

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    severity: Severity
    path: Path_
    line: int | None
    message: str

    @property
    def field(self) -> str:
        return ".".join(str(p) for p in self.path)


def load_for_check(path: str | Path) -> tuple[RoutingConfig, dict[Path_, int]]:
    """load_config, plus the line of every path in the file. Raises ConfigError."""
    config = load_config(path)
    return config, line_index(Path(path).read_text(encoding="utf-8"))


def parse_for_check(
    text: str, filename: str = "routing.yml", base_dir: Path | None = None
) -> tuple[RoutingConfig, dict[Path_, int]]:
    """parse_config, plus the line of every path in the text. Raises ConfigError."""
    return parse_config(text, filename, base_dir), line_index(text)


def line_index(text: str) -> dict[Path_, int]:
    # The loader indexes lines the same way but keeps the index to itself; the text is known
    # to be valid YAML here because the config loaded.
    lines: dict[Path_, int] = {}
    _index_lines(yaml.compose(text, Loader=yaml.SafeLoader), (), lines, [], "")
    return lines


def lint(config: RoutingConfig, lines: dict[Path_, int] | None = None) -> list[Finding]:
    lines = lines or {}
    findings = [
        *_rule_findings(config, lines),
        *_team_findings(config, lines),
        *_crm_findings(config, lines),
    ]
    return sorted(findings, key=lambda f: (f.line or 0, f.severity))


# --- CRM findings -----------------------------------------------------------------------------


def _crm_findings(config: RoutingConfig, lines: dict[Path_, int]) -> list[Finding]:
    """With `crm:`, CRM owners become reps by email: an active rep without one (and not named
    in crm.owners) never gets a lead by CRM ownership, and nothing else would say so."""
    if config.crm is None or not config.crm.read_owner:
        return []
    mapped = set(config.crm.owners.values())
    findings = []
    for key, rep in config.reps.items():
        if rep.active and not rep.email and key not in mapped:
            path: Path_ = ("reps", key)
            findings.append(
                Finding(
                    "warning",
                    path,
                    _line(path, lines),
                    f"rep {key!r} has no email: {config.crm.provider.value} owners cannot be "
                    "matched to them (add `email:`, or name them in crm.owners)",
                )
            )
    return findings


# --- rule findings ----------------------------------------------------------------------------


def _rule_findings(config: RoutingConfig, lines: dict[Path_, int]) -> list[Finding]:
    findings: list[Finding] = []
    forms = [normal_form(rule.when) for rule in config.rules]
    conflicts = [contradiction(form) for form in forms]
    for i, rule in enumerate(config.rules):
        if conflicts[i] is not None:
            path = _field_path(("rules", i, "when"), conflicts[i], lines)
            findings.append(
                Finding(
                    "error",
                    path,
                    _line(path, lines),
                    f"rule {rule.name!r} can never match: its tests on {conflicts[i]} "
                    "contradict each other",
                )
            )
            continue
        earlier = next(
            (j for j in range(i) if conflicts[j] is None and implies(forms[i], forms[j])), None
        )
        if earlier is not None:
            other = config.rules[earlier]
            catch_all = ", which has no `when` and takes every lead" if other.when is None else ""
            path = ("rules", i)
            findings.append(
                Finding(
                    "error",
                    path,
                    _line(path, lines),
                    f"rule {rule.name!r} never fires: every lead it matches is taken first by "
                    f"rule {other.name!r}{_at(('rules', earlier), lines)}{catch_all}",
                )
            )
        findings.extend(_language_findings(config, i, rule, forms[i], lines))
    return findings


def _language_findings(
    config: RoutingConfig, index: int, rule: Rule, form: Form, lines: dict[Path_, int]
) -> list[Finding]:
    if Requirement.language not in rule.require or not (rule.pool or rule.rep):
        return []
    languages = values_of(form, "language")
    if not languages:
        return []
    members = config.pools[rule.pool].members if rule.pool else (rule.rep,)
    target = f"pool {rule.pool!r}" if rule.pool else f"rep {rule.rep!r}"
    spoken = {code for m in members if config.reps[m].active for code in config.reps[m].languages}
    missing = sorted(str(code) for code in languages if code not in spoken)
    if not missing:
        return []
    path = ("rules", index, "require")
    return [
        Finding(
            "warning",
            path,
            _line(path, lines),
            f"rule {rule.name!r} requires the lead's language, but nobody active in {target} "
            f"speaks {', '.join(missing)}: those leads never reach {target}",
        )
    ]


def _field_path(prefix: Path_, field: str, lines: dict[Path_, int]) -> Path_:
    """The first place under `prefix` where `field` is tested, to point at the right line."""
    candidates = [
        path
        for path in lines
        if len(path) > len(prefix) and path[: len(prefix)] == prefix and path[-1] == field
    ]
    return min(candidates, key=lambda p: lines[p]) if candidates else prefix


# --- team findings ----------------------------------------------------------------------------


def _team_findings(config: RoutingConfig, lines: dict[Path_, int]) -> list[Finding]:
    findings: list[Finding] = []

    def warn(path: Path_, message: str) -> None:
        findings.append(Finding("warning", path, _line(path, lines), message))

    if config.triage.channel is None:
        warn(
            ("triage",),
            "no triage.channel: leads nobody can take, and cards Slack refuses, are only logged "
            "(set triage: {channel: C…} to a channel your team watches)",
        )
    receivers = {rule.rep for rule in config.rules if rule.rep} | set(config.accounts.values())
    # A rep who manages others is likely a manager, not someone who should get leads.
    managers = {rep.manager for rep in config.reps.values()} | {
        pool.manager for pool in config.pools.values()
    }
    for key, rep in config.reps.items():
        if rep.active and not config.pools_of(key) and key not in receivers | managers:
            warn(
                ("reps", key),
                f"rep {key!r} is in no pool, owns no named account and no rule targets them: "
                "they never get a lead",
            )
    for key, pool in config.pools.items():
        if not any(config.reps[m].active for m in pool.members):
            warn(
                ("pools", key, "members"),
                f"pool {key!r} has no active member: it never takes a lead, leads for it go on "
                "to the fallback",
            )
        targeting = [rule for rule in config.rules if rule.pool == key]
        every_rule_falls_back = bool(targeting) and all(rule.fallback for rule in targeting)
        # With a global fallback every pool has somewhere to go (the global one goes to triage).
        if not (pool.fallback or config.fallback or every_rule_falls_back):
            warn(
                ("pools", key),
                f"pool {key!r} has no fallback (no `fallback:` on the pool and no global "
                f"`fallback:`): when nobody in it is free, leads go to {config.triage.name}",
            )
    for i, rule in enumerate(config.rules):
        if rule.rep and not rule.fallback and not config.fallback:
            warn(
                ("rules", i, "rep"),
                f"rule {rule.name!r} targets rep {rule.rep!r} with no fallback: when they are "
                f"away, off hours or at capacity, leads go to {config.triage.name}",
            )
    return findings


def _line(path: Path_, lines: dict[Path_, int]) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _at(path: Path_, lines: dict[Path_, int]) -> str:
    line = lines.get(path)
    return f" (line {line})" if line else ""
