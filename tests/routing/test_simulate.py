"""leadrouter simulate: replaying leads, the report's figures, comparing configs, reading CSV."""

from __future__ import annotations

import csv
import math
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from routing import Lead
from routing.leads_csv import LeadsFileError, parse_leads_csv
from routing.loader import parse_config
from routing.simulate import NO_RULE, VIA_ACCOUNT, compare, simulate

MONDAY = datetime(2025, 3, 3, 10, 0, tzinfo=UTC)

TEAM = """
timezone: UTC
hours: always
reps:
  ana: {name: Ana Silva, slack_id: U0ANA}
  ben: {name: Ben Okoro, slack_id: U0BEN}
  cara: {name: Cara Weiß, slack_id: U0CARA}
"""


def config(extra: str):
    return parse_config(TEAM + extra)


def arrivals(*leads: Lead, start: datetime = MONDAY, every: timedelta = timedelta(minutes=10)):
    return [(start + i * every, lead) for i, lead in enumerate(leads)]


def us(n: int = 1, **fields) -> list[Lead]:
    return [Lead(email=f"buyer{i}@shop{i}.example", country="US", **fields) for i in range(n)]


def owners(report) -> list[str]:
    return [r.owner_key for r in report.results]


def shares(report, pool: str) -> dict[str, tuple[int, float | None]]:
    return {r.rep: (r.leads, r.share) for r in report.reps if r.via == pool}


ROUND_ROBIN = """
pools:
  sales: {members: [ana, ben, cara]}
rules:
  - name: Everyone
    pool: sales
"""


def test_round_robin_rotation_carries_from_lead_to_lead():
    report = simulate(arrivals(*us(7)), config(ROUND_ROBIN))

    assert owners(report) == ["ana", "ben", "cara", "ana", "ben", "cara", "ana"]
    assert shares(report, "sales") == {"ana": (3, 3 / 7), "ben": (2, 2 / 7), "cara": (2, 2 / 7)}
    assert [(r.rule, r.leads, r.triage) for r in report.rules] == [("Everyone", 7, 0)]


def test_fairness_is_busiest_over_quietest():
    report = simulate(arrivals(*us(7)), config(ROUND_ROBIN))

    (sales,) = report.fairness
    assert sales.ratio == pytest.approx(1.5)  # ana 3, ben and cara 2
    assert sales.busiest == "ana"
    assert sales.quietest == "cara"  # ben and cara tie on 2; the later member is named


def test_weighted_pool_fairness_is_per_unit_of_weight():
    cfg = parse_config(
        TEAM.replace("{name: Ana Silva,", "{name: Ana Silva, weight: 2,")
        + """
pools:
  sales: {members: [ana, ben], strategy: weighted}
rules:
  - name: Everyone
    pool: sales
"""
    )
    report = simulate(arrivals(*us(6)), cfg)

    assert owners(report) == ["ana", "ben", "ana", "ana", "ben", "ana"]
    assert report.fairness[0].ratio == pytest.approx(1.0)  # 4 leads / weight 2 = 2 / weight 1


def test_a_member_who_could_take_leads_but_got_none_makes_fairness_infinite():
    cfg = config(
        "pools:\n  sales: {members: [ana, ben], strategy: least_loaded}\n"
        "rules:\n  - {name: Everyone, pool: sales}\n"
    )
    # ben starts with 5 open leads, so least_loaded keeps choosing ana, who has fewer
    report = simulate(arrivals(*us(4)), cfg, initial_open={"ben": 5})

    assert owners(report) == ["ana"] * 4
    assert {r.rep: r.available for r in report.reps} == {"ana": 4, "ben": 4}
    assert math.isinf(report.fairness[0].ratio)
    assert report.fairness[0].quietest == "ben"


def test_members_who_could_take_none_of_the_pools_leads_are_left_out_of_fairness():
    cfg = parse_config(
        TEAM.replace("{name: Ben Okoro,", "{name: Ben Okoro, capacity: 0,")
        + "pools:\n  sales: {members: [ana, ben]}\nrules:\n  - {name: Everyone, pool: sales}\n"
    )
    report = simulate(arrivals(*us(4)), cfg)

    assert owners(report) == ["ana"] * 4
    assert {r.rep: r.available for r in report.reps} == {"ana": 4, "ben": 0}
    assert report.fairness[0].ratio == pytest.approx(1.0)


CAPACITY = """
pools:
  sales: {members: [ana, ben]}
rules:
  - name: Everyone
    pool: sales
"""


def capped_ana():
    return parse_config(
        TEAM.replace("{name: Ana Silva,", "{name: Ana Silva, capacity: 1,") + CAPACITY
    )


def test_leads_stay_open_for_the_hold_period_and_count_against_capacity():
    leads = arrivals(*us(3), every=timedelta(hours=1))

    held = simulate(leads, capped_ana(), hold=timedelta(days=2))
    assert owners(held) == ["ana", "ben", "ben"]  # ana still holds lead 1 at lead 3
    assert "Ana Silva at capacity 1/1" in held.results[2].decision.reason
    assert shares(held, "sales")["ana"] == (1, 1 / 3)
    assert {r.rep: r.available for r in held.reps} == {"ana": 1, "ben": 3}  # full at 2 and 3

    closed = simulate(leads, capped_ana(), hold=timedelta(minutes=30))
    assert owners(closed) == ["ana", "ben", "ana"]  # lead 1 closed before lead 3 arrived


def test_initial_open_leads_fill_capacity_until_they_close():
    leads = arrivals(*us(3), every=timedelta(days=1))
    report = simulate(leads, capped_ana(), initial_open={"ana": 1}, hold=timedelta(hours=30))

    # ana's old lead closes 30h after the first lead: day 0 and day 1 go to ben
    assert owners(report) == ["ben", "ben", "ana"]


def test_initial_open_must_name_known_reps():
    with pytest.raises(ValueError, match="zed"):
        simulate(arrivals(*us(1)), capped_ana(), initial_open={"zed": 1})


def test_working_hours_and_time_off_come_from_the_config_at_each_leads_time():
    cfg = parse_config(
        TEAM.replace(
            "{name: Ana Silva,", "{name: Ana Silva, hours: {mon-fri: '09:00-17:00'},"
        ).replace(
            "{name: Ben Okoro,",
            "{name: Ben Okoro, time_off: [{start: 2025-03-03, end: 2025-03-03}],",
        )
        + CAPACITY
    )
    monday_evening = MONDAY.replace(hour=20)
    tuesday_morning = MONDAY + timedelta(days=1)
    report = simulate([(monday_evening, us()[0]), (tuesday_morning, us()[0])], cfg)

    assert owners(report) == ["triage", "ana"]
    (stuck,) = report.triage
    assert "Ana Silva off hours (Mon 20:00 UTC)" in stuck.decision.reason
    assert "Ben Okoro time off until Mar 03" in stuck.decision.reason
    assert report.rules[0].triage == 1


def test_nurture_and_unmatched_leads_are_counted():
    cfg = config(
        """
pools:
  sales: {members: [ana]}
fallback: sales
rules:
  - name: Tiny
    when: {employees: {lt: 10}}
    nurture: true
  - name: Germany
    when: {country: DE}
    pool: sales
"""
    )
    leads = [Lead(employees="1-5"), Lead(employees=3), Lead(country="US"), Lead(country="DE")]
    report = simulate(arrivals(*leads), cfg)

    assert report.nurture == 2
    assert report.assigned == 2
    assert [(r.rule, r.leads) for r in report.rules] == [("Tiny", 2), ("Germany", 1), (NO_RULE, 1)]


def test_named_account_leads_are_listed_outside_pools():
    cfg = config(ROUND_ROBIN + "accounts:\n  globex.example: cara\n")
    leads = [Lead(email="hank@globex.example"), *us(2)]
    report = simulate(arrivals(*leads), cfg)

    assert owners(report) == ["cara", "ana", "ben"]
    assert (VIA_ACCOUNT, "cara", 1, None) in [(r.via, r.rep, r.leads, r.share) for r in report.reps]
    assert shares(report, "sales")["cara"] == (0, 0.0)


def test_leads_are_replayed_in_time_order_whatever_the_input_order():
    late, early = us(2)
    report = simulate([(MONDAY + timedelta(hours=1), late), (MONDAY, early)], config(ROUND_ROBIN))

    assert [r.lead for r in report.results] == [early, late]
    assert [r.index for r in report.results] == [1, 0]
    assert owners(report) == ["ana", "ben"]


def test_naive_timestamps_are_refused():
    with pytest.raises(ValueError, match="no UTC offset"):
        simulate([(datetime(2025, 3, 3, 10), us()[0])], config(ROUND_ROBIN))


GERMANY_TO_CARA = """
pools:
  sales: {members: [ana, ben]}
  dach: {members: [cara]}
rules:
  - name: DACH
    when: {country: [DE, AT, CH]}
    pool: dach
  - name: Everyone
    pool: sales
"""


def test_compare_lists_exactly_the_leads_that_move():
    before = config(
        "pools:\n  sales: {members: [ana, ben]}\nrules:\n  - {name: Everyone, pool: sales}\n"
    )
    after = config(GERMANY_TO_CARA)
    leads = arrivals(
        Lead(email="a@one.example", country="US"),
        Lead(email="b@two.example", country="Deutschland"),
        Lead(email="c@three.example", country="US"),
        Lead(email="d@four.example", country="US"),
    )
    # before: ana, ben, ana, ben. after: ana, cara (DACH), ben, ana: the rotation shifts too
    moves = compare(simulate(leads, before), simulate(leads, after))

    assert [(m.lead.email, m.old_owner, m.new_owner, m.cause) for m in moves] == [
        ("b@two.example", "Ben Okoro", "Cara Weiß", "rule"),
        ("c@three.example", "Ana Silva", "Ben Okoro", "knock-on"),
        ("d@four.example", "Ben Okoro", "Ana Silva", "knock-on"),
    ]
    assert moves[0].new_reason == "DACH → pool dach → round robin: Cara Weiß was next"


def test_compare_says_when_the_same_rule_now_lands_in_its_fallback_pool():
    pools = "pools:\n  sales: {members: [ana], fallback: overflow}\n  overflow: {members: [ben]}\n"
    rules = "rules:\n  - {name: Everyone, pool: sales}\n"
    before = config(pools + rules)
    after = parse_config(
        TEAM.replace("{name: Ana Silva,", "{name: Ana Silva, capacity: 0,") + pools + rules
    )
    (move,) = compare(simulate(arrivals(*us(1)), before), simulate(arrivals(*us(1)), after))

    assert (move.old_owner, move.new_owner, move.cause) == ("Ana Silva", "Ben Okoro", "pool")


def test_compare_of_identical_configs_moves_nothing():
    leads = arrivals(*us(5))
    assert compare(simulate(leads, config(ROUND_ROBIN)), simulate(leads, config(ROUND_ROBIN))) == []


def test_compare_refuses_reports_over_different_leads():
    cfg = config(ROUND_ROBIN)
    with pytest.raises(ValueError, match="different leads"):
        compare(simulate(arrivals(*us(2)), cfg), simulate(arrivals(*us(3)), cfg))


# --- CSV -------------------------------------------------------------------------------------

GOOD_CSV = (
    "received_at,name,email,country,employees,custom.partner_id,custom.utm.campaign\n"
    '2025-03-03T09:00:00-05:00,Jo Park,jo@acme.example,USA,"1,000+",P-1,spring\n'
    "2025-03-03T15:00:00Z,Lea Roth,lea@hanse.example,Deutschland,51-200,,\n"
)


def test_csv_rows_become_leads_with_normalised_fields_and_custom_values():
    leads = parse_leads_csv("\ufeff" + GOOD_CSV).leads

    (first_at, first), (second_at, second) = leads
    assert first_at == datetime(2025, 3, 3, 14, 0, tzinfo=UTC)
    assert (first.country, first.employees) == ("US", 1000)
    assert first.custom == {"partner_id": "P-1", "utm": {"campaign": "spring"}}
    assert second_at == datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
    assert (second.country, second.custom) == ("DE", {})


def test_csv_errors_name_the_line_and_field_and_keep_the_good_rows():
    text = (
        "received_at,name,email,employees,message\n"
        "2025-03-03T09:00:00Z,Ok One,one@a.example,5,\n"
        '2025-03-03T09:05:00Z,Multi Line,two@a.example,5,"first line\nsecond line"\n'
        "2025-03-03T09:10:00Z,Bad Size,three@a.example,lots,\n"
        "2025-03-03 09:15,No Offset,four@a.example,5,\n"
        ",No Time,not-an-email,5,\n"
    )
    result = parse_leads_csv(text, "leads.csv")

    assert [row.line for row in result.rows] == [2, 3]
    assert [str(e) for e in result.errors] == [
        "leads.csv:5: employees: cannot read employees 'lots' (try 250, '500-1000' or '1,000+')",
        "leads.csv:6: received_at: '2025-03-03 09:15' has no UTC offset "
        "(e.g. 2025-03-03T09:15:00-05:00 or ...Z)",
        "leads.csv:7: received_at: missing (e.g. 2025-03-03T09:15:00-05:00)",
        "leads.csv:7: email: 'not-an-email' is not an email address",
    ]
    assert result.bad_lines == [5, 6, 7]


def test_csv_header_must_name_known_columns_and_the_arrival_time():
    with pytest.raises(LeadsFileError) as caught:
        parse_leads_csv("email,favourite_colour\nx@y.example,blue\n", "leads.csv")

    messages = [str(e) for e in caught.value.errors]
    assert messages[0].startswith("leads.csv:1: favourite_colour: unknown column")
    assert messages[1] == "leads.csv:1: received_at: missing column: when each lead arrived"


def test_csv_row_with_more_values_than_columns_is_an_error():
    result = parse_leads_csv("received_at,email\n2025-03-03T09:00:00Z,a@b.example,extra\n", "l.csv")
    assert [str(e) for e in result.errors] == [
        "l.csv:2: 1 more value(s) than the header has columns"
    ]


# --- the command ---------------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "routing.yml").write_text(TEAM + GERMANY_TO_CARA.replace("[DE, AT, CH]", "[AT]"))
    (tmp_path / "dach.yml").write_text(TEAM + GERMANY_TO_CARA)
    (tmp_path / "leads.csv").write_text(GOOD_CSV)
    return tmp_path


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(app, ["simulate", *args], env=env)


def table_row(output: str, *cells: str) -> bool:
    """Some table line holds exactly these cells, in order (columns are 2+ spaces apart)."""
    return any(re.split(r"\s{2,}", line.strip()) == list(cells) for line in output.splitlines())


def test_cli_prints_rules_reps_fairness_and_triage(files: Path):
    result = run(str(files / "leads.csv"), "--config", str(files / "routing.yml"))

    assert result.exit_code == 0, result.output
    assert "Replayed 2 leads" in result.output
    assert "assigned 2 · nurture 0 · triage 0 (0.0%)" in result.output
    assert table_row(result.output, "Everyone", "2", "100.0%", "0")
    assert table_row(result.output, "sales", "Ana Silva", "1", "50.0%", "2", "█" * 16)
    assert table_row(result.output, "sales", "round_robin", "2", "1.00", "Ana Silva", "Ben Okoro")
    assert "Triage: none" in result.output


def test_cli_reads_the_config_from_routing_config_env(files: Path):
    result = run(str(files / "leads.csv"), env={"ROUTING_CONFIG": str(files / "dach.yml")})

    assert result.exit_code == 0, result.output
    assert table_row(result.output, "DACH", "1", "50.0%", "0")


def test_cli_compare_lists_moved_leads(files: Path):
    result = run(
        str(files / "leads.csv"),
        "--config",
        str(files / "routing.yml"),
        "--compare",
        str(files / "dach.yml"),
    )

    assert result.exit_code == 0, result.output
    assert "1 of 2 leads would move (1 to another rule, 0 to another pool" in result.output
    moved = [line for line in result.output.splitlines() if "Ben Okoro → Cara Weiß" in line]
    assert len(moved) == 1
    assert "Lea Roth" in moved[0]
    assert "DACH → pool dach → round robin: Cara Weiß was next" in moved[0]


def test_cli_writes_one_csv_row_per_lead(files: Path):
    out = files / "out.csv"
    result = run(str(files / "leads.csv"), "-c", str(files / "dach.yml"), "--csv", str(out))

    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "received_at",
        "email",
        "company",
        "rule",
        "pool",
        "owner",
        "outcome",
        "reason",
    ]
    assert [(r["email"], r["rule"], r["pool"], r["owner"], r["outcome"]) for r in rows] == [
        ("jo@acme.example", "Everyone", "sales", "Ana Silva", "assigned"),
        ("lea@hanse.example", "DACH", "dach", "Cara Weiß", "assigned"),
    ]


def test_cli_stops_on_invalid_rows_unless_told_to_skip_them(files: Path):
    leads = files / "leads.csv"
    leads.write_text(GOOD_CSV + "2025-03-04T09:00:00Z,Bad Row,bad@x.example,Atlantis,5,,\n")

    stopped = run(str(leads), "--config", str(files / "routing.yml"))
    assert stopped.exit_code == 1
    assert f"error: {leads}:4: country: unknown country 'Atlantis'" in stopped.stderr
    assert "--skip-invalid" in stopped.stderr
    assert "Replayed" not in stopped.stdout

    skipped = run(str(leads), "--config", str(files / "routing.yml"), "--skip-invalid")
    assert skipped.exit_code == 0, skipped.output
    assert f"skipped: {leads}:4: country" in skipped.stderr
    assert "Replayed 2 leads" in skipped.stdout
    assert "skipped 1 invalid row(s)" in skipped.stdout


def test_cli_reports_config_errors_with_their_line(files: Path):
    broken = files / "broken.yml"
    broken.write_text(TEAM + "pools:\n  sales: {members: [ana, zed]}\n")

    result = run(str(files / "leads.csv"), "--config", str(broken))

    assert result.exit_code == 1
    assert f"error: {broken}:9: pools.sales.members.1: unknown rep 'zed'" in result.stderr
