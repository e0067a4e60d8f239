"""The analytics report, drawn for Slack (Block Kit) and for the terminal (plain tables)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from bot.slack.cards import escape, lead_title, span
from routing import RoutingConfig
from storage.analytics import Outcomes, Report, Speed

BAR_WIDTH = 12


def seconds(value: float | None) -> str:
    return "—" if value is None else span(timedelta(seconds=value))


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = max(0, min(width, round(fraction * width)))
    return "█" * filled + "░" * (width - filled)


def headline(report: Report) -> list[tuple[str, str]]:
    """The three numbers that matter most, first on a phone."""
    return [
        ("Median time to claim", seconds(report.claim.median)),
        ("Claimed within SLA", percent(report.within_sla)),
        ("Unclaimed right now", str(report.unclaimed_now)),
    ]


def _name(config: RoutingConfig, rep_id: str) -> str:
    rep = config.reps.get(rep_id)
    return rep.name if rep else rep_id


def _speed_rows(speeds: dict[str, Speed], label: Callable[[str], str]) -> list[list[str]]:
    return [
        [label(key), str(s.count), seconds(s.median), seconds(s.p90)] for key, s in speeds.items()
    ]


def _outcome_rows(outcomes: dict[str, Outcomes]) -> list[list[str]]:
    return [
        [key, str(o.contacted), str(o.won), str(o.lost), str(o.disqualified), percent(o.win_rate)]
        for key, o in outcomes.items()
    ]


def sections(report: Report, config: RoutingConfig) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) for every table in the report, in reading order."""
    name = lambda rep: _name(config, rep)  # noqa: E731
    tables: list[tuple[str, list[str], list[list[str]]]] = [
        (
            "Volume",
            ["", "leads"],
            [
                ["Received", str(report.received)],
                ["Routed", str(report.routed)],
                ["Nurture", str(report.nurture)],
                ["Triage", str(report.triage)],
                ["Unclaimed now", str(report.unclaimed_now)],
            ],
        ),
        (
            "Speed to lead",
            ["", "leads", "median", "p90"],
            [
                [
                    "Time to claim",
                    str(report.claim.count),
                    seconds(report.claim.median),
                    seconds(report.claim.p90),
                ],
                [
                    "Time to first contact",
                    str(report.contact.count),
                    seconds(report.contact.median),
                    seconds(report.contact.p90),
                ],
            ],
        ),
        (
            "Time to claim by rule",
            ["rule", "leads", "median", "p90"],
            _speed_rows(report.claim_by_rule, str),
        ),
        (
            "Time to claim by pool",
            ["pool", "leads", "median", "p90"],
            _speed_rows(report.claim_by_pool, str),
        ),
        (
            "Time to claim by rep",
            ["rep", "leads", "median", "p90"],
            _speed_rows(report.claim_by_rep, name),
        ),
    ]
    for pool in report.fairness:
        figure = (
            "—"
            if pool.figure is None
            else ("∞" if pool.figure == float("inf") else f"{pool.figure:.2f}")
        )
        rows = [
            [
                name(s.rep),
                str(s.offers),
                percent(s.share),
                percent(s.intended),
                bar(s.share),
                "" if s.available >= 0.999 else f"away {1 - s.available:.0%}",
            ]
            for s in pool.reps
        ]
        tables.append(
            (
                f"Fairness: {pool.pool} ({pool.strategy}; largest/smallest {figure})",
                ["rep", "offers", "share", "intended", "", "time away"],
                rows,
            )
        )
    if report.escalations:
        tables.append(
            (
                "Escalations",
                ["step", "leads"],
                [[step, str(n)] for step, n in sorted(report.escalations.items())],
            )
        )
        tables.append(
            (
                "Escalations by rep",
                ["rep", "steps"],
                [
                    [name(rep), ", ".join(f"{k} {v}" for k, v in sorted(steps.items()))]
                    for rep, steps in sorted(report.escalations_by_rep.items())
                ],
            )
        )
    o = report.outcomes
    tables.append(
        (
            "Outcomes",
            ["", "contacted", "won", "lost", "disqualified", "win rate"],
            [
                [
                    "All",
                    str(o.contacted),
                    str(o.won),
                    str(o.lost),
                    str(o.disqualified),
                    percent(o.win_rate),
                ]
            ],
        )
    )
    tables.append(
        (
            "Outcomes by rule",
            ["rule", "contacted", "won", "lost", "disq.", "win rate"],
            _outcome_rows(report.outcomes_by_rule),
        )
    )
    tables.append(
        (
            "Outcomes by pool",
            ["pool", "contacted", "won", "lost", "disq.", "win rate"],
            _outcome_rows(report.outcomes_by_pool),
        )
    )
    return [t for t in tables if t[2]]


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=False)]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=False)).rstrip()]
    lines += [
        "  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def terminal(report: Report, config: RoutingConfig) -> str:
    scope = f" · pool {report.pool}" if report.pool else ""
    parts = [
        f"Routing stats {report.since:%Y-%m-%d %H:%M} → {report.until:%Y-%m-%d %H:%M} UTC{scope}",
        "  ".join(f"{label}: {value}" for label, value in headline(report)),
    ]
    for title, header, rows in sections(report, config):
        parts.append(f"\n{title}\n{text_table(header, rows)}")
    return "\n".join(parts)


def csv_text(report: Report, config: RoutingConfig) -> str:
    """Every table as rows of section,<columns>: one file a spreadsheet opens."""
    out = io.StringIO()
    writer = csv.writer(out)
    for title, header, rows in sections(report, config):
        writer.writerow(["section", *header])
        for row in rows:
            writer.writerow([title, *row])
    return out.getvalue()


def blocks(
    report: Report, config: RoutingConfig, period: str, links: dict[int, str] | None = None
) -> list[dict[str, Any]]:
    """Ephemeral Block Kit: headline first (readable on a phone), details after."""
    scope = f" · {report.pool}" if report.pool else ""
    out: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"Routing stats · {period}{scope}"},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{label}*\n{value}"}
                for label, value in headline(report)
            ],
        },
    ]
    if report.oldest_unclaimed:
        lines = []
        for lead in report.oldest_unclaimed:
            title = escape(lead_title(lead, 80))
            link = (links or {}).get(lead.id or 0)
            lines.append(f"• <{link}|{title}>" if link else f"• {title}")
        out.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "*Oldest unclaimed*\n" + "\n".join(lines)},
            }
        )
    for title, header, rows in sections(report, config):
        body = text_table(header, rows[:25])
        if len(rows) > 25:
            body += f"\n… {len(rows) - 25} more (leadrouter stats --csv)"
        out.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"*{escape(title)}*\n```{body[:2800]}```"},
            }
        )
        if len(out) >= 48:
            break
    return out
