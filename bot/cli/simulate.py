"""`leadrouter simulate`: replay a CSV of leads through routing.yml before it goes live.

Prints plain-text tables: what each rule decided, how each pool shared its leads, how fair
that was, which leads nobody could take and, with --compare, which leads another config
would give to someone else.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

import typer

import routing.simulate as simulation
from bot.stats_render import text_table
from routing import ConfigError, RoutingConfig, load_config
from routing.durations import format_duration, parse_duration
from routing.leads_csv import LeadsFileError, read_leads_csv
from routing.simulate import Move, SimulatedLead, SimulationReport

CSV_COLUMNS = ("received_at", "email", "company", "rule", "pool", "owner", "outcome", "reason")
BAR_WIDTH = 16


def simulate(
    leads: Path = typer.Argument(
        ..., help="CSV of leads: received_at (ISO 8601 with offset), lead fields, custom.<name>."
    ),
    config: Path = typer.Option(
        Path("routing.yml"), "--config", "-c", envvar="ROUTING_CONFIG", help="Routing config."
    ),
    other: Path | None = typer.Option(
        None, "--compare", help="A second config: list the leads it would route differently."
    ),
    csv_out: Path | None = typer.Option(
        None, "--csv", help="Write one row per lead: " + ", ".join(CSV_COLUMNS) + "."
    ),
    skip_invalid: bool = typer.Option(
        False, "--skip-invalid", help="Replay the valid rows even if some rows are invalid."
    ),
    hold: str = typer.Option(
        "2d", "--hold", help="How long a lead stays open after assignment (for capacity)."
    ),
) -> None:
    """Replay LEADS.csv through the routing rules and show who would have got what."""
    try:
        held_open = parse_duration(hold)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--hold") from None
    if held_open.total_seconds() <= 0:
        raise typer.BadParameter("must be longer than 0s", param_hint="--hold")
    routing = _load(config)
    alternative = _load(other) if other is not None else None
    try:
        leads_file = read_leads_csv(leads)
    except LeadsFileError as exc:
        _fail([f"error: {e}" for e in exc.errors])
    if leads_file.errors:
        lines = ", ".join(map(str, leads_file.bad_lines))
        if not skip_invalid:
            _fail(
                [f"error: {e}" for e in leads_file.errors]
                + [
                    f"{len(leads_file.bad_lines)} invalid row(s) (line {lines}): fix them, "
                    "or pass --skip-invalid to replay the other rows"
                ]
            )
        for error in leads_file.errors:
            typer.echo(f"skipped: {error}", err=True)
    if not leads_file.rows:
        _fail([f"error: {leads}: no leads to replay"])

    report = simulation.simulate(leads_file.leads, routing, hold=held_open)
    out = [_summary(report, leads, config, len(leads_file.bad_lines))]
    out += ["", *_rules_table(report), "", *_reps_table(report), ""]
    out += [*_fairness_table(report, routing), "", *_triage_table(report)]
    if alternative is not None and other is not None:
        other_report = simulation.simulate(leads_file.leads, alternative, hold=held_open)
        moved = simulation.compare(report, other_report)
        out += ["", *_moves_table(moved, len(report.results), other)]
    typer.echo("\n".join(out))
    if csv_out is not None:
        _write_csv(report, csv_out)
        typer.echo(f"\nwrote {len(report.results)} rows to {csv_out}")


def _load(path: Path) -> RoutingConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        _fail([f"error: {problem}" for problem in exc.problems])


def _fail(lines: list[str]) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(1)


def _summary(report: SimulationReport, leads: Path, config: Path, skipped: int) -> str:
    results = report.results
    total = len(results)
    first, last = results[0].received_at, results[-1].received_at
    triage = len(report.triage)
    lines = [
        f"Replayed {total} leads from {leads} through {config}",
        f"  {_when(first)} → {_when(last)} UTC; a lead stays open "
        f"{format_duration(report.hold)} after assignment (for capacity and least_loaded)",
        f"  assigned {report.assigned} · nurture {report.nurture} · "
        f"triage {triage} ({_percent(triage / total)})",
    ]
    if skipped:
        lines.append(f"  skipped {skipped} invalid row(s)")
    return "\n".join(lines)


def _rules_table(report: SimulationReport) -> list[str]:
    total = len(report.results)
    rows = [[r.rule, r.leads, _percent(r.leads / total), r.triage] for r in report.rules]
    return [
        "Rules (the first that matches decides)",
        *_table(["rule", "leads", "share", "triage"], rows, "lrrr"),
    ]


def _reps_table(report: SimulationReport) -> list[str]:
    busiest: dict[str, int] = {}
    for rep in report.reps:
        busiest[rep.via] = max(busiest.get(rep.via, 0), rep.leads)
    rows = []
    for rep in report.reps:
        top = busiest[rep.via]
        bar = "█" * round(BAR_WIDTH * rep.leads / top) if top else ""
        share = _percent(rep.share) if rep.share is not None else "-"
        available = rep.available if rep.available is not None else "-"
        rows.append([rep.via, rep.name, rep.leads, share, available, bar])
    return [
        "Reps (share of the pool's leads; available: how many of them the rep could have "
        "taken; bar: against the pool's busiest)",
        *_table(["pool", "rep", "leads", "share", "available", ""], rows, "llrrrl"),
    ]


def _fairness_table(report: SimulationReport, config: RoutingConfig) -> list[str]:
    def name(rep: str | None) -> str:
        return config.reps[rep].name if rep else "-"

    rows = []
    for pool in report.fairness:
        if pool.ratio is None:
            figure = "-"
        elif pool.ratio == float("inf"):
            figure = "∞"
        else:
            figure = f"{pool.ratio:.2f}"
        strategy = pool.strategy.value
        rows.append(
            [pool.pool, strategy, pool.leads, figure, name(pool.busiest), name(pool.quietest)]
        )
    return [
        "Fairness (largest ÷ smallest share of the pool's leads against each member's due: "
        "their weight in weighted pools × the share of the leads they could take; 1.00 = even; "
        "the same figure as /routing-stats)",
        *_table(["pool", "strategy", "leads", "fairness", "busiest", "quietest"], rows, "llrrll"),
    ]


def _triage_table(report: SimulationReport) -> list[str]:
    triage = report.triage
    if not triage:
        return ["Triage: none, every lead found an owner or went to nurture"]
    rows = [
        [
            _when(r.received_at),
            _clip(r.lead.display_name),
            _clip(r.lead.company),
            r.rule_name,
            _why_not(r),
        ]
        for r in triage
    ]
    return [
        f"Triage: {len(triage)} lead(s) nobody could take",
        *_table(["received (UTC)", "lead", "company", "rule", "why"], rows, "lllll"),
    ]


def _why_not(result: SimulatedLead) -> str:
    """The trace without the rule's name (it has a column) and the final 'triage queue'."""
    steps = list(result.decision.trace)
    if result.decision.rule is not None:
        steps = steps[1:]
    return " → ".join(steps[:-1])


def _moves_table(moves: list[Move], total: int, other: Path) -> list[str]:
    if not moves:
        return [f"Compared with {other}: no lead would move"]
    rows = [
        [
            _when(m.received_at),
            _clip(m.lead.display_name),
            _clip(m.lead.company),
            f"{m.old_owner} → {m.new_owner}",
            m.cause,
            m.new_reason,
        ]
        for m in moves
    ]
    causes = Counter(m.cause for m in moves)
    headers = ["received (UTC)", "lead", "company", "owner", "cause", "new reason"]
    return [
        f"Compared with {other}: {len(moves)} of {total} leads would move "
        f"({causes['rule']} to another rule, {causes['pool']} to another pool of the same "
        f"rule, {causes['knock-on']} knock-on: same rule and pool, but the rotation or "
        "loads shifted)",
        *_table(headers, rows, "llllll"),
    ]


def _write_csv(report: SimulationReport, path: Path) -> None:
    try:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(CSV_COLUMNS)
            writer.writerows(_csv_row(result) for result in report.results)
    except OSError as exc:
        _fail([f"error: cannot write {path}: {exc.strerror}"])


def _csv_row(result: SimulatedLead) -> list[str]:
    decision = result.decision
    return [
        result.received_at.isoformat(),
        result.lead.email or "",
        result.lead.company or "",
        result.rule_name,
        decision.pool_id or "",
        decision.owner.name if decision.owner else "",
        decision.outcome,
        decision.reason,
    ]


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%a %d %b %H:%M")


def _percent(fraction: float) -> str:
    return f"{fraction * 100:.1f}%"


def _clip(text: str | None, limit: int = 28) -> str:
    text = text or "-"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str) -> list[str]:
    """The shared text table (bot.stats_render.text_table), indented two spaces."""
    return ["  " + line for line in text_table(headers, rows, align).split("\n")]
