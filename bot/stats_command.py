"""`leadrouter stats`: the /routing-stats figures in the terminal, or as CSV."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import typer

from bot import stats_render
from bot.runtime import utc_now
from routing import ConfigError, load_config
from storage.analytics import build_report
from storage.db import make_engine


def _since(text: str) -> timedelta:
    match = re.fullmatch(r"(\d+)([dh])", text.strip())
    if not match:
        raise typer.BadParameter("use a number of days or hours, e.g. 30d or 12h")
    amount = int(match[1])
    return timedelta(days=amount) if match[2] == "d" else timedelta(hours=amount)


def stats(
    since: str = typer.Option("30d", help="How far back: 7d, 30d, 90d, 12h ..."),
    pool: str = typer.Option(None, help="Only this pool."),
    csv: Path = typer.Option(None, "--csv", help="Also write every table to this CSV file."),
    config: Path = typer.Option(
        Path("routing.yml"), envvar="ROUTING_CONFIG", help="The routing config."
    ),
    database_url: str = typer.Option(None, envvar="DATABASE_URL", help="Defaults to SQLite."),
) -> None:
    """Speed to lead, fairness, escalations and outcomes, from the stored history."""
    try:
        routing = load_config(config)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from None
    if pool and pool not in routing.pools:
        raise typer.BadParameter(f"unknown pool {pool!r} (known: {', '.join(routing.pools)})")
    now = utc_now()
    report = build_report(make_engine(database_url), routing, now - _since(since), now, pool)
    typer.echo(stats_render.terminal(report, routing))
    if csv:
        csv.write_text(stats_render.csv_text(report, routing), encoding="utf-8")
        typer.echo(f"\nwrote {csv}")
