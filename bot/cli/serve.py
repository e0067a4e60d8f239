"""`leadrouter serve` and `leadrouter db upgrade`."""

from __future__ import annotations

import gc
import logging

import typer
import uvicorn

from bot.runtime import build_runtime
from bot.server import assemble
from bot.settings import Settings
from routing import ConfigError
from storage.db import make_engine
from storage.migrate import current_revision, head_revision, upgrade

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on (0.0.0.0 for all)."),
    port: int = typer.Option(8000, help="Port for webhooks, Slack and /metrics."),
    scheduler: bool = typer.Option(
        True,
        help="Run escalations, outbox delivery and away expiry here (--no-scheduler for "
        "replicas that only serve HTTP).",
    ),
    migrate: bool = typer.Option(True, help="Upgrade the database schema on start."),
) -> None:
    """Serve the webhooks, Slack's requests, /healthz and /metrics."""
    settings = Settings()
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        runtime = build_runtime(settings, migrate=migrate)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from None
    try:
        server = assemble(runtime, scheduler=scheduler)
    except ValueError as exc:  # a CRM configured without its credentials, say
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    # What start-up built (config, app, libraries) lives as long as the process: park it
    # outside the collector's reach, so a full collection mid-burst scans only what requests
    # made (it was a 140 ms pause of every request during a 500-click burst).
    gc.collect()
    gc.freeze()
    typer.echo(
        f"leadrouter on http://{host}:{port} — {_count(len(runtime.config.rules), 'rule')}, "
        f"{_count(len(runtime.config.reps), 'rep')}, "
        f"database {runtime.engine.url.render_as_string()}"
    )
    try:
        uvicorn.run(server.app, host=host, port=port, log_level=settings.log_level.lower())
    finally:
        server.close()


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@db_app.command("upgrade")
def db_upgrade(
    database_url: str = typer.Option(None, envvar="DATABASE_URL", help="Defaults to SQLite."),
) -> None:
    """Bring the database schema up to date (safe to run on every deploy)."""
    engine = make_engine(database_url)
    before = current_revision(engine)
    upgrade(engine)
    after = current_revision(engine)
    if before == after:
        typer.echo(f"database already at {after} (head {head_revision()})")
    else:
        typer.echo(f"database upgraded from {before or 'empty'} to {after}")
