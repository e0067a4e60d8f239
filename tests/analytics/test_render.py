"""The report as a manager sees it: Block Kit within Slack's limits for a big team, the three
numbers first, time away visible; the same figures in `leadrouter stats` and its CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from bot import stats_render
from bot.cli import app
from routing.loader import parse_config
from slack_standin.blocks import block_errors
from storage import lifecycle
from storage.analytics import Outcomes, PoolFairness, Report, RepShare, Speed
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import LeadState
from tests.analytics.history import claimed
from tests.support.team import TEAM_YAML, team

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def big_team_yaml(reps: int = 30, pools: int = 12) -> str:
    lines = ["timezone: UTC", "hours: always", "reps:"]
    lines += [
        f"  rep{r:02d}: {{slack_id: U{r:04d}, name: Representative Number {r:02d}}}"
        for r in range(reps)
    ]
    lines.append("pools:")
    for p in range(pools):
        members = ", ".join(f"rep{(p * 3 + k) % reps:02d}" for k in range(8))
        lines.append(f"  pool-{p:02d}: {{members: [{members}]}}")
    lines.append("rules:")
    lines += [
        f"  - {{name: Rule {k:02d} for a segment, pool: pool-{k % pools:02d}}}" for k in range(40)
    ]
    lines += ["triage: {channel: C0TRIAGE}", "managers: [U0000]"]
    return "\n".join(lines) + "\n"


def big_report() -> tuple[Report, object]:
    """Every table as full as a 30-rep, 12-pool, 40-rule team makes it."""
    config = parse_config(big_team_yaml(), "big.yml")
    speed = Speed(120, 245.0, 1180.0)
    rules = {rule.name: speed for rule in config.rules}
    pools = {pool: speed for pool in config.pools}
    reps = {rep: speed for rep in config.reps}
    steps = {"remind": 40, "pass": 12, "open_to_pool": 5, "manager": 3, "leadership": 1}
    report = Report(
        since=NOW - timedelta(days=90),
        until=NOW,
        pool=None,
        received=170_778,
        routed=160_000,
        nurture=7_000,
        triage=3_778,
        unclaimed_now=412,
        claim=speed,
        contact=speed,
        within_sla=0.9486,
        claim_by_rule=rules,
        claim_by_pool=pools,
        claim_by_rep=reps,
        contact_by_rule=rules,
        contact_by_pool=pools,
        contact_by_rep=reps,
        fairness=[
            PoolFairness(
                pool_id,
                "round_robin",
                [
                    RepShare(m, 100, 1 / 8, 1 / 8, 0.5 if i == 0 else 1.0)
                    for i, m in enumerate(p.members)
                ],
                1.0,
            )
            for pool_id, p in config.pools.items()
        ],
        escalations=steps,
        escalations_by_pool={pool: steps for pool in config.pools},
        escalations_by_rep={rep: steps for rep in config.reps},
        outcomes=Outcomes(100, 20, 50, 30),
        outcomes_by_rule={name: Outcomes(10, 2, 5, 3) for name in rules},
        outcomes_by_pool={pool: Outcomes(10, 2, 5, 3) for pool in pools},
    )
    return report, config


def test_a_big_team_fits_slacks_block_kit_limits_with_the_headline_first():
    report, config = big_report()

    blocks = stats_render.blocks(report, config, "90d")

    assert block_errors(blocks, limit=50) == []
    assert len(blocks) <= 50
    assert all(
        len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section" and "text" in b
    )
    assert blocks[0]["text"]["text"] == "Routing stats · 90d"
    assert [f["text"] for f in blocks[1]["fields"]] == [
        "*Median time to claim*\n4m 05s",
        "*Claimed within SLA*\n95%",
        "*Unclaimed right now*\n412",
    ]
    text = str(blocks)
    assert "Fairness · pool-11" in text, "every pool's fairness is shown"
    assert "… 5 more: leadrouter stats --csv" in text, "30 reps: 25 shown, the rest pointed to"


def test_fairness_draws_bars_against_the_intended_share_and_shows_time_away():
    config = team()
    fair = PoolFairness(
        "sales",
        "round_robin",
        [
            RepShare("ana", 6, 0.5, 0.25, 1.0),
            RepShare("dev", 0, 0.0, 0.125, 0.5),
        ],
        float("inf"),
    )
    report = Report(since=NOW - timedelta(days=7), until=NOW, pool=None, fairness=[fair])

    tables = {
        title: (header, rows) for title, header, rows in stats_render.sections(report, config)
    }

    header, rows = tables["Fairness · sales (round_robin, 6 offers) · largest/smallest ∞"]
    assert header == ["rep", "", "share", "meant", "offers", "ratio", "away"]
    assert rows[0] == ["Ana", "██████████", "50%", "25%", "6", "2.00", ""]
    assert rows[1] == ["Dev", "░░░░░░░░░░", "0%", "12%", "0", "0.00", "50%"]


def test_leadrouter_stats_prints_the_tables_and_writes_the_same_figures_as_csv(tmp_path):
    url = f"sqlite:///{tmp_path / 'leadrouter.db'}"
    engine = make_engine(url)
    upgrade(engine)
    config_file = tmp_path / "routing.yml"
    config_file.write_text(TEAM_YAML, encoding="utf-8")
    config = team()
    arrived = datetime.now(UTC) - timedelta(hours=2)  # the command reads the real clock
    claimed(engine, config, arrived, 180, 600)
    lead_id, owner = claimed(engine, config, arrived + timedelta(minutes=10), 60)
    lifecycle.set_outcome(
        engine, config, lead_id, owner, LeadState.won, arrived + timedelta(hours=1)
    )
    engine.dispose()
    out = tmp_path / "stats.csv"

    result = CliRunner().invoke(
        app,
        ["stats", "--since", "7d", "--config", str(config_file), "--csv", str(out)],
        env={"DATABASE_URL": url},
    )

    assert result.exit_code == 0, result.output
    assert "Median time to claim: 2m 00s  Claimed within SLA: 100%" in result.output
    assert "Time to claim by rep" in result.output
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert ["Headline", "Median time to claim", "2m 00s"] in rows
    assert ["Speed to lead (from arrival)", "Time to claim", "2", "2m 00s", "2m 48s"] in rows
    assert ["Time to claim by rep", "Ana", "1", "3m 00s", "3m 00s"] in rows
    assert ["Outcomes", "All", "2", "1", "0", "0", "100%"] in rows
    assert ["section", "rep", "share", "meant", "offers", "ratio", "away"] in rows, "no bars"


def test_leadrouter_stats_for_one_pool_and_an_unknown_pool(tmp_path):
    url = f"sqlite:///{tmp_path / 'leadrouter.db'}"
    upgrade(make_engine(url))
    config_file = tmp_path / "routing.yml"
    config_file.write_text(TEAM_YAML, encoding="utf-8")
    runner = CliRunner()

    ok = runner.invoke(
        app,
        ["stats", "--pool", "overflow", "--config", str(config_file)],
        env={"DATABASE_URL": url},
    )
    unknown = runner.invoke(
        app, ["stats", "--pool", "nowhere", "--config", str(config_file)], env={"DATABASE_URL": url}
    )

    assert ok.exit_code == 0, ok.output
    assert "pool overflow" in ok.output and "Median time to claim: —" in ok.output
    assert unknown.exit_code != 0 and "unknown pool 'nowhere'" in unknown.output


def test_leadrouter_stats_says_to_upgrade_a_database_without_tables(tmp_path):
    config_file = tmp_path / "routing.yml"
    config_file.write_text(TEAM_YAML, encoding="utf-8")
    empty = tmp_path / "empty.db"
    make_engine(f"sqlite:///{empty}").connect().close()  # the file exists, no tables
    missing = tmp_path / "missing.db"
    runner = CliRunner()

    no_tables = runner.invoke(
        app, ["stats", "--config", str(config_file)], env={"DATABASE_URL": f"sqlite:///{empty}"}
    )
    no_file = runner.invoke(
        app, ["stats", "--config", str(config_file)], env={"DATABASE_URL": f"sqlite:///{missing}"}
    )

    assert no_tables.exit_code == 2
    assert "has no leadrouter tables yet" in no_tables.output
    assert "leadrouter db upgrade" in no_tables.output
    assert "Traceback" not in no_tables.output
    assert no_file.exit_code == 2 and f"no database at {missing}" in no_file.output
    assert not missing.exists(), "asking for stats must not create an empty database"


def _column_starts(line: str) -> list[int]:
    """Where each cell starts, in terminal columns (cells are 2+ spaces apart)."""
    return [
        stats_render.display_width(line[: m.start()]) for m in re.finditer(r"\S+(?: \S+)*", line)
    ]


def test_a_chinese_name_and_a_combining_accent_keep_the_columns_in_line():
    config = team(
        {
            "chloe: {slack_id: U0CHLOE, name: Chloé}": "chloe: {slack_id: U0CHLOE, name: 王秀英}",
            "dev: {slack_id: U0DEV, name: Dev}": "dev: {slack_id: U0DEV, name: Zoe\u0308}",
        }
    )
    speeds = {
        "ana": Speed(3, 100.0, 200.0),
        "chloe": Speed(12, 65.0, 3600.0),
        "dev": Speed(1, 5.0, 5.0),
    }
    report = Report(since=NOW - timedelta(days=7), until=NOW, pool=None, claim_by_rep=speeds)

    text = stats_render.terminal(report, config)

    table = text.split("Time to claim by rep\n")[1].split("\n\n")[0].splitlines()
    assert [line.split("  ")[0] for line in table] == ["rep", "Ana", "王秀英", "Zoe\u0308"]
    assert len({tuple(_column_starts(line)) for line in table}) == 1, "\n".join(table)
    assert _column_starts(table[0]) == [0, 8, 15, 23], "王秀英 is 6 columns wide"
