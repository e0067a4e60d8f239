"""Slack as it behaves on a real network, switched on by tests and benchmarks that want it:
a round trip of 100–300 ms, and chat.postMessage paced per channel.

Slack's rate-limit page: chat.postMessage "will generally allow an app to post 1 message per
second to a specific channel, with short bursts of more than 1 allowed"; past that Slack
answers HTTP 429, {"ok": false, "error": "ratelimited"}, with Retry-After in whole seconds.
Slack does not publish the burst size; three is our assumption, and a setting.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass, field


@dataclass
class Realism:
    latency: tuple[float, float] | None = None  # seconds, drawn uniformly per call
    posts_per_second: float | None = None  # per channel; None: no pacing
    burst: int = 3
    seed: int = 7
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)  # tokens, at
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def delay(self) -> float:
        if self.latency is None:
            return 0.0
        low, high = self.latency
        with self._lock:
            return self._random.uniform(low, high)

    def take_post(self, channel_id: str, now: float) -> int | None:
        """None when a post to this channel may go now; else the Retry-After to answer."""
        rate = self.posts_per_second
        if rate is None:
            return None
        with self._lock:
            tokens, at = self._buckets.get(channel_id, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * rate)
            if tokens >= 1.0:
                self._buckets[channel_id] = (tokens - 1.0, now)
                return None
            self._buckets[channel_id] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))

    def configure(
        self, latency: tuple[float, float] | None, posts_per_second: float | None, burst: int
    ) -> None:
        with self._lock:
            self.latency, self.posts_per_second, self.burst = latency, posts_per_second, burst
            self._buckets.clear()

    def reset(self) -> None:
        self.configure(None, None, 3)
