"""An app wired to a test database, the test team and a clock the test controls."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.runtime import Runtime
from bot.settings import Settings
from bot.web import create_app
from tests.support.team import team

WEBHOOK_SECRET = "whsec-test-0123456789"


class MovableClock:
    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current


def sign_generic(body: bytes, timestamp: int, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {
        "X-Leadrouter-Timestamp": str(timestamp),
        "X-Leadrouter-Signature": f"v1={digest.hexdigest()}",
        "Content-Type": "application/json",
    }


@pytest.fixture
def clock(now: datetime) -> MovableClock:
    return MovableClock(now)


@pytest.fixture
def runtime(engine, clock) -> Runtime:  # type: ignore[no-untyped-def]
    settings = Settings(webhook_secret=WEBHOOK_SECRET, _env_file=None)  # type: ignore[call-arg]
    return Runtime(settings=settings, config=team(), engine=engine, clock=clock)


@pytest.fixture
def client(runtime: Runtime) -> TestClient:
    return TestClient(create_app(runtime))


def post_lead(client: TestClient, clock: MovableClock, payload: Any, **headers: str):  # type: ignore[no-untyped-def]
    body = json.dumps(payload).encode()
    signed = sign_generic(body, int(clock().timestamp()))
    signed.update(headers)
    return client.post("/webhooks/leads", content=body, headers=signed)
