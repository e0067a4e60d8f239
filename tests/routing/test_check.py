"""`leadrouter check`: lint findings on configs that load, and the command around them."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from routing import Lead
from routing.check import Finding, lint, parse_for_check
from routing.condition_logic import implies, never_matches, normal_form
from routing.conditions import parse_condition
from routing.engine import first_matching_rule

# Two bilingual reps, two pools, a global fallback: nothing to say about the team.
TEAM = """\
fallback: everyone
triage: {channel: C0TRIAGE}
reps:
  ana: {name: Ana, slack_id: U0000001, languages: [en, de]}
  bo: {name: Bo, slack_id: U0000002, languages: [en, fr]}
pools:
  emea: {members: [ana, bo]}
  everyone: {members: [ana, bo]}
"""


def with_rules(rules: str, team: str = TEAM) -> str:
    return f"{team}rules:\n{rules}"


def check(text: str) -> list[Finding]:
    config, lines = parse_for_check(text, "routing.yml")
    return lint(config, lines)


def line_of(text: str, snippet: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if snippet in line)


def reached_rule(text: str, **lead: object) -> str | None:
    """The rule the engine picks for this lead: proof of what a rule really does."""
    config, _ = parse_for_check(text)
    rule = first_matching_rule(Lead(**lead), config)
    return rule.name if rule else None


# --- no false alarms -----------------------------------------------------------------------

CLEAN = """\
timezone: Europe/Berlin
fallback: everyone
triage: {channel: C0TRIAGE}
managers: [dana]
accounts:
  bigbank.com: carl
reps:
  ana: {name: Ana, slack_id: U0000001, languages: [en, de], manager: mia}
  bo: {name: Bo, slack_id: U0000002, languages: [en, fr]}
  carl: {name: Carl, slack_id: U0000003}
  mia: {name: Mia, slack_id: U0000004}
  old: {name: Old Timer, slack_id: U0000005, active: false}
pools:
  dach: {members: [ana, old], fallback: emea}
  emea: {members: [ana, bo]}
  everyone: {members: [ana, bo]}
rules:
  - name: strategic
    when: {custom.plan: enterprise, employees: {gte: 5000}}
    rep: carl
  - name: enterprise dach
    when:
      country: [DE, AT, CH]
      employees: {gte: 1000}
    pool: dach
  - name: mid-market dach
    when:
      country: [DE, AT, CH]
      employees: {between: [100, 999]}
    pool: dach
  - name: french speakers
    when: {language: French}
    require: [language]
    pool: emea
  - name: not yet sized
    when: {employees: {exists: false}, country: {not_in: [US, CA]}}
    pool: emea
  - name: healthcare or pharma
    when:
      any:
        - industry: healthcare
        - industry: {contains: pharma}
    pool: emea
  - name: everything else
    pool: everyone
"""


def test_a_sound_config_has_no_findings() -> None:
    assert check(CLEAN) == []


def test_rules_of_the_sound_config_each_get_leads() -> None:
    # The no-findings verdict is only worth something if every rule is really reachable.
    leads = {
        "strategic": {"employees": 9000, "custom": {"plan": "Enterprise"}},
        "enterprise dach": {"country": "Germany", "employees": 2000},
        "mid-market dach": {"country": "AT", "employees": 150},
        "french speakers": {"language": "fr"},
        "not yet sized": {"country": "SE"},
        "healthcare or pharma": {"industry": "big pharma", "employees": 50},
        "everything else": {"country": "US"},
    }
    assert {name: reached_rule(CLEAN, **lead) for name, lead in leads.items()} == {
        name: name for name in leads
    }


# --- shadowed rules ------------------------------------------------------------------------

SHADOWS = [
    ("a rule with no when", "{}", "{country: US}"),
    ("in-set subset", "{country: [DE, AT, CH]}", "{country: [DE, AT]}"),
    ("eq inside in, after normalising", "{country: [DE, AT]}", "{country: Germany}"),
    ("numeric interval inside", "{employees: {gte: 500}}", "{employees: {between: [1000, 5000]}}"),
    (
        "two ranges together inside",
        "{employees: {between: [50, 300]}}",
        "{employees: {gt: 100, lte: 200}}",
    ),
    ("exists implied by a test", "{email: {exists: true}}", "{email: {contains: '@acme.'}}"),
    (
        "fewer tests on the same fields",
        "{country: US, employees: {gte: 100}}",
        "{country: US, employees: {gte: 500}, industry: saas}",
    ),
    (
        "one branch of an earlier any",
        "{any: [{country: DE}, {industry: healthcare}]}",
        "{industry: healthcare, employees: {lt: 50}}",
    ),
    (
        "every branch of a later any",
        "{country: [DE, AT, CH]}",
        "{any: [{country: DE}, {country: AT}]}",
    ),
    ("not eq", "{not: {country: US}}", "{country: DE}"),
    ("not of a range", "{not: {employees: {lt: 100}}}", "{employees: {gte: 100}}"),
    ("not_in of a superset", "{country: {not_in: [US]}}", "{country: {not_in: [US, CA]}}"),
    ("identical regex", "{title: {regex: '^vp'}}", "{title: {regex: '^vp'}, country: US}"),
    ("identical rule", "{product: api, score: {gte: 50}}", "{score: {gte: 50}, product: API}"),
]


@pytest.mark.parametrize(
    ("earlier", "later"), [c[1:] for c in SHADOWS], ids=[c[0] for c in SHADOWS]
)
def test_a_rule_shadowed_by_an_earlier_rule_is_an_error(earlier: str, later: str) -> None:
    earlier_rule = "  - name: first\n    pool: emea\n" + (
        f"    when: {earlier}\n" if earlier != "{}" else ""
    )
    text = with_rules(f"{earlier_rule}  - name: second\n    when: {later}\n    pool: emea\n")

    [finding] = check(text)

    assert finding.severity == "error"
    assert finding.field == "rules.1"
    assert finding.line == line_of(text, "name: second")
    assert finding.message.startswith("rule 'second' never fires")
    assert f"taken first by rule 'first' (line {line_of(text, 'name: first')})" in finding.message


# (case, earlier when, later when, a lead the later rule gets even so)
NOT_SHADOWS = [
    (
        "empty text fails a not_in of it",
        "{custom.plan: {not_in: ['', b]}}",
        "{custom.plan: {exists: false}}",
        {"custom": {"plan": ""}},
    ),
    (
        "a regex can match empty text",
        "{custom.plan: {exists: true}}",
        "{custom.plan: {regex: '^$'}}",
        {"custom": {"plan": ""}},
    ),
    (
        "overlapping ranges",
        "{employees: {gte: 500}}",
        "{employees: {gte: 100}}",
        {"employees": 200},
    ),
    (
        "open against closed bound",
        "{employees: {gt: 100}}",
        "{employees: {gte: 100}}",
        {"employees": 100},
    ),
    (
        "earlier has another test",
        "{country: DE, industry: saas}",
        "{country: DE}",
        {"country": "DE"},
    ),
    (
        "one branch of a later any escapes",
        "{country: [DE, AT]}",
        "{any: [{country: DE}, {country: FR}]}",
        {"country": "FR"},
    ),
    (
        "not_in passes a missing value",
        "{country: {exists: true}}",
        "{country: {not_in: [US]}}",
        {"email": "a@b.io"},
    ),
    (
        "empty text is not present",
        "{custom.plan: {exists: true}}",
        "{custom.plan: {eq: ''}}",
        {"custom": {"plan": ""}},
    ),
    (
        "true equals 1 but is no number",
        "{custom.seats: {gte: 1}}",
        "{custom.seats: 1}",
        {"custom": {"seats": True}},
    ),
    (
        "contains is not a regex",
        "{title: {regex: '^vp'}}",
        "{title: {contains: vp}}",
        {"title": "svp sales"},
    ),
    (
        "not of a range passes missing values",
        "{employees: {gte: 100}}",
        "{not: {employees: {lt: 100}}}",
        {"country": "US"},
    ),
]


@pytest.mark.parametrize(
    ("earlier", "later", "lead"), [c[1:] for c in NOT_SHADOWS], ids=[c[0] for c in NOT_SHADOWS]
)
def test_a_rule_that_still_gets_leads_is_not_called_shadowed(
    earlier: str, later: str, lead: dict
) -> None:
    text = with_rules(
        f"  - name: first\n    when: {earlier}\n    pool: emea\n"
        f"  - name: second\n    when: {later}\n    pool: emea\n"
    )

    assert check(text) == []
    assert reached_rule(text, **lead) == "second"


def test_a_catch_all_shadows_every_rule_after_it() -> None:
    text = with_rules(
        "  - name: everyone\n    pool: everyone\n"
        "  - name: us\n    when: {country: US}\n    pool: emea\n"
        "  - name: big\n    when: {employees: {gte: 100}}\n    pool: emea\n"
    )

    findings = check(text)

    assert [(f.field, f.line) for f in findings] == [
        ("rules.1", line_of(text, "name: us")),
        ("rules.2", line_of(text, "name: big")),
    ]
    assert all("which has no `when` and takes every lead" in f.message for f in findings)


# --- rules that can never match ------------------------------------------------------------

NEVER = [
    ("in an empty list", "{country: []}", "country"),
    ("eq two values", "{all: [{country: US}, {country: DE}]}", "country"),
    ("empty numeric range", "{industry: saas, employees: {gte: 500, lt: 100}}", "employees"),
    ("open bounds that meet", "{score: {gt: 10, lte: 10}}", "score"),
    ("eq with not_in of it", "{country: {eq: US, not_in: [US, CA]}}", "country"),
    ("in minus not_in is empty", "{country: {in: [US, CA], not_in: [CA, US]}}", "country"),
    ("value outside the range", "{all: [{employees: 50}, {employees: {gte: 100}}]}", "employees"),
    ("absent and tested", "{email: {exists: false, contains: acme}}", "email"),
    ("present and absent", "{all: [{phone: {exists: true}}, {phone: {exists: false}}]}", "phone"),
    (
        "a test and its negation",
        "{all: [{title: {regex: '^vp'}}, {not: {title: {regex: '^vp'}}}]}",
        "title",
    ),
    ("a range and its negation", "{all: [{score: {gte: 80}}, {not: {score: {gte: 50}}}]}", "score"),
    (
        "every branch of an any is dead",
        "{country: US, any: [{country: DE}, {country: FR}]}",
        "country",
    ),
    (
        "text value that is no number",
        "{all: [{custom.seats: lots}, {custom.seats: {gt: 3}}]}",
        "custom.seats",
    ),
]


@pytest.mark.parametrize(("when", "field"), [c[1:] for c in NEVER], ids=[c[0] for c in NEVER])
def test_a_rule_that_can_never_match_is_an_error_on_the_field(when: str, field: str) -> None:
    text = with_rules(f"  - name: nobody\n    when: {when}\n    pool: emea\n")

    [finding] = check(text)

    assert finding.severity == "error"
    assert finding.field.startswith("rules.0.when")
    assert finding.field.endswith(field)
    assert (
        finding.message
        == f"rule 'nobody' can never match: its tests on {field} contradict each other"
    )


def test_a_contradiction_points_at_the_line_of_the_field() -> None:
    text = with_rules(
        "  - name: nobody\n    when:\n      industry: saas\n"
        "      employees:\n        gte: 500\n        lt: 100\n    pool: emea\n"
    )

    [finding] = check(text)

    assert (finding.field, finding.line) == ("rules.0.when.employees", line_of(text, "employees:"))


MATCHABLE = [
    ("a one-point range", "{employees: {gte: 100, lte: 100}}", {"employees": 100}),
    ("empty text is absent", "{custom.plan: {eq: '', exists: false}}", {"custom": {"plan": ""}}),
    (
        "true may equal 1",
        "{all: [{custom.seats: true}, {custom.seats: {gte: 1}}]}",
        {"custom": {"seats": 1}},
    ),
    (
        "not_in passes a missing value",
        "{country: {not_in: [US], exists: false}}",
        {"email": "a@b.io"},
    ),
    (
        "one live branch",
        "{country: US, any: [{country: DE}, {industry: saas}]}",
        {"country": "US", "industry": "SaaS"},
    ),
]


@pytest.mark.parametrize(
    ("when", "lead"), [c[1:] for c in MATCHABLE], ids=[c[0] for c in MATCHABLE]
)
def test_a_rule_some_lead_matches_is_not_called_dead(when: str, lead: dict) -> None:
    text = with_rules(f"  - name: some\n    when: {when}\n    pool: emea\n")

    assert check(text) == []
    assert reached_rule(text, **lead) == "some"


# --- team findings -------------------------------------------------------------------------


def warnings_of(text: str) -> list[tuple[str, int | None, str]]:
    return [(f.field, f.line, f.message) for f in check(text) if f.severity == "warning"]


def test_a_pool_with_no_active_member_is_a_warning() -> None:
    text = TEAM.replace("languages: [en, fr]}", "languages: [en, fr], active: false}") + (
        "  solo: {members: [bo]}\n"
    )

    [(field, line, message)] = warnings_of(text)

    assert (field, line) == ("pools.solo.members", line_of(text, "solo:"))
    assert "pool 'solo' has no active member" in message


def test_a_rep_who_can_get_no_lead_is_a_warning() -> None:
    [(field, line, message)] = warnings_of(WITH_CY)

    assert (field, line) == ("reps.cy", line_of(WITH_CY, "cy:"))
    assert message.startswith("rep 'cy' is in no pool")


WITH_CY = TEAM.replace("pools:", "  cy: {name: Cy, slack_id: U0000003}\npools:")


@pytest.mark.parametrize(
    "text",
    [
        WITH_CY + "accounts: {cy-corp.com: cy}\n",
        WITH_CY + "rules:\n  - name: vip\n    rep: cy\n",
        WITH_CY.replace("languages: [en, de]}", "languages: [en, de], manager: cy}"),
        WITH_CY.replace("emea: {members: [ana, bo]}", "emea: {members: [ana, bo], manager: cy}"),
    ],
    ids=["named account owner", "rule target", "manager of a rep", "manager of a pool"],
)
def test_a_rep_outside_pools_with_another_role_is_fine(text: str) -> None:
    assert warnings_of(text) == []


def test_an_inactive_rep_outside_pools_is_fine() -> None:
    text = TEAM.replace("pools:", "  cy: {name: Cy, slack_id: U0000003, active: false}\npools:")

    assert warnings_of(text) == []


NO_FALLBACK = TEAM.replace("fallback: everyone\n", "")


def test_a_pool_with_nowhere_to_go_is_a_warning() -> None:
    fields = [field for field, _, _ in warnings_of(NO_FALLBACK)]

    assert fields == ["pools.emea", "pools.everyone"]
    [(_, line, message)] = [w for w in warnings_of(NO_FALLBACK) if w[0] == "pools.emea"]
    assert line == line_of(NO_FALLBACK, "emea:")
    assert "pool 'emea' has no fallback" in message
    assert "leads go to triage" in message


def test_a_pool_fallback_or_fallbacks_on_every_rule_silence_the_warning() -> None:
    text = NO_FALLBACK.replace(
        "emea: {members: [ana, bo]}", "emea: {members: [ana, bo], fallback: everyone}"
    )
    text = with_rules("  - name: all\n    pool: everyone\n    fallback: emea\n", text)

    assert warnings_of(text) == []


def test_a_rule_targeting_a_rep_without_fallback_is_a_warning() -> None:
    team = NO_FALLBACK.replace(
        "emea: {members: [ana, bo]}", "emea: {members: [ana], fallback: everyone}"
    )
    team = team.replace(
        "everyone: {members: [ana, bo]}", "everyone: {members: [bo], fallback: emea}"
    )
    text = with_rules(
        "  - name: vip\n    when: {custom.vip: true}\n    rep: ana\n"
        "  - name: rest\n    pool: emea\n",
        team,
    )

    [(field, line, message)] = warnings_of(text)

    assert (field, line) == ("rules.0.rep", line_of(text, "rep: ana"))
    assert message.startswith("rule 'vip' targets rep 'ana' with no fallback")
    assert warnings_of(text.replace("    rep: ana\n", "    rep: ana\n    fallback: emea\n")) == []


def test_a_rule_requiring_a_language_nobody_in_the_pool_speaks_is_a_warning() -> None:
    rules = (
        "  - name: spanish\n    when: {language: [Spanish, French]}\n"
        "    require: [language]\n    pool: emea\n"
    )
    text = with_rules(rules)

    [(field, line, message)] = warnings_of(text)

    assert (field, line) == ("rules.0.require", line_of(text, "require:"))
    assert "nobody active in pool 'emea' speaks es" in message
    assert warnings_of(text.replace("require: [language]", "require: []")) == []
    assert warnings_of(text.replace("[Spanish, French]", "French")) == []


def test_an_inactive_speaker_does_not_count_for_a_language() -> None:
    rules = "  - name: french\n    when: {language: fr}\n    require: [language]\n    pool: emea\n"
    team = TEAM.replace("languages: [en, fr]}", "languages: [en, fr], active: false}")

    [(field, _, message)] = warnings_of(with_rules(rules, team))

    assert field == "rules.0.require"
    assert "nobody active in pool 'emea' speaks fr" in message


def test_without_a_line_index_findings_still_name_the_field() -> None:
    config, _ = parse_for_check(NO_FALLBACK)

    assert {(f.field, f.line) for f in lint(config)} == {
        ("pools.emea", None),
        ("pools.everyone", None),
    }


# --- the analysis never claims what leads disprove ---------------------------------------------

# Every value a test below compares against, plus neighbours, absence and tricky types.
_VALUES = {
    "country": [None, "US", "DE", "FR"],
    "employees": [None, 0, 99, 100, 101, 500, 1000],
    "custom.plan": [None, "", "a", "b", "5", 1, True, 5],
}
_LEADS = [
    Lead(country=c, employees=e, custom={} if p is None else {"plan": p})
    for c, e, p in itertools.product(*_VALUES.values())
]
_TESTS = {
    "country": ["US", ["US", "DE"], {"not_in": ["US"]}, {"exists": True}, {"eq": "DE"}],
    "employees": [{"gte": 100}, {"gt": 100}, {"lt": 500}, {"between": [99, 500]}, 100, [0, 1000]],
    "custom.plan": [
        *["a", "", 1, True, ["5", 5], {"not_in": ["", "b"]}],
        *[{"gte": 1}, {"lt": 6}, {"exists": False}, {"contains": "a"}, {"regex": "^$"}],
    ],
}
_field_test = st.sampled_from(sorted(_TESTS)).flatmap(
    lambda f: st.sampled_from(_TESTS[f]).map(lambda spec: {f: spec})
)
_conditions = st.recursive(
    _field_test,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"all": xs}),
        st.lists(inner, min_size=1, max_size=3).map(lambda xs: {"any": xs}),
        inner.map(lambda x: {"not": x}),
    ),
    max_leaves=5,
)


@settings(max_examples=400, deadline=None)
@given(earlier=_conditions, later=_conditions)
def test_claimed_shadows_and_dead_rules_hold_for_every_lead(earlier: dict, later: dict) -> None:
    first, second = parse_condition(earlier), parse_condition(later)
    if never_matches(normal_form(second)):
        assert not any(second.matches(lead) for lead in _LEADS)
    if implies(normal_form(second), normal_form(first)):
        assert all(first.matches(lead) for lead in _LEADS if second.matches(lead))


# --- the command ---------------------------------------------------------------------------

runner = CliRunner()


def write(tmp_path: Path, text: str, name: str = "routing.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_check_of_a_sound_config_exits_0_with_a_summary(tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN)

    result = runner.invoke(app, ["check", str(path)])

    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["7 rules, 3 pools, 5 reps: 0 errors, 0 warnings"]


def test_check_prints_each_finding_with_file_line_and_field(tmp_path: Path) -> None:
    text = with_rules(
        "  - name: everyone\n    pool: everyone\n"
        "  - name: us\n    when: {country: US}\n    pool: emea\n",
        TEAM.replace("pools:", "  cy: {name: Cy, slack_id: U0000003}\npools:"),
    )
    path = write(tmp_path, text)

    result = runner.invoke(app, ["check", str(path)])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"warning: {path}:{line_of(text, 'cy:')}: reps.cy: rep 'cy' is in no pool, owns no named "
        "account and no rule targets them: they never get a lead",
        f"error: {path}:{line_of(text, 'name: us')}: rules.1: rule 'us' never fires: every lead "
        f"it matches is taken first by rule 'everyone' (line {line_of(text, 'name: everyone')}), "
        "which has no `when` and takes every lead",
        "2 rules, 2 pools, 3 reps: 1 error, 1 warning",
    ]


def test_warnings_exit_0_unless_strict(tmp_path: Path) -> None:
    path = write(tmp_path, with_rules("  - name: all\n    pool: emea\n", NO_FALLBACK))

    relaxed = runner.invoke(app, ["check", str(path)])
    strict = runner.invoke(app, ["check", "--strict", str(path)])

    assert relaxed.exit_code == 0
    assert relaxed.output.splitlines()[-1] == "1 rule, 2 pools, 2 reps: 0 errors, 2 warnings"
    assert strict.exit_code == 1
    assert strict.output == relaxed.output


def test_a_config_that_does_not_load_exits_1_naming_every_error(tmp_path: Path) -> None:
    text = TEAM.replace("  bo: {", "  bo: {nickname: Bobby, ").replace(
        "fallback: everyone", "fallback: nobody"
    )
    path = write(tmp_path, text)

    result = runner.invoke(app, ["check", str(path)])

    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"error: {path}:{line_of(text, 'bo:')}: reps.bo.nickname: unknown key 'nickname' "
        "(check its spelling; see the config reference)",
        f"{path}: 1 error; the config cannot be used",
    ]


def test_check_reads_routing_config_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, CLEAN, "team.yml")

    result = runner.invoke(app, ["check"], env={"ROUTING_CONFIG": str(path)})

    assert result.exit_code == 0, result.output
    assert result.output.endswith("0 errors, 0 warnings\n")


def test_check_defaults_to_routing_yml_in_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ROUTING_CONFIG", raising=False)

    missing = runner.invoke(app, ["check"])
    write(tmp_path, CLEAN)
    present = runner.invoke(app, ["check"])

    assert missing.exit_code == 1
    assert missing.output.startswith("error: routing.yml: cannot read")
    assert present.exit_code == 0, present.output


def test_a_config_without_a_triage_channel_is_warned() -> None:
    text = CLEAN.replace("triage: {channel: C0TRIAGE}\n", "")
    assert [m for _s, _l, m in warnings_of(text) if "triage.channel" in m]


# --- the CRM ---------------------------------------------------------------------------------


def test_with_a_crm_a_rep_without_email_is_named_since_crm_owners_cannot_reach_them() -> None:
    team = TEAM.replace(
        "{name: Ana, slack_id: U0000001,", "{name: Ana, email: a@x.io, slack_id: U0000001,"
    )
    text = with_rules("  - name: all\n    pool: emea\n", team + "crm: {provider: hubspot}\n")
    [finding] = check(text)
    assert (finding.severity, finding.field, finding.line) == (
        "warning",
        "reps.bo",
        line_of(text, "bo:"),
    )
    assert "rep 'bo' has no email: hubspot owners cannot be matched" in finding.message
    named = text.replace(
        "crm: {provider: hubspot}", "crm: {provider: hubspot, owners: {b@x.io: bo}}"
    )
    assert check(named) == []


@pytest.mark.parametrize(
    ("crm", "said"),
    [
        ("{provider: hubspot, owners: {b@x.io: boo}}", "crm.owners.b@x.io: unknown rep 'boo'"),
        ("{provider: hubspot, status: {claimd: OPEN}}", "crm.status.claimd: Input should be"),
    ],
)
def test_a_crm_typo_is_an_error_naming_the_field(crm: str, said: str, tmp_path: Path) -> None:
    path = write(tmp_path, with_rules("  - name: all\n    pool: emea\n", TEAM + f"crm: {crm}\n"))
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1 and said in result.output
