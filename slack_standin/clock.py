"""The stand-in's clock: real time plus an offset a test can advance (to expire triggers)."""

from __future__ import annotations

import threading
import time


class StandinClock:
    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        """Jump forward without sleeping, e.g. past a trigger_id's 3 s lifetime."""
        with self._lock:
            self._offset += seconds

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
