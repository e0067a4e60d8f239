"""Benchmarks. Each `bench/*_bench.py` module exposes `run(quick: bool) -> Result`.

`python -m bench` runs them all and prints one summary table; `python -m bench.<name>_bench`
runs one with its own options and a detailed report.
"""

from __future__ import annotations

import importlib
import pkgutil
import statistics
from dataclasses import dataclass, field
from types import ModuleType


@dataclass(frozen=True)
class Result:
    """Latencies of one benchmark in microseconds, and whether they met its target."""

    name: str
    count: int
    median_us: float
    p90_us: float
    p99_us: float
    max_us: float
    per_second: float
    target: str
    passed: bool
    notes: list[str] = field(default_factory=list)


def percentile(sorted_values: list[int], fraction: float) -> int:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        raise ValueError("no samples")
    rank = max(1, round(fraction * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def summarise_ns(
    name: str, samples_ns: list[int], target: str, passed_if: dict[str, float]
) -> Result:
    """Result from per-call nanosecond timings; `passed_if` maps 'median'/'p99' to µs limits."""
    ordered = sorted(samples_ns)
    stats = {
        "median": statistics.median(ordered) / 1000,
        "p90": percentile(ordered, 0.90) / 1000,
        "p99": percentile(ordered, 0.99) / 1000,
        "max": ordered[-1] / 1000,
    }
    passed = all(stats[key] < limit for key, limit in passed_if.items())
    return Result(
        name=name,
        count=len(ordered),
        median_us=stats["median"],
        p90_us=stats["p90"],
        p99_us=stats["p99"],
        max_us=stats["max"],
        per_second=len(ordered) / (sum(ordered) / 1e9),
        target=target,
        passed=passed,
    )


def format_table(results: list[Result]) -> str:
    header = ("benchmark", "n", "median µs", "p90 µs", "p99 µs", "max µs", "per s", "target", "")
    rows = [header] + [
        (
            r.name,
            f"{r.count:,}",
            f"{r.median_us:.1f}",
            f"{r.p90_us:.1f}",
            f"{r.p99_us:.1f}",
            f"{r.max_us:.1f}",
            f"{r.per_second:,.0f}",
            r.target,
            "PASS" if r.passed else "FAIL",
        )
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def modules() -> list[ModuleType]:
    """Every benchmark module in this package, by name."""
    names = sorted(
        info.name for info in pkgutil.iter_modules(__path__) if info.name.endswith("_bench")
    )
    return [importlib.import_module(f"{__name__}.{name}") for name in names]
