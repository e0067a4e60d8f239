"""`leadrouter stats`: the /routing-stats figures in the terminal, or as CSV."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import NoReturn

import typer
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot import stats_render
from bot.runtime import utc_now
from routing import ConfigError, load_config
from storage.analytics import build_report
from storage.db import database_url as resolve_url
from storage.db import make_engine
from storage.migrate import current_revision, head_revision

NO_SCHEMA = "run `leadrouter db upgrade` (or start `leadrouter serve`) first"


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
    start = _since(since)
    engine = _open(database_url)
    now = utc_now()
    report = build_report(engine, routing, now - start, now, pool)
    typer.echo(stats_render.terminal(report, routing))
    if csv:
        csv.write_text(stats_render.csv_text(report, routing), encoding="utf-8")
        typer.echo(f"\nwrote {csv}")


def _open(url: str | None) -> Engine:
    """The engine, once we know the database has leadrouter's tables: never a traceback, and
    never a new empty SQLite file as a side effect of asking for stats."""
    url = resolve_url(url)
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    local = parsed.database not in (None, "", ":memory:")
    if parsed.get_backend_name() == "sqlite" and local and not Path(parsed.database).exists():
        _fail(f"no database at {parsed.database}: {NO_SCHEMA}")
    engine = make_engine(url)
    try:
        revision = current_revision(engine)
    except SQLAlchemyError as exc:
        _fail(f"cannot read the database {shown}: {getattr(exc, 'orig', None) or exc}")
    if revision is None:
        _fail(f"the database {shown} has no leadrouter tables yet: {NO_SCHEMA}")
    if revision != head_revision():
        typer.echo(
            f"warning: the database is at schema {revision}, this version expects "
            f"{head_revision()}: run `leadrouter db upgrade`",
            err=True,
        )
    return engine


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
