"""One sweeping process: `python -m tests.escalation.sweeper URL SCHEMA NOW REPS GO_FILE`.

Waits for GO_FILE (so every process starts at once), sweeps in small batches until nothing is
due, and prints how many steps it took."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path

from bench.sweep_bench import build_config
from storage import escalation
from tests.escalation.conftest import Schema


def main(url: str, schema: str, now: str, reps: str, go_file: str) -> None:
    engine = Schema(url, schema).engine("leadrouter-sweeper")
    config = build_config(int(reps))
    deadline = time.monotonic() + 30
    while not Path(go_file).exists():
        if time.monotonic() > deadline:
            raise SystemExit("never told to go")
        time.sleep(0.01)
    taken = 0
    while steps := escalation.sweep(engine, config, datetime.fromisoformat(now), limit=20):
        taken += len(steps)
    print(taken)


if __name__ == "__main__":
    main(*sys.argv[1:])
