"""Scripted failures: "answer the next N calls of chat.postMessage (to C1) with a 429"."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass
class Fault:
    method: str
    times: int
    channel: str | None = None  # only calls addressed to this channel (id, user id or name)
    status: int = 200  # 429 / 500 / 503, or 200 for a Slack error answer / a delay
    error: str | None = None  # the "error" field of the answer
    retry_after: int | None = None  # seconds, sent as the Retry-After header
    delay: float = 0.0  # seconds to stall before answering (then answer normally if no error)
    late: float = 0.0  # seconds to hold the answer back after the call has taken effect

    def describe(self) -> str:
        if self.status == 429:
            return f"ratelimited retry_after={self.retry_after}"
        if self.status != 200:
            return f"http {self.status}"
        if self.error:
            return f"error {self.error}"
        if self.late:
            return f"applied, answered {self.late}s late"
        return f"delay {self.delay}s"


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        if fault.times < 1:
            raise ValueError("a fault must apply to at least one call")
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, channel_refs: Iterable[str]) -> Fault | None:
        """The first scripted fault matching this call, counted as used once."""
        refs = set(channel_refs)
        with self._lock:
            for fault in self._faults:
                if fault.method == method and (fault.channel is None or fault.channel in refs):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def pending(self) -> list[Fault]:
        with self._lock:
            return list(self._faults)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
