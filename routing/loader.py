"""Read routing.yml into a RoutingConfig; every problem names file, line and field."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from routing.conditions import ConditionError
from routing.config import ReferenceErrors, RoutingConfig

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return (
            f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        )


class ConfigError(Exception):
    """The config cannot be used. `problems` lists every error found, each with its line."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def load_config(path: str | Path) -> RoutingConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([Problem(str(path), None, "", f"cannot read: {exc.strerror}")]) from None
    return parse_config(text, str(path), base_dir=path.parent)


def parse_config(
    text: str, filename: str = "routing.yml", base_dir: Path | None = None
) -> RoutingConfig:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else None
        message = getattr(exc, "problem", None) or str(exc)
        raise ConfigError([Problem(filename, line, "", f"not valid YAML: {message}")]) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [Problem(filename, 1, "", "the config must be a mapping (reps:, pools:, rules:)")]
        )
    lines: dict[Path_, int] = {}
    problems: list[Problem] = []
    _index_lines(root, (), lines, problems, filename)
    if problems:
        raise ConfigError(problems)
    if data.get("accounts_csv") and base_dir is not None:
        data = _merge_accounts_csv(data, base_dir / str(data["accounts_csv"]), lines, filename)
    try:
        return RoutingConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_problems(exc, lines, filename)) from None


def _index_lines(
    node: yaml.Node, path: Path_, lines: dict[Path_, int], problems: list[Problem], filename: str
) -> None:
    """Map every path in the document to the line it starts on; flag duplicate keys."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                field = ".".join(str(p) for p in (*path, key))
                problems.append(
                    Problem(
                        filename,
                        key_node.start_mark.line + 1,
                        field,
                        "appears twice (the second would silently win)",
                    )
                )
            seen.add(key)
            _index_lines(value_node, (*path, key), lines, problems, filename)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*path, i), lines, problems, filename)


def _line_of(path: Path_, lines: dict[Path_, int]) -> int | None:
    for end in range(len(path), -1, -1):
        key = tuple(str(p) if not isinstance(p, int) else p for p in path[:end])
        if key in lines:
            return lines[key]
    return None


def _problems(exc: ValidationError, lines: dict[Path_, int], filename: str) -> list[Problem]:
    problems: list[Problem] = []
    for error in exc.errors():
        loc: Path_ = tuple(p for p in error["loc"] if not _is_pydantic_tag(p))
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, ReferenceErrors):
            for path, message in cause.errors:
                problems.append(Problem(filename, _line_of(path, lines), _dotted(path), message))
            continue
        message = error["msg"].removeprefix("Value error, ")
        if isinstance(cause, ConditionError):
            loc = (*loc, *cause.path)
            message = cause.message
        if error["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r} (check its spelling; see the config reference)"
        problems.append(Problem(filename, _line_of(loc, lines), _dotted(loc), message))
    return problems


def _is_pydantic_tag(part: Any) -> bool:
    # pydantic adds validator tags such as 'function-before[...]' to some locations
    return isinstance(part, str) and "[" in part and part.endswith("]")


def _dotted(path: Path_) -> str:
    return ".".join(str(p) for p in path)


def _merge_accounts_csv(data: dict, csv_path: Path, lines: dict[Path_, int], filename: str) -> dict:
    """Named accounts from a CSV with columns domain,owner (config entries win on conflict)."""
    line = lines.get(("accounts_csv",))
    try:
        with csv_path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"domain", "owner"} <= set(reader.fieldnames):
                raise ConfigError([Problem(str(csv_path), 1, "", "needs columns domain,owner")])
            from_csv = {}
            for row in reader:
                domain, owner = (row.get("domain") or "").strip(), (row.get("owner") or "").strip()
                if not domain or not owner:
                    raise ConfigError(
                        [
                            Problem(
                                str(csv_path),
                                reader.line_num,
                                "",
                                "every row needs a domain and an owner",
                            )
                        ]
                    )
                from_csv[domain] = owner
    except OSError as exc:
        raise ConfigError(
            [Problem(filename, line, "accounts_csv", f"cannot read {csv_path}: {exc.strerror}")]
        ) from None
    merged = dict(data)
    merged["accounts"] = {**from_csv, **(data.get("accounts") or {})}
    return merged
