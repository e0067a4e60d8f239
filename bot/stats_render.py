"""The analytics report, drawn for Slack (Block Kit) and for the terminal (plain tables).

Both draw the same tables from `sections()`, so /routing-stats, `leadrouter stats` and its CSV
always agree. Slack gets the three numbers that matter most first (readable on a phone), then
one section per table, kept inside Block Kit's limits however big the team is.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from bot.slack.cards import lead_title
from bot.slack.mrkdwn import escape, fit
from routing import RoutingConfig
from routing.durations import format_elapsed
from storage.analytics import STEPS, Outcomes, PoolFairness, Report, Speed

BAR_WIDTH = 10
DASH = "—"
MAX_BLOCKS = 50  # Slack's limit for a message
SECTION_TEXT = 3000  # Slack's limit for a section's text
SLACK_ROWS = 25  # rows per table in Slack; the rest are in `leadrouter stats --csv`

Table = tuple[str, list[str], list[list[str]]]


def seconds(value: float | None) -> str:
    return DASH if value is None else format_elapsed(timedelta(seconds=value))


def percent(value: float | None) -> str:
    return DASH if value is None else f"{value:.0%}"


def ratio(value: float | None) -> str:
    if value is None:
        return DASH
    return "∞" if value == float("inf") else f"{value:.2f}"


def bar(fraction: float, scale: float = 1.0, width: int = BAR_WIDTH) -> str:
    """A text bar of `fraction`, full at `scale` (the largest value it is drawn next to)."""
    filled = max(0, min(width, round(fraction / scale * width))) if scale > 0 else 0
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


def _outcome_row(label: str, o: Outcomes) -> list[str]:
    counts = [o.contacted, o.won, o.lost, o.disqualified]
    return [label, *map(str, counts), percent(o.win_rate)]


def _fairness_table(pool: PoolFairness, name: Callable[[str], str], compact: bool) -> Table:
    scale = max(max(s.share, s.intended) for s in pool.reps) if pool.reps else 1.0
    header = ["rep", "", "share", "meant"] + ([] if compact else ["offers", "ratio"]) + ["away"]
    rows = []
    for s in pool.reps:
        away = "" if s.available >= 0.995 else f"{1 - s.available:.0%}"
        extra = [] if compact else [str(s.offers), ratio(s.ratio)]
        rows.append(
            [name(s.rep), bar(s.share, scale), percent(s.share), percent(s.intended), *extra, away]
        )
    title = (
        f"Fairness · {pool.pool} ({pool.strategy}, {pool.offers} offers) · "
        f"largest/smallest {ratio(pool.figure)}"
    )
    return title, header, rows


def _steps_table(
    title: str, label: str, groups: dict[str, dict[str, int]], name: Callable[[str], str]
) -> Table:
    seen = {step for counts in groups.values() for step in counts}
    steps = [s for s in STEPS if s in seen] + sorted(seen - set(STEPS))
    rows = [[name(key)] + [str(counts.get(s, 0)) for s in steps] for key, counts in groups.items()]
    return title, [label, *steps], rows


def sections(report: Report, config: RoutingConfig, *, compact: bool = False) -> list[Table]:
    """(title, header, rows) for every table in the report, in reading order. `compact` drops
    the columns a phone can do without (Slack); the terminal and CSV get them all."""
    name = lambda rep: _name(config, rep)  # noqa: E731
    same = lambda key: key  # noqa: E731
    tables: list[Table] = [
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
            "Speed to lead (from arrival)",
            ["", "leads", "median", "p90"],
            [
                ["Time to claim", *_speed_rows({"": report.claim}, same)[0][1:]],
                ["First contact", *_speed_rows({"": report.contact}, same)[0][1:]],
            ],
        ),
        ("Time to claim by rule", ["rule", "leads", "median", "p90"], []),
        ("Time to claim by pool", ["pool", "leads", "median", "p90"], []),
        ("Time to claim by rep", ["rep", "leads", "median", "p90"], []),
        ("Time to first contact by rule", ["rule", "leads", "median", "p90"], []),
        ("Time to first contact by pool", ["pool", "leads", "median", "p90"], []),
        ("Time to first contact by rep", ["rep", "leads", "median", "p90"], []),
    ]
    speeds = [
        (report.claim_by_rule, same),
        (report.claim_by_pool, same),
        (report.claim_by_rep, name),
        (report.contact_by_rule, same),
        (report.contact_by_pool, same),
        (report.contact_by_rep, name),
    ]
    for i, (groups, label) in enumerate(speeds, start=2):
        title, header, _ = tables[i]
        tables[i] = (title, header, _speed_rows(groups, label))
    tables += [_fairness_table(pool, name, compact) for pool in report.fairness]
    if report.escalations:
        tables.append(
            (
                "Escalations (leads reaching each step)",
                ["step", "leads"],
                [[step, str(n)] for step, n in report.escalations.items()],
            )
        )
        tables.append(_steps_table("Escalations by pool", "pool", report.escalations_by_pool, same))
        tables.append(_steps_table("Escalations by rep", "rep", report.escalations_by_rep, name))
    outcome_header = ["", "contacted", "won", "lost", "disq.", "win rate"]
    tables.append(("Outcomes", outcome_header, [_outcome_row("All", report.outcomes)]))
    tables.append(
        (
            "Outcomes by rule",
            ["rule", *outcome_header[1:]],
            [_outcome_row(k, o) for k, o in report.outcomes_by_rule.items()],
        )
    )
    tables.append(
        (
            "Outcomes by pool",
            ["pool", *outcome_header[1:]],
            [_outcome_row(k, o) for k, o in report.outcomes_by_pool.items()],
        )
    )
    return [t for t in tables if t[2]]


def display_width(text: str) -> int:
    """Columns a terminal (or Slack's code block) uses: wide (CJK) characters take two,
    combining marks none."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def text_table(header: Sequence[object], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """Aligned plain-text columns, two spaces apart, measured by display_width so a name in
    Chinese or Japanese does not push its row out of line. `align` has 'l' or 'r' per column
    (default: all left). Lines carry no trailing spaces.

    The one table renderer: `leadrouter stats`, /routing-stats, `leadrouter simulate` and the
    demo all draw with it."""
    cells = [[str(c) for c in header]] + [[str(c) for c in row] for row in rows]
    if any(len(row) != len(header) for row in cells):
        raise ValueError("every row needs one cell per column")
    widths = [max(display_width(row[i]) for row in cells) for i in range(len(header))]
    sides = align.ljust(len(header), "l")

    def line(row: list[str]) -> str:
        parts = []
        for cell, width, side in zip(row, widths, sides, strict=False):
            pad = " " * (width - display_width(cell))
            parts.append(pad + cell if side == "r" else cell + pad)
        return "  ".join(parts).rstrip()

    return "\n".join(line(row) for row in cells)


def _period(report: Report) -> str:
    scope = f" · pool {report.pool}" if report.pool else ""
    return f"{report.since:%Y-%m-%d %H:%M} → {report.until:%Y-%m-%d %H:%M} UTC{scope}"


def terminal(report: Report, config: RoutingConfig) -> str:
    parts = [
        f"Routing stats {_period(report)}",
        "  ".join(f"{label}: {value}" for label, value in headline(report)),
    ]
    for title, header, rows in sections(report, config):
        parts.append(f"\n{title}\n{text_table(header, rows)}")
    return "\n".join(parts)


def csv_text(report: Report, config: RoutingConfig) -> str:
    """Every table as rows of section,<columns>: one file a spreadsheet opens. The header row of
    each table starts with 'section'; bars are left out (they are a picture of the share)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "figure", "value"])
    for label, value in headline(report):
        writer.writerow(["Headline", label, value])
    for title, header, rows in sections(report, config):
        keep = [i for i, column in enumerate(header) if column or i == 0]
        writer.writerow(["section", *(header[i] for i in keep)])
        for row in rows:
            writer.writerow([title, *(row[i] for i in keep)])
    return out.getvalue()


def _fitted(title: str, header: list[str], rows: list[list[str]]) -> str:
    """A section's mrkdwn: as many rows as fit Slack's limits, and a pointer to the rest."""
    shown = rows[:SLACK_ROWS]
    while True:
        body = text_table(header, shown)
        hidden = len(rows) - len(shown)
        if hidden:
            body += f"\n… {hidden} more: leadrouter stats --csv"
        text = f"*{escape(title)}*\n```{escape(body)}```"
        if len(text) <= SECTION_TEXT or not shown:
            return fit(text, SECTION_TEXT)
        shown = shown[:-1]


def blocks(
    report: Report, config: RoutingConfig, period: str, links: dict[int, str] | None = None
) -> list[dict[str, Any]]:
    """Ephemeral Block Kit: headline first (readable on a phone), details after."""
    scope = f" · {report.pool}" if report.pool else ""
    out: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"Routing stats · {period}{scope}"[:150]},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{label}*\n{value}"}
                for label, value in headline(report)
            ],
        },
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"{report.received} leads received · {report.routed} routed · "
                    f"{report.nurture} nurture · {report.triage} triage · {_period(report)}",
                }
            ],
        },
    ]
    if report.oldest_unclaimed:
        lines = []
        for lead in report.oldest_unclaimed:
            title = escape(lead_title(lead, 80))
            age = format_elapsed(report.until - lead.created_at)
            link = (links or {}).get(lead.id or 0)
            lines.append(f"• <{link}|{title}> · {age}" if link else f"• {title} · {age}")
        out.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": "*Oldest unclaimed*\n" + "\n".join(lines)},
            }
        )
    tables = sections(report, config, compact=True)
    room = MAX_BLOCKS - len(out)
    if len(tables) > room:  # keep the last block to say what was left out
        left_out = len(tables) - (room - 1)
        tables = tables[: room - 1]
    else:
        left_out = 0
    for title, header, rows in tables:
        out.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": _fitted(title, header, rows)}}
        )
    if left_out:
        out.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": f"{left_out} more tables: `leadrouter stats --csv report.csv`",
                    }
                ],
            }
        )
    return out
