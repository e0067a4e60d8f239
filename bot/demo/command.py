"""`leadrouter demo`."""

from __future__ import annotations

import logging
import time

import typer


def demo() -> None:
    """Run the whole product against local Slack and HubSpot stand-ins and tell what happened.

    No Slack workspace or CRM is needed; it takes a few seconds."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    from bot.demo.story import run_demo  # the stand-in and server load only when asked

    started = time.monotonic()
    run_demo(typer.echo)
    typer.echo(f"\n(demo finished in {time.monotonic() - started:.1f} s)")
