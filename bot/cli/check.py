"""`leadrouter check`: validate routing.yml and warn about rules that cannot do what they say.

Every line of the report reads `severity: file:line: field: message`, then one summary line.
Exit status: 1 when there is an error (or a warning with --strict), 0 otherwise.
"""

from __future__ import annotations

from pathlib import Path

import typer

from routing import ConfigError
from routing.check import lint, load_for_check


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def check(
    config: Path = typer.Argument(
        Path("routing.yml"), envvar="ROUTING_CONFIG", help="The routing config to check."
    ),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 on warnings too."),
) -> None:
    """Validate the routing config and lint its rules: each finding names file, line and field."""
    try:
        loaded, lines = load_for_check(config)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(f"error: {problem}")
        typer.echo(f"{config}: {_count(len(exc.problems), 'error')}; the config cannot be used")
        raise typer.Exit(1) from None
    findings = lint(loaded, lines)
    for finding in findings:
        where = f"{config}:{finding.line}" if finding.line else str(config)
        typer.echo(f"{finding.severity}: {where}: {finding.field}: {finding.message}")
    errors = sum(f.severity == "error" for f in findings)
    warnings = len(findings) - errors
    typer.echo(
        f"{_count(len(loaded.rules), 'rule')}, {_count(len(loaded.pools), 'pool')}, "
        f"{_count(len(loaded.reps), 'rep')}: "
        f"{_count(errors, 'error')}, {_count(warnings, 'warning')}"
    )
    if errors or (strict and warnings):
        raise typer.Exit(1)
