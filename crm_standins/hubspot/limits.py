"""HubSpot's rate limits for a private app, per token.

From "API usage guidelines and limits" (developers.hubspot.com/docs/developer-tooling/
platform/usage-guidelines) and the changelog entries it points to:
- burst: Free and Starter accounts 100 requests per 10 seconds per private app; Professional
  and Enterprise 190 ("Increasing our API limits"); the API limit increase pack 250. A
  setting here (`burst`), 100 by default. A rolling window (policy TEN_SECONDLY_ROLLING).
- daily: 250,000 (Free/Starter) up to 1,000,000; a setting, counted per stand-in day.
- CRM search: limited per account per second, separately (the changelog "CRM Search API
  rate limit increase" raised it to four; the search reference page says five today); 5 here,
  a setting. Search requests count toward the burst limit too (our assumption).
- Responses carry X-HubSpot-RateLimit-Daily, -Daily-Remaining, -Interval-Milliseconds, -Max,
  -Remaining (changelog 2018-11-06 "Rate limit information headers"); search responses do
  not carry them (written from memory of the usage guidelines).
- Past a limit: HTTP 429 with the RATE_LIMIT body (errors.rate_limited); no Retry-After.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from crm_standins.hubspot.errors import HubSpotError, rate_limited

WINDOW = 10.0  # seconds, the burst limit's window


@dataclass
class Limits:
    burst: int = 100
    search_per_second: int = 5
    daily: int = 250_000
    enabled: bool = True
    _burst: dict[str, deque[float]] = field(default_factory=dict)
    _search: dict[str, deque[float]] = field(default_factory=dict)
    _daily: dict[str, int] = field(default_factory=dict)

    def take(self, token: str, now: float, *, search: bool) -> dict[str, str]:
        """Count one request; raise the 429 HubSpot answers past a limit. Returns the
        rate-limit headers to send (none for search)."""
        if not self.enabled:
            return {}
        burst = _window(self._burst, token, now, WINDOW)
        searches = _window(self._search, token, now, 1.0)
        used_today = self._daily.get(token, 0)
        if used_today >= self.daily:
            raise rate_limited("DAILY", self._headers(0, 0))
        if len(burst) >= self.burst:
            raise rate_limited("TEN_SECONDLY_ROLLING", self._headers(0, self.daily - used_today))
        if search and len(searches) >= self.search_per_second:
            raise rate_limited("SECONDLY", {})
        burst.append(now)
        if search:
            searches.append(now)
        self._daily[token] = used_today + 1
        if search:
            return {}
        return self._headers(self.burst - len(burst), self.daily - used_today - 1)

    def _headers(self, remaining: int, daily_remaining: int) -> dict[str, str]:
        return {
            "X-HubSpot-RateLimit-Daily": str(self.daily),
            "X-HubSpot-RateLimit-Daily-Remaining": str(max(daily_remaining, 0)),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(WINDOW * 1000)),
            "X-HubSpot-RateLimit-Max": str(self.burst),
            "X-HubSpot-RateLimit-Remaining": str(max(remaining, 0)),
        }

    def clear(self) -> None:
        self._burst.clear()
        self._search.clear()
        self._daily.clear()


def _window(buckets: dict[str, deque[float]], token: str, now: float, span: float) -> deque[float]:
    seen = buckets.setdefault(token, deque())
    while seen and seen[0] <= now - span:
        seen.popleft()
    return seen


__all__ = ["HubSpotError", "Limits"]
