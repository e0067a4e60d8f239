"""Each form provider's documented payload, signed its own way, through HTTP."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from bot.runtime import Runtime
from bot.settings import Settings
from bot.web import create_app
from tests.intake.intake_helpers import FIXTURES, SIGNERS, payload
from tests.support.team import team
from tests.web.conftest import sign_generic

SECRETS = {
    "generic": "whsec-generic",
    "typeform": "tf-secret",
    "hubspot": "hs-client-secret",
    "tally": "tally-secret",
    "webflow": "wf-secret",
}
MAPPED_TOOL = """
intake:
  mappings:
    formkeep:
      paths: {submission.contact.mail: email, submission.org: company, meta.plan: custom.plan}
      delivery_id_path: meta.id
"""


@pytest.fixture
def provider_client(engine, clock) -> TestClient:  # type: ignore[no-untyped-def]
    settings = Settings(
        webhook_secret=SECRETS["generic"],
        typeform_webhook_secret=SECRETS["typeform"],
        hubspot_client_secret=SECRETS["hubspot"],
        tally_signing_secret=SECRETS["tally"],
        webflow_webhook_secret=SECRETS["webflow"],
        _env_file=None,  # type: ignore[call-arg]
    )
    config = team({"managers: [U0BOSS]": "managers: [U0BOSS]" + MAPPED_TOOL})
    return TestClient(
        create_app(Runtime(settings=settings, config=config, engine=engine, clock=clock))
    )


def signed_post(client: TestClient, clock, provider: str, body: bytes, secret: str | None = None):  # type: ignore[no-untyped-def]
    url = f"/webhooks/leads/{provider}"
    sign = SIGNERS[provider]
    secret = secret or SECRETS[provider]
    if provider == "hubspot":
        headers = sign(body, secret, clock(), url=f"http://testserver{url}")
    else:
        headers = sign(body, secret, clock())
    headers["Content-Type"] = "application/json"
    return client.post(url, content=body, headers=headers)


@pytest.mark.parametrize("provider", sorted(FIXTURES))
def test_each_provider_delivers_a_routed_lead_and_a_retry_returns_the_same_one(
    provider_client, clock, provider
):
    body = payload(FIXTURES[provider])
    first = signed_post(provider_client, clock, provider, body)
    assert first.status_code == 202, first.text
    assert first.json()["owner"] in {"ana", "ben", "chloe", "dev", "mia"}
    again = signed_post(provider_client, clock, provider, body)
    assert again.json()["lead_id"] == first.json()["lead_id"]


@pytest.mark.parametrize("provider", sorted(FIXTURES))
def test_each_provider_rejects_a_signature_made_with_another_secret(
    provider_client, clock, provider
):
    response = signed_post(
        provider_client, clock, provider, payload(FIXTURES[provider]), secret="someone-elses-secret"
    )
    assert response.status_code == 401
    assert "someone-elses-secret" not in response.text


def test_a_tool_without_an_adapter_works_through_its_configured_mapping(provider_client, clock):
    body = json.dumps(
        {
            "submission": {"contact": {"mail": "Ola@Nordic.no"}, "org": "Nordic AS"},
            "meta": {"id": "fk-991", "plan": "enterprise"},
        }
    ).encode()
    headers = sign_generic(body, int(clock().timestamp()), secret=SECRETS["generic"])
    response = provider_client.post("/webhooks/leads/formkeep", content=body, headers=headers)
    assert response.status_code == 202, response.text
    assert response.json()["owner"] == "ana"
