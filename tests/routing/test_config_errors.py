"""Every kind of mistake in routing.yml is reported with the file, the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from routing import ConfigError, load_config
from routing.loader import Problem

VALID = """\
timezone: Europe/Berlin
reps:
  ana:
    name: Ana Silva
    slack_id: U0000001
    languages: [de, en]
  bo:
    name: Bo Berg
    slack_id: U0000002
pools:
  emea:
    members: [ana, bo]
    sla: 15m
rules:
  - name: enterprise
    when:
      all:
        - employees: {gte: 1000}
        - any:
            - country: [DE, AT]
            - industry: healthcare
    pool: emea
  - name: everyone else
    pool: emea
"""


def problems_of(tmp_path: Path, text: str) -> list[Problem]:
    path = tmp_path / "routing.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value.problems


def line_of(text: str, snippet: str | tuple[str, int], occurrence: int = 1) -> int:
    """1-based line of the n-th line containing `snippet` (or a (snippet, n) pair)."""
    if isinstance(snippet, tuple):
        snippet, occurrence = snippet
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if snippet in line]
    return hits[occurrence - 1]


def edit(old: str, new: str, base: str = VALID) -> str:
    assert base.count(old) == 1, f"{old!r} must occur once in the base config"
    return base.replace(old, new)


def test_the_base_config_loads(tmp_path: Path) -> None:
    path = tmp_path / "routing.yml"
    path.write_text(VALID, encoding="utf-8")
    assert [rule.name for rule in load_config(path).rules] == ["enterprise", "everyone else"]


# (case, config text, snippet on the offending line (or (snippet, nth occurrence)), field,
#  words the message must contain)
CASES = [
    (
        "unknown top-level key",
        VALID + "fallbak: emea\n",
        "fallbak:",
        "fallbak",
        "unknown key 'fallbak'",
    ),
    (
        "unknown key in a rep",
        edit("    slack_id: U0000002\n", "    slack_id: U0000002\n    nickname: Bobby\n"),
        "nickname:",
        "reps.bo.nickname",
        "unknown key 'nickname'",
    ),
    (
        "unknown key in a rule",
        edit(
            "    pool: emea\n  - name: every", "    pool: emea\n    priorty: high\n  - name: every"
        ),
        "priorty:",
        "rules.0.priorty",
        "unknown key 'priorty'",
    ),
    (
        "bad time zone",
        edit("    slack_id: U0000002\n", "    slack_id: U0000002\n    timezone: Europe/Berlinn\n"),
        "Europe/Berlinn",
        "reps.bo.timezone",
        "unknown time zone 'Europe/Berlinn'",
    ),
    (
        "bad time zone at the top",
        edit("timezone: Europe/Berlin", "timezone: CEST"),
        "timezone: CEST",
        "timezone",
        "unknown time zone 'CEST'",
    ),
    (
        "bad working hours",
        edit("    slack_id: U0000002\n", "    slack_id: U0000002\n    hours: {mon-fri: 9-5}\n"),
        "hours:",
        "reps.bo.hours",
        "cannot read hours '9-5'",
    ),
    (
        "unknown weekday in working hours",
        edit(
            "    slack_id: U0000002\n",
            "    slack_id: U0000002\n    hours: {mon-fry: 09:00-17:00}\n",
        ),
        "hours:",
        "reps.bo.hours",
        "unknown weekday range 'mon-fry'",
    ),
    (
        "bad duration",
        edit("    sla: 15m", "    sla: quarter hour"),
        "sla: quarter hour",
        "pools.emea.sla",
        "cannot read duration 'quarter hour'",
    ),
    (
        "unknown pool in a rule",
        edit("    pool: emea\n  - name: every", "    pool: apac\n  - name: every"),
        "pool: apac",
        "rules.0.pool",
        "unknown pool 'apac' (known: emea)",
    ),
    (
        "unknown rep in a pool",
        edit("members: [ana, bo]", "members: [ana, cy]"),
        "members: [ana, cy]",
        "pools.emea.members.1",
        "unknown rep 'cy' (known: ana, bo)",
    ),
    (
        "unknown rep targeted by a rule",
        edit("  - name: everyone else\n    pool: emea\n", "  - name: everyone else\n    rep: cy\n"),
        "rep: cy",
        "rules.1.rep",
        "unknown rep 'cy'",
    ),
    (
        "duplicate rule names",
        edit("  - name: everyone else", "  - name: enterprise"),
        ("name: enterprise", 2),
        "rules.1.name",
        "another rule is called 'enterprise'",
    ),
    (
        "duplicate YAML key",
        edit("    slack_id: U0000002\n", "    slack_id: U0000002\n    name: Bob\n"),
        "name: Bob",
        "reps.bo.name",
        "appears twice",
    ),
    (
        "bad operator deep inside when",
        edit("country: [DE, AT]", "country: {one_of: [DE, AT]}"),
        "one_of",
        "rules.0.when.all.1.any.0.country.one_of",
        "unknown operator 'one_of'",
    ),
    (
        "unknown lead field",
        edit("industry: healthcare", "sector: healthcare"),
        "sector:",
        "rules.0.when.all.1.any.1.sector",
        "unknown lead field 'sector'",
    ),
    (
        "numeric operator on a text field",
        edit("industry: healthcare", "industry: {gte: 3}"),
        "industry: {gte: 3}",
        "rules.0.when.all.1.any.1.industry.gte",
        "gte compares numbers; industry is text",
    ),
    (
        "rule with two targets",
        edit(
            "  - name: everyone else\n    pool: emea\n",
            "  - name: everyone else\n    pool: emea\n    rep: ana\n",
        ),
        "name: everyone else",
        "rules.1",
        "exactly one of `pool`, `rep` or `nurture: true`",
    ),
    (
        "unknown country in a rule",
        edit("country: [DE, AT]", "country: [DE, Narnia]"),
        "Narnia",
        "rules.0.when.all.1.any.0.country",
        "unknown country 'Narnia'",
    ),
    (
        "missing accounts CSV",
        VALID + "accounts_csv: named_accounts.csv\n",
        "accounts_csv:",
        "accounts_csv",
        "cannot read",
    ),
]


@pytest.mark.parametrize(
    ("text", "snippet", "field", "words"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_error_names_file_line_and_field(
    tmp_path: Path, text: str, snippet: str | tuple[str, int], field: str, words: str
) -> None:
    problems = problems_of(tmp_path, text)

    assert len(problems) == 1, problems
    problem = problems[0]
    assert problem.file == str(tmp_path / "routing.yml")
    assert problem.line == line_of(text, snippet)
    assert problem.field == field
    assert words in problem.message
    assert str(problem) == f"{tmp_path / 'routing.yml'}:{problem.line}: {field}: {problem.message}"


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    text = edit("    slack_id: U0000002\n", "   slack_id: U0000002\n")  # one space short

    [problem] = problems_of(tmp_path, text)

    assert problem.line == line_of(text, "slack_id: U0000002")
    assert problem.message.startswith("not valid YAML")


def test_duplicate_yaml_key_names_the_second_occurrence(tmp_path: Path) -> None:
    text = VALID + "timezone: UTC\n"

    [problem] = problems_of(tmp_path, text)

    assert (problem.field, problem.line) == ("timezone", line_of(text, "timezone:", 2))


def test_missing_accounts_csv_names_the_file_it_looked_for(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path, VALID + "accounts_csv: named_accounts.csv\n")

    assert str(tmp_path / "named_accounts.csv") in problem.message


def test_several_mistakes_are_reported_together(tmp_path: Path) -> None:
    text = edit(
        "    slack_id: U0000002\n",
        "    slack_id: U0000002\n    timezone: Mars/Olympus\n    nickname: Bobby\n",
    )
    text = edit("    sla: 15m", "    sla: soon", text)

    problems = problems_of(tmp_path, text)

    assert {(p.field, p.line) for p in problems} == {
        ("reps.bo.timezone", line_of(text, "Mars/Olympus")),
        ("reps.bo.nickname", line_of(text, "nickname:")),
        ("pools.emea.sla", line_of(text, "sla: soon")),
    }


def test_unreadable_config_file_is_an_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yml")

    [problem] = caught.value.problems
    assert problem.file == str(tmp_path / "nope.yml")
    assert "cannot read" in problem.message
