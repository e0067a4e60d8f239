"""Reading leads from a CSV for `leadrouter simulate`: the reader makes leads, the simulator
(routing.simulate) takes them.

Columns are `received_at` (ISO 8601 with a UTC offset), Lead fields and `custom.<name>` fields
(dots nest: `custom.utm.source`). A bad row is reported with its line and field, and left out;
a header that names no usable columns fails the whole file.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from routing.lead import LEAD_FIELDS, Lead

TIME_COLUMN = "received_at"


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class LeadsFileError(Exception):
    """The file cannot be read at all (unreadable, or a header that names no usable columns)."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


@dataclass(frozen=True)
class LeadRow:
    line: int  # the line the row starts on (1 is the header)
    received_at: datetime
    lead: Lead


@dataclass(frozen=True)
class LeadsFile:
    rows: tuple[LeadRow, ...]
    errors: tuple[RowError, ...]  # one per bad field; a bad row's lead is not in `rows`

    @property
    def leads(self) -> list[tuple[datetime, Lead]]:
        return [(row.received_at, row.lead) for row in self.rows]

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})


def read_leads_csv(path: str | Path) -> LeadsFile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")  # spreadsheets often write a BOM
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise LeadsFileError([RowError(str(path), 1, None, f"cannot read: {reason}")]) from None
    return parse_leads_csv(text, str(path))


def parse_leads_csv(text: str, filename: str = "leads.csv") -> LeadsFile:
    """Read a CSV whose columns are `received_at`, Lead fields and `custom.<name>` fields."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    columns = _columns(header, filename)
    rows: list[LeadRow] = []
    errors: list[RowError] = []
    start = reader.line_num + 1
    for values in reader:
        line, start = start, reader.line_num + 1  # quoted newlines make a row span lines
        if not any(v.strip() for v in values):
            continue
        row, row_errors = _read_row(columns, values, filename, line)
        if row_errors:
            errors.extend(row_errors)
        elif row is not None:
            rows.append(row)
    return LeadsFile(tuple(rows), tuple(errors))


def _columns(header: list[str] | None, filename: str) -> list[str]:
    if not header:
        raise LeadsFileError([RowError(filename, 1, None, "empty file: no header row")])
    problems: list[RowError] = []
    columns: list[str] = []
    for raw in header:
        name = raw.strip()
        column = name if name.startswith("custom.") else name.lower()
        if column != TIME_COLUMN and column not in LEAD_FIELDS and not _custom_key(column):
            problems.append(
                RowError(
                    filename,
                    1,
                    name or "(blank)",
                    f"unknown column (use {TIME_COLUMN}, a lead field such as email or "
                    "country, or custom.<name>)",
                )
            )
        if column in columns:
            problems.append(RowError(filename, 1, name, "column appears twice"))
        columns.append(column)
    if TIME_COLUMN not in columns:
        problems.append(
            RowError(filename, 1, TIME_COLUMN, "missing column: when each lead arrived")
        )
    if problems:
        raise LeadsFileError(problems)
    return columns


def _custom_key(column: str) -> bool:
    return column.startswith("custom.") and all(column.split(".")[1:])


def _read_row(
    columns: list[str], values: list[str], filename: str, line: int
) -> tuple[LeadRow | None, list[RowError]]:
    if len(values) > len(columns):
        extra = len(values) - len(columns)
        return None, [
            RowError(filename, line, None, f"{extra} more value(s) than the header has columns")
        ]
    fields: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    received_text = ""
    for column, value in zip(columns, values, strict=False):
        value = value.strip()
        if column == TIME_COLUMN:
            received_text = value
        elif not value:
            continue
        elif column.startswith("custom."):
            *parents, leaf = column.split(".")[1:]
            target = custom
            for part in parents:
                target = target.setdefault(part, {})
            target[leaf] = value
        else:
            fields[column] = value
    errors: list[RowError] = []
    received_at = _received_at(received_text, filename, line, errors)
    lead: Lead | None = None
    try:
        lead = Lead(**fields, custom=custom)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            field = ".".join(loc) or None
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "string_pattern_mismatch" and field == "email":
                message = f"{error['input']!r} is not an email address"
            errors.append(RowError(filename, line, field, message))
    if errors or lead is None or received_at is None:
        return None, errors
    return LeadRow(line, received_at, lead), []


def _received_at(text: str, filename: str, line: int, errors: list[RowError]) -> datetime | None:
    example = "2025-03-03T09:15:00-05:00"
    if not text:
        errors.append(RowError(filename, line, TIME_COLUMN, f"missing (e.g. {example})"))
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        errors.append(
            RowError(
                filename, line, TIME_COLUMN, f"cannot read {text!r} (ISO 8601, e.g. {example})"
            )
        )
        return None
    if moment.tzinfo is None:
        errors.append(
            RowError(
                filename, line, TIME_COLUMN, f"{text!r} has no UTC offset (e.g. {example} or ...Z)"
            )
        )
        return None
    return moment
