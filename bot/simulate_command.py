"""`leadrouter simulate`: replay leads through the rules before they go live."""

from __future__ import annotations

from pathlib import Path

import typer


def simulate(
    leads: Path = typer.Argument(..., help="CSV of leads, one per row."),
) -> None:
    """Replay LEADS.csv through the routing rules (not yet built)."""
    raise typer.Exit(2)
