"""POST /webhooks/leads through HTTP: signed, validated, stored, routed, or refused clearly."""

from __future__ import annotations

import json

from sqlmodel import Session, func, select

from storage.models import LeadRow
from tests.web.conftest import post_lead, sign_generic


def lead_count(engine) -> int:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(LeadRow)).one()


def test_a_signed_lead_is_stored_routed_and_explained(client, clock, engine):
    response = post_lead(
        client,
        clock,
        {
            "email": "kim@acme.io",
            "company": "Acme",
            "employees": "51-200",
            "country": "Deutschland",
        },
    )
    assert response.status_code == 202
    body = response.json()
    assert body["owner"] == "ana" and body["rule"] == "Everyone else"
    assert body["reason"] == "Everyone else → pool sales → round robin: Ana was next"
    assert isinstance(body["lead_id"], int) and lead_count(engine) == 1


def test_a_retried_delivery_with_the_same_idempotency_key_returns_the_first_result(
    client, clock, engine
):
    first = post_lead(client, clock, {"email": "kim@acme.io"}, **{"Idempotency-Key": "d-1"})
    again = post_lead(client, clock, {"email": "kim@acme.io"}, **{"Idempotency-Key": "d-1"})
    assert again.status_code == 202 and again.json() == first.json()
    assert again.headers["Idempotent-Replay"] == "true"
    assert lead_count(engine) == 1


def test_missing_signature_is_401_and_stores_nothing(client, engine):
    response = client.post("/webhooks/leads", json={"email": "kim@acme.io"})
    assert response.status_code == 401
    assert "X-Leadrouter-Timestamp" in response.json()["error"]
    assert lead_count(engine) == 0


def test_a_forged_signature_is_401(client, clock, engine):
    body = json.dumps({"email": "kim@acme.io"}).encode()
    headers = sign_generic(body, int(clock().timestamp()), secret="not-the-secret")
    response = client.post("/webhooks/leads", content=body, headers=headers)
    assert response.status_code == 401 and "does not match" in response.json()["error"]
    assert lead_count(engine) == 0


def test_a_stale_timestamp_is_401(client, clock, engine):
    body = json.dumps({"email": "kim@acme.io"}).encode()
    headers = sign_generic(body, int(clock().timestamp()) - 301)
    response = client.post("/webhooks/leads", content=body, headers=headers)
    assert response.status_code == 401 and "old" in response.json()["error"]
    assert lead_count(engine) == 0


def test_a_body_that_is_not_json_is_400(client, clock, engine):
    body = b"email=kim@acme.io"
    response = client.post(
        "/webhooks/leads", content=body, headers=sign_generic(body, int(clock().timestamp()))
    )
    assert response.status_code == 400 and "not valid JSON" in response.json()["error"]
    assert lead_count(engine) == 0


def test_a_form_encoded_post_is_415(client, engine):
    response = client.post("/webhooks/leads", data={"email": "kim@acme.io"})
    assert response.status_code == 415
    assert "application/json" in response.json()["error"]


def test_a_body_over_the_limit_is_413(client, clock, runtime, engine):
    payload = {"email": "kim@acme.io", "message": "x" * (runtime.settings.max_body_bytes + 1)}
    response = post_lead(client, clock, payload)
    assert response.status_code == 413
    assert lead_count(engine) == 0


def test_a_body_with_no_lead_at_all_is_422(client, clock, engine):
    response = post_lead(client, clock, {})
    assert response.status_code == 422
    assert "no answer could be read" in response.json()["fields"][0]["message"]
    assert lead_count(engine) == 0


def test_an_unknown_provider_is_404_listing_built_in_and_configured_sources(client, clock):
    response = client.post("/webhooks/leads/formstack", json={})
    assert response.status_code == 404
    error = response.json()["error"]
    assert "typeform" in error and "configured in intake.mappings: none" in error


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_metrics_count_leads_and_show_the_outbox_backlog(client, clock):
    post_lead(client, clock, {"email": "kim@acme.io"})
    client.post("/webhooks/leads", json={"email": "x@y.io"})  # unsigned: rejected
    text = client.get("/metrics").text
    assert 'leadrouter_leads_received_total{source="generic"} 1.0' in text
    assert 'leadrouter_webhook_rejected_total{source="generic",status="401"} 1.0' in text
    assert 'leadrouter_outbox_messages{status="pending"} 2.0' in text


def test_openapi_describes_the_webhook_body(client):
    spec = client.get("/openapi.json").json()
    body = spec["paths"]["/webhooks/leads"]["post"]["requestBody"]
    assert "email" in body["content"]["application/json"]["schema"]["properties"]


def test_a_lead_nobody_can_reach_is_stored_and_sent_to_triage_saying_why(client, clock, engine):
    response = post_lead(client, clock, {"company": "Acme", "employees": 40})
    assert response.status_code == 202
    body = response.json()
    assert (body["state"], body["owner"]) == ("triage", None)
    assert body["reason"].startswith("no email or phone")
    assert lead_count(engine) == 1
