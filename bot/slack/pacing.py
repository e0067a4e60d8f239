"""Slack's posting limits honoured ahead of time, so 429s are the exception, not the signal.

Slack's rate-limit page: chat.postMessage "generally allows posting one message per second per
channel, while also maintaining a workspace-wide limit", with "short bursts >1 allowed" (their
size is not published). Each conversation gets a bucket of PER_CHANNEL posts per second with a
burst of BURST; every chat.* call of the process shares a workspace bucket (its rate is a
setting: Slack publishes no number). A call that would overrun either bucket is told how long
to wait and takes nothing meanwhile, so a message that goes back to the queue holds no slot.

The buckets use GCRA (a "theoretical arrival time" per bucket): exact, O(1), no timers.
Pacing is per process; with several replicas each paces itself, and a 429 is still waited out
for that channel alone.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

# Posts per second per conversation: Slack's one a second, less a margin for the network,
# which can bring two posts sent a second apart to Slack a little closer together.
PER_CHANNEL = 1 / 1.1
BURST = 3  # our assumption of Slack's unpublished burst; the stand-in assumes the same


class Bucket:
    def __init__(self, rate: float, burst: int) -> None:
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self.tat = 0.0  # when the bucket would be empty again at the steady rate

    def wait(self, now: float) -> float:
        """Seconds until one more call fits (0: now)."""
        return max(0.0, max(self.tat, now) - self.tolerance - now)

    def take(self, now: float) -> None:
        self.tat = max(self.tat, now) + self.interval


class Pacer:
    def __init__(
        self,
        workspace_rate: float,
        *,
        per_channel: float = PER_CHANNEL,
        burst: int = BURST,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_channel, self.burst, self.clock = per_channel, burst, clock
        self.workspace = Bucket(workspace_rate, max(burst, int(workspace_rate)))
        self.channels: dict[str, Bucket] = {}
        self.lock = threading.Lock()

    def try_post(self, channel: str | None) -> float:
        """Take a slot for one post to `channel` (None: a call that is not a post, paced by
        the workspace bucket only) and return 0, or return how long to wait, taking nothing."""
        with self.lock:
            now = self.clock()
            buckets = [self.workspace]
            if channel:
                bucket = self.channels.get(channel)
                if bucket is None:
                    bucket = self.channels[channel] = Bucket(self.per_channel, self.burst)
                buckets.append(bucket)
            wait = max(b.wait(now) for b in buckets)
            if wait == 0.0:
                for b in buckets:
                    b.take(now)
            return wait
