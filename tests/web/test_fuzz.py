"""Hostile input: thousands of generated bodies, signed and unsigned, at every webhook.

Whatever arrives, the answer is never a 5xx, and a refused request never stores a lead."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session, func, select

from bot.runtime import Runtime
from bot.settings import Settings
from bot.web import create_app
from routing.lead import LEAD_FIELDS
from storage.db import make_engine
from storage.migrate import upgrade
from storage.models import LeadRow
from tests.intake.intake_helpers import SIGNERS
from tests.support.team import team
from tests.web.conftest import MovableClock

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
SECRET = "fuzz-secret"
ANSWERS = {200, 202, 400, 401, 404, 413, 415, 422, 503}

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
lead_like = st.dictionaries(
    st.sampled_from([*LEAD_FIELDS, "custom", "submitted_at", "idempotency_key", "extra"]),
    json_values
    | st.sampled_from(
        [
            "",
            " ",
            "1,000+",
            "$5M",
            "Deutschland",
            "a@b.co",
            "-1",
            "1e309",
            "NaN",
            "\x00",
            "<!channel>",
            "9" * 400,
        ]
    ),
    max_size=12,
)
bodies = (
    lead_like.map(lambda d: json.dumps(d).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=300)
)


@pytest.fixture(scope="module")
def client(tmp_path_factory) -> TestClient:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    upgrade(engine)
    secrets = {
        "webhook_secret": SECRET,
        "typeform_webhook_secret": SECRET,
        "hubspot_client_secret": SECRET,
        "tally_signing_secret": SECRET,
        "webflow_webhook_secret": SECRET,
    }
    settings_ = Settings(_env_file=None, **secrets)  # type: ignore[call-arg]
    runtime = Runtime(settings=settings_, config=team(), engine=engine, clock=MovableClock(NOW))
    return TestClient(create_app(runtime), raise_server_exceptions=False)


def leads(client: TestClient) -> int:
    engine = client.app.state.runtime.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(LeadRow)).one()


def post(client: TestClient, provider: str, body: bytes, signed: bool, content_type: str):  # type: ignore[no-untyped-def]
    path = "/webhooks/leads" if provider == "generic" else f"/webhooks/leads/{provider}"
    headers = {}
    if signed:
        sign = SIGNERS[provider]
        headers = (
            sign(body, SECRET, NOW, url=f"http://testserver{path}")
            if provider == "hubspot"
            else sign(body, SECRET, NOW)
        )
    headers["Content-Type"] = content_type
    return client.post(path, content=body, headers=headers)


CONTENT_TYPES = st.sampled_from(
    [
        "application/json",
        "application/json; charset=utf-8",
        "text/plain",
        "application/x-www-form-urlencoded",
    ]
)


def check(client: TestClient, provider: str, body: bytes, signed: bool, content_type: str) -> None:
    before = leads(client)
    response = post(client, provider, body, signed, content_type)
    assert response.status_code < 500 and response.status_code in ANSWERS, response.text
    assert response.headers["content-type"].startswith("application/json")
    if response.status_code != 202:
        assert leads(client) == before
    if not signed:
        assert response.status_code in (401, 415)


@settings(max_examples=1200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=bodies, signed=st.booleans(), content_type=CONTENT_TYPES)
def test_the_generic_webhook_never_fails_and_never_stores_a_refused_lead(
    client, body, signed, content_type
):
    check(client, "generic", body, signed, content_type)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    provider=st.sampled_from(["typeform", "hubspot", "tally", "webflow"]),
    body=bodies,
    signed=st.booleans(),
    content_type=CONTENT_TYPES,
)
def test_provider_webhooks_never_fail_and_never_store_a_refused_lead(
    client, provider, body, signed, content_type
):
    check(client, provider, body, signed, content_type)
