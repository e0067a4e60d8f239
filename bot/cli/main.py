"""The `leadrouter` command."""

from __future__ import annotations

import typer

from bot.cli.check import check
from bot.cli.outbox import outbox_app
from bot.cli.serve import db_app, serve
from bot.cli.simulate import simulate
from bot.cli.stats import stats
from bot.demo.command import demo

app = typer.Typer(
    help="leadrouter: route inbound sales leads to the right rep in Slack, and make sure "
    "someone takes each one.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(serve)
app.command()(demo)
app.command()(check)
app.command()(simulate)
app.command()(stats)
app.add_typer(db_app, name="db")
app.add_typer(outbox_app, name="outbox")

if __name__ == "__main__":
    app()
