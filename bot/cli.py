"""The `leadrouter` command."""

from __future__ import annotations

import typer

from bot.check_command import check
from bot.simulate_command import simulate

app = typer.Typer(
    help="leadrouter: route inbound sales leads to the right rep in Slack, and make sure "
    "someone takes each one.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(check)
app.command()(simulate)

if __name__ == "__main__":
    app()
