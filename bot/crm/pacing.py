"""HubSpot's rate limits kept ahead of time, so a 429 is the exception, not the signal.

HubSpot counts a private app's calls in a rolling 10-second window (its 429 names the policy
TEN_SECONDLY_ROLLING): 100 calls for Free and Starter accounts, 190 for Professional and
Enterprise, 250 with the API limit increase ("API usage guidelines and limits"; the number is
the HUBSPOT_BURST setting). The CRM search endpoints have a limit of their own per second
(five on the search reference page, four in the changelog that raised it: four here).

A rolling window is counted as HubSpot counts it, by the times of the last calls: a token
bucket would let a full burst through and then its refill on top, which HubSpot refuses. The
window is a little longer than HubSpot's (the network can bring two calls closer together).

Routing-time look-ups come first: write-back leaves them a share of each window
(RESERVED_FOR_ROUTING) and waits for its turn, at most MAX_WAIT seconds in the delivery
thread; a longer wait goes back to the outbox as a rate limit. A look-up waits for room only
within its question's time (bot.crm.ownership: the lead waits its budget, a later answer still
fills the cache); beyond that it is not made. Either way a lead whose answer is not back within
its budget is routed by the rules. The pace is per process: replicas each keep their own, and
a 429 is still waited out.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from bot.slack.errors import Failed, Handling

WINDOW = 10.5  # seconds: HubSpot's 10, and a margin
SEARCH_WINDOW = 1.1
SEARCHES = 4
RESERVED_FOR_ROUTING = 0.2  # of each window, that write-back leaves for routing-time look-ups
MAX_WAIT = 2.0  # seconds a write-back waits in its thread before going back to the outbox


class RollingWindow:
    """At most `limit` calls in any `seconds`."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self.times: deque[float] = deque()

    def wait(self, now: float, limit: int) -> float:
        while self.times and self.times[0] <= now - self.seconds:
            self.times.popleft()
        if len(self.times) < limit:
            return 0.0
        return self.times[len(self.times) - limit] + self.seconds - now

    def take(self, now: float) -> None:
        self.times.append(now)


class HubSpotPace:
    def __init__(
        self,
        burst: int,
        *,
        searches: int = SEARCHES,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.calls = RollingWindow(burst, WINDOW)
        self.searches = RollingWindow(searches, SEARCH_WINDOW)
        self.clock, self.sleep = clock, sleep
        self.lock = threading.Lock()

    def before(self, *, search: bool, routing: bool, patience: float = 0.0) -> None:
        """Take a place for one call, waiting for it: write-back up to MAX_WAIT, a routing
        look-up up to `patience` seconds (the rest of its question's time); else refused."""
        while True:
            with self.lock:
                wait = self._wait(search, routing)
                if wait <= 0:
                    now = self.clock()
                    self.calls.take(now)
                    if search:
                        self.searches.take(now)
                    return
            if wait > (patience if routing else MAX_WAIT):
                who = "look-up" if routing else "write"
                raise Failed(
                    Handling.rate_limited,
                    f"HubSpot {who} held back under its rate limit",
                    retry_after=max(wait, 1.0),
                )
            self.sleep(wait)

    def _wait(self, search: bool, routing: bool) -> float:
        now = self.clock()
        share = 1.0 if routing else 1.0 - RESERVED_FOR_ROUTING
        calls = max(1, int(self.calls.limit * share))
        searches = max(1, self.searches.limit - (0 if routing else 1))
        wait = self.calls.wait(now, calls)
        if search:
            wait = max(wait, self.searches.wait(now, searches))
        return wait
