"""The `leadrouter` command."""

from __future__ import annotations

import typer

from bot.check_command import check
from bot.demo.command import demo
from bot.serve_command import db_app, serve
from bot.simulate_command import simulate
from bot.stats_command import stats

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

if __name__ == "__main__":
    app()
