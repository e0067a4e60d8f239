"""A Slack Web API error answer: HTTP 200 with {"ok": false, "error": ...}."""

from __future__ import annotations

from typing import Any


class SlackError(Exception):
    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"ok": False, "error": self.error, **self.extra}
