"""`leadrouter check`: validate routing.yml and warn about rules that cannot do what they say."""

from __future__ import annotations

from pathlib import Path

import typer

from routing import ConfigError, load_config


def check(
    config: Path = typer.Argument(
        Path("routing.yml"), envvar="ROUTING_CONFIG", help="The routing config to check."
    ),
) -> None:
    """Validate the routing config: errors name file, line and field."""
    try:
        load_config(config)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{config}: OK")
