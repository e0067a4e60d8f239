"""Every form tool named in issue 13, through HTTP, with the payload shape and the signature
(or token) its documentation describes. Each signer is written here from the provider's docs,
not from our code, so a shared mistake cannot hide. Where each sample's shape comes from is
noted beside it; names and values are made up.

Built-in adapters (Typeform, Tally, Webflow, HubSpot) have their samples in
tests/intake/payloads and are delivered here too; the others are `intake.mappings` sources,
configured below as the README's recipes configure them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bot.runtime import Runtime
from bot.settings import Settings
from bot.web import create_app
from storage.models import LeadRow
from tests.intake.intake_helpers import FIXTURES, SIGNERS, payload
from tests.support.team import team

SECRETS = {
    "WEBHOOK_SECRET": "whsec-generic",
    "TYPEFORM_WEBHOOK_SECRET": "tf-secret",
    "HUBSPOT_CLIENT_SECRET": "hs-client-secret",
    "TALLY_SIGNING_SECRET": "tally-secret",
    "WEBFLOW_WEBHOOK_SECRET": "wf-secret",
    # intake.mappings sources, each with its own secret (auth.secret_env)
    "CALENDLY_SIGNING_KEY": "calendly-signing-key",
    "FORMSPREE_SIGNING_SECRET": "formspree-secret",
    "GRAVITY_FORMS_TOKEN": "gf-token-9b1f2c7d5e",
    "CF7_TOKEN": "cf7-token-41c0a8e2",
    "JOTFORM_TOKEN": "jotform-token-7d3e19ab",
    "SALESFORCE_W2L_TOKEN": "w2l-token-c4f0e1d9",
    "ZAPIER_TOKEN": "zapier-token-2a7c9e",
    "MAKE_WEBHOOK_SECRET": "make-secret",
    "GOOGLE_FORMS_SECRET": "apps-script-secret",
    "TYPEFORM_EMEA_SECRET": "tf-emea-secret",
}

MAPPINGS = """
intake:
  mappings:
    calendly:
      auth:
        secret_env: CALENDLY_SIGNING_KEY
        signature: {header: Calendly-Webhook-Signature, format: "t={timestamp},v1={signature}"}
        timestamp: {tolerance: 3m}
      accept: {event: invitee.created}
      paths:
        payload.email: email
        payload.name: name
        payload.text_reminder_number: phone
        'payload.questions_and_answers[question="Company"].answer': company
        'payload.questions_and_answers[question="Company size"].answer': employees
        payload.tracking.utm_source: utm_source
        payload.tracking.utm_campaign: utm_campaign
        payload.scheduled_event.name: source
      delivery_id_path: payload.uri
    formspree:
      auth:
        secret_env: FORMSPREE_SIGNING_SECRET
        signature: {header: Formspree-Signature, format: "t={timestamp},v1={signature}"}
      paths:
        submission.email: email
        submission.name: name
        submission.company: company
        submission.message: message
      submitted_at_path: submission._date
      source: Contact us (Formspree)
    gravityforms:
      auth: {secret_env: GRAVITY_FORMS_TOKEN, token: {header: Authorization, prefix: "Bearer "}}
      paths: {"1.3": first_name, "1.6": last_name, "2": email, "3": company, "4": employees}
      delivery_id_path: id
      source: Demo request (Gravity Forms)
    cf7:
      auth: {secret_env: CF7_TOKEN, token: {header: X-Leadrouter-Token}}
      fields: {your-name: name, your-email: email, your-company: company, your-message: message}
      source: Contact form (CF7)
    jotform:
      auth: {secret_env: JOTFORM_TOKEN, token: {path: true}}
      paths:
        rawRequest.q3_name.first: first_name
        rawRequest.q3_name.last: last_name
        rawRequest.q4_email: email
        rawRequest.q5_company: company
        rawRequest.q6_companySize: employees
        formTitle: source
      delivery_id_path: submissionID
    salesforce:
      auth: {secret_env: SALESFORCE_W2L_TOKEN, token: {path: true}}
      fields: {00N5e00000AbCdE: employees, oid: ignore, retURL: ignore}
    zapier:
      auth: {secret_env: ZAPIER_TOKEN, token: {header: X-Leadrouter-Token}}
    make:
      auth: {secret_env: MAKE_WEBHOOK_SECRET}
    typeform-emea:
      adapter: typeform
      auth: {secret_env: TYPEFORM_EMEA_SECRET}
    googleforms:
      auth: {secret_env: GOOGLE_FORMS_SECRET}
      paths:
        'answers[title="Work email"].response': email
        'answers[title="Company name"].response': company
        'answers[title="Company size"].response': employees
        'answers[title="Country"].response': country
        form: source
      delivery_id_path: responseId
"""


@pytest.fixture
def tools(engine, clock) -> TestClient:  # type: ignore[no-untyped-def]
    settings = Settings(
        webhook_secret=SECRETS["WEBHOOK_SECRET"],
        typeform_webhook_secret=SECRETS["TYPEFORM_WEBHOOK_SECRET"],
        hubspot_client_secret=SECRETS["HUBSPOT_CLIENT_SECRET"],
        tally_signing_secret=SECRETS["TALLY_SIGNING_SECRET"],
        webflow_webhook_secret=SECRETS["WEBFLOW_WEBHOOK_SECRET"],
        source_secrets={k: v for k, v in SECRETS.items() if k.isupper()},
        _env_file=None,  # type: ignore[call-arg]
    )
    config = team({"managers: [U0BOSS]": "managers: [U0BOSS]" + MAPPINGS})
    return TestClient(
        create_app(Runtime(settings=settings, config=config, engine=engine, clock=clock))
    )


def stored(engine) -> list[LeadRow]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return list(session.exec(select(LeadRow).order_by(LeadRow.id)))


def _hmac_hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def t_v1(secret: str, body: bytes, at: int) -> str:
    """Calendly ("Webhook signatures", developer.calendly.com) and Formspree ("Verify Webhook
    Signatures", help.formspree.io): 't=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">'."""
    return f"t={at},v1={_hmac_hex(secret, f'{at}.'.encode() + body)}"


def generic_signature(secret: str, body: bytes, at: int) -> dict[str, str]:
    """Our own scheme (README, Generic JSON), as Make's sha256(…; hex; key) or Apps Script's
    Utilities.computeHmacSha256Signature compute it."""
    return {
        "X-Leadrouter-Timestamp": str(at),
        "X-Leadrouter-Signature": "v1=" + _hmac_hex(secret, f"{at}.".encode() + body),
    }


def now_s(clock) -> int:  # type: ignore[no-untyped-def]
    return int(clock().timestamp())


# --- samples ---------------------------------------------------------------------------------

# Calendly invitee.created, the v2 webhook payload (developer.calendly.com "Webhooks" and the
# invitee resource: event + payload with email, name, text_reminder_number,
# questions_and_answers [{question, answer, position}], tracking {utm_*}, scheduled_event).
CALENDLY = {
    "created_at": "2024-05-01T09:30:00.000000Z",
    "created_by": "https://api.calendly.com/users/AAAAAAAAAAAAAAAA",
    "event": "invitee.created",
    "payload": {
        "uri": "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2/invitees/AAAA1111",
        "email": "grace@cobol.example",
        "name": "Grace Hopper",
        "first_name": None,
        "last_name": None,
        "status": "active",
        "timezone": "America/New_York",
        "text_reminder_number": "+1 404-555-1234",
        "rescheduled": False,
        "questions_and_answers": [
            {"question": "Company", "answer": "Cobol Systems", "position": 0},
            {"question": "Company size", "answer": "51 to 200", "position": 1},
        ],
        "tracking": {
            "utm_campaign": "spring-launch",
            "utm_source": "google",
            "utm_medium": "cpc",
            "utm_content": None,
            "utm_term": None,
            "salesforce_uuid": None,
        },
        "scheduled_event": {
            "uri": "https://api.calendly.com/scheduled_events/GBGBDCAADAEDCRZ2",
            "name": "Product demo",
            "start_time": "2024-05-02T15:00:00.000000Z",
        },
    },
}

# Formspree webhook (help.formspree.io "Webhooks"): the form's hashid, the submission's fields
# with Formspree's own `_date`, and the list of keys.
FORMSPREE = {
    "form": "mvoekgpo",
    "keys": ["email", "name", "company", "message"],
    "submission": {
        "_date": "2024-05-01T09:29:58.123Z",
        "email": "hedy@spread.example",
        "name": "Hedy Lamarr",
        "company": "Spread Spectrum",
        "message": "We need routing for 40 reps.",
    },
}

# Gravity Forms Webhooks Add-On, Request Body "All Fields" (docs.gravityforms.com "Triggering
# Webhooks on Form Submissions"): the entry, keyed by field id; a Name field's parts as
# "<id>.3" (first) and "<id>.6" (last); entry meta such as id, form_id, date_created.
GRAVITY_FORMS = {
    "id": "1042",
    "form_id": "3",
    "date_created": "2024-05-01 09:29:59",
    "source_url": "https://www.example.com/demo/",
    "1.3": "Alan",
    "1.6": "Turing",
    "2": "alan@bletchley.example",
    "3": "Bletchley Analytics",
    "4": "Prefer not to say",
}

# Contact Form 7 has no webhook of its own (contactform7.com); the "CF7 to Webhook" plugin
# posts the posted data as JSON, keys as the form's tags name them (your-name, your-email, …).
CF7 = {
    "your-name": "Katherine Johnson",
    "your-email": "katherine@orbital.example",
    "your-company": "Orbital",
    "your-message": "Call me next week",
}

# Jotform webhook (jotform.com/help/245 "How to set up a webhook"; api.jotform.com/docs):
# multipart/form-data with formID, submissionID, formTitle, pretty, and rawRequest, the
# answers as a JSON text keyed q<id>_<name> (a Full Name as {first, last}).
JOTFORM = {
    "formID": "241203456789",
    "submissionID": "5912345678901234567",
    "formTitle": "Request a demo",
    "username": "acme",
    "ip": "203.0.113.7",
    "pretty": "Name:Margaret Hamilton, Email:margaret@apollo.example, Company:Apollo Guidance",
    "rawRequest": json.dumps(
        {
            "slug": "submit/241203456789",
            "q3_name": {"first": "Margaret", "last": "Hamilton"},
            "q4_email": "margaret@apollo.example",
            "q5_company": "Apollo Guidance",
            "q6_companySize": "1001-5000",
            "event_id": "1714555799000_241203456789_abcd123",
        }
    ),
}

# Salesforce Web-to-Lead (Setup → Web-to-Lead → Create Web-to-Lead Form): the generated HTML
# form posts application/x-www-form-urlencoded with oid, retURL, the standard fields by API
# name (first_name, last_name, email, company, country, lead_source) and custom fields by id.
SALESFORCE_W2L = [
    ("oid", "00D5e000000AbCd"),
    ("retURL", "https://www.example.com/thanks"),
    ("first_name", "Dorothy"),
    ("last_name", "Vaughan"),
    ("email", "dorothy@langley.example"),
    ("company", "Langley Compute"),
    ("country", "Other"),
    ("lead_source", "Web"),
    ("00N5e00000AbCdE", "$1M-$10M"),  # a custom field: mapped to employees, cannot be read
]

# Zapier "Webhooks by Zapier" POST (zapier.com help "Send webhooks in Zaps"): Payload Type
# json, the Data rows as a flat object, Headers as set (here our token).
ZAPIER = {
    "email": "ada@analytical.example",
    "name": "Ada Lovelace",
    "company": "Analytical Engines",
    "Company size": "11-50",
    "country": "United Kingdom",
    "utm_source": "newsletter",
}

# Make HTTP "Make a request" with a JSON body, signed with Make's sha256(…; hex; key).
MAKE = {"email": "mary@jackson.example", "company": "Jackson Aero", "employees": "Just me"}

# Google Forms has no webhook: an Apps Script onFormSubmit trigger posts the response with
# UrlFetchApp (developers.google.com/apps-script: FormResponse.getItemResponses(), each item's
# getItem().getTitle() and getResponse()), signed with Utilities.computeHmacSha256Signature.
GOOGLE_FORMS = {
    "form": "Talk to sales (Google Forms)",
    "responseId": "2_ABaOnudQ8Lr3vX9",
    "answers": [
        {"title": "Work email", "response": "annie@easley.example"},
        {"title": "Company name", "response": "Easley Energy"},
        {"title": "Company size", "response": "201-500"},
        {"title": "Country", "response": "Europe"},
    ],
}


def _multipart(fields: dict[str, str], boundary: str = "----JotformBoundary7MA4YWxk") -> bytes:
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    ]
    return ("".join(parts) + f"--{boundary}--\r\n").encode()


def deliver(tools: TestClient, clock, tool: str, **changes: Any):  # type: ignore[no-untyped-def]
    """One delivery of `tool` as it sends it; `changes` alter the secret or the URL."""
    at = now_s(clock) - changes.get("age", 0)
    secret = changes.get("secret")
    if tool in ("calendly", "formspree"):
        body = json.dumps(CALENDLY if tool == "calendly" else FORMSPREE).encode()
        key = "CALENDLY_SIGNING_KEY" if tool == "calendly" else "FORMSPREE_SIGNING_SECRET"
        header = "Calendly-Webhook-Signature" if tool == "calendly" else "Formspree-Signature"
        signature = t_v1(secret or SECRETS[key], body, at)
        headers = {"Content-Type": "application/json", header: signature}
        return tools.post(f"/webhooks/leads/{tool}", content=body, headers=headers)
    if tool in ("make", "googleforms"):
        document = MAKE if tool == "make" else GOOGLE_FORMS
        body = json.dumps(document).encode()
        key = "MAKE_WEBHOOK_SECRET" if tool == "make" else "GOOGLE_FORMS_SECRET"
        headers = generic_signature(secret or SECRETS[key], body, at)
        # UrlFetchApp sends a string payload as a form unless told otherwise: both work
        kind = "application/x-www-form-urlencoded" if tool == "googleforms" else "application/json"
        headers["Content-Type"] = kind
        return tools.post(f"/webhooks/leads/{tool}", content=body, headers=headers)
    if tool == "gravityforms":
        token = secret or SECRETS["GRAVITY_FORMS_TOKEN"]
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
        return tools.post(
            "/webhooks/leads/gravityforms", content=json.dumps(GRAVITY_FORMS), headers=headers
        )
    if tool in ("cf7", "zapier"):
        token = secret or SECRETS["CF7_TOKEN" if tool == "cf7" else "ZAPIER_TOKEN"]
        body = json.dumps(CF7 if tool == "cf7" else ZAPIER)
        headers = {"Content-Type": "application/json", "X-Leadrouter-Token": token}
        return tools.post(f"/webhooks/leads/{tool}", content=body, headers=headers)
    if tool == "jotform":
        token = secret or SECRETS["JOTFORM_TOKEN"]
        body = _multipart(JOTFORM)
        headers = {"Content-Type": "multipart/form-data; boundary=----JotformBoundary7MA4YWxk"}
        return tools.post(f"/webhooks/leads/jotform/{token}", content=body, headers=headers)
    if tool == "salesforce":
        token = secret or SECRETS["SALESFORCE_W2L_TOKEN"]
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return tools.post(
            f"/webhooks/leads/salesforce/{token}",
            content=urlencode(SALESFORCE_W2L),
            headers=headers,
        )
    # the built-in adapters, with their documented fixtures and signers
    body = payload(FIXTURES[tool])
    key = {"typeform": "TYPEFORM", "tally": "TALLY", "webflow": "WEBFLOW", "hubspot": "HUBSPOT"}
    name = {"HUBSPOT": "HUBSPOT_CLIENT_SECRET", "TALLY": "TALLY_SIGNING_SECRET"}.get(
        key[tool], f"{key[tool]}_WEBHOOK_SECRET"
    )
    url = f"/webhooks/leads/{tool}"
    extra = {"url": f"http://testserver{url}"} if tool == "hubspot" else {}
    headers = SIGNERS[tool](body, secret or SECRETS[name], clock(), **extra)
    headers["Content-Type"] = "application/json"
    return tools.post(url, content=body, headers=headers)


TOOLS = [
    "typeform", "tally", "webflow", "hubspot", "zapier", "make", "googleforms", "calendly",
    "formspree", "gravityforms", "cf7", "jotform", "salesforce",
]  # fmt: skip

# What a rep would see of each lead: (email, company, source, employees, notes in the reason)
EXPECTED = {
    "calendly": ("grace@cobol.example", "Cobol Systems", "Product demo", 51, []),
    "formspree": ("hedy@spread.example", "Spread Spectrum", "Contact us (Formspree)", None, []),
    "gravityforms": (
        "alan@bletchley.example", "Bletchley Analytics", "Demo request (Gravity Forms)", None,
        ["employees 'Prefer not to say' not understood"],
    ),
    "cf7": ("katherine@orbital.example", "Orbital", "Contact form (CF7)", None, []),
    "jotform": ("margaret@apollo.example", "Apollo Guidance", "Request a demo", 1001, []),
    "salesforce": (
        "dorothy@langley.example", "Langley Compute", "Web", None,
        ["country 'Other' not understood", "employees '$1M-$10M' not understood"],
    ),
    "zapier": ("ada@analytical.example", "Analytical Engines", None, 11, []),
    "make": ("mary@jackson.example", "Jackson Aero", None, 1, []),
    "googleforms": (
        "annie@easley.example", "Easley Energy", "Talk to sales (Google Forms)", 201,
        ["country 'Europe' not understood"],
    ),
}  # fmt: skip


@pytest.mark.parametrize("tool", TOOLS)
def test_each_tool_delivers_a_lead_as_it_sends_it_and_a_retry_is_the_same_lead(
    tools, clock, engine, tool
):
    first = deliver(tools, clock, tool)
    assert first.status_code == 202, first.text
    again = deliver(tools, clock, tool)
    assert again.status_code == 202 and again.json()["lead_id"] == first.json()["lead_id"]
    [lead] = stored(engine)
    if tool in EXPECTED:
        email, company, source, employees, notes = EXPECTED[tool]
        data = lead.data
        assert (data["email"], data.get("company"), data.get("source")) == (email, company, source)
        assert data.get("employees") == employees
        for note in notes:
            assert note in first.json()["reason"]


@pytest.mark.parametrize("tool", TOOLS)
def test_each_tool_is_refused_with_another_secret_or_token(tools, clock, engine, tool):
    response = deliver(tools, clock, tool, secret="someone-elses-secret")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error.startswith(("signature rejected", "token rejected"))
    assert "someone-elses-secret" not in error
    assert stored(engine) == []


def test_calendly_utm_parameters_are_fields_of_their_own(tools, clock, engine):
    deliver(tools, clock, "calendly")
    [lead] = stored(engine)
    assert (lead.data["utm_source"], lead.data["utm_campaign"]) == ("google", "spring-launch")
    assert lead.data["source"] == "Product demo"  # the form (event type), not the campaign
    assert lead.data["phone"] == "+1 404-555-1234"
    # an answer no path names is not lost: the submission is kept whole, as Calendly sent it
    kept = lead.data["custom"]["submission"]["payload"]["questions_and_answers"]
    assert {"question": "Company size", "answer": "51 to 200", "position": 1} in kept


@pytest.mark.parametrize("tool", ["calendly", "formspree"])
def test_a_t_v1_signature_older_than_the_tolerance_is_refused(tools, clock, tool):
    response = deliver(tools, clock, tool, age=int(timedelta(minutes=6).total_seconds()))
    assert response.status_code == 401 and "old" in response.json()["error"]


def test_calendly_allows_three_minutes_as_configured(tools, clock):
    assert deliver(tools, clock, "calendly", age=240).status_code == 401
    assert deliver(tools, clock, "calendly", age=120).status_code == 202


def test_two_tools_with_their_own_secrets_do_not_accept_each_others(tools, clock):
    assert (
        deliver(tools, clock, "calendly", secret=SECRETS["FORMSPREE_SIGNING_SECRET"]).status_code
        == 401
    )
    assert (
        deliver(tools, clock, "formspree", secret=SECRETS["CALENDLY_SIGNING_KEY"]).status_code
        == 401
    )


def test_a_calendly_cancellation_is_acknowledged_and_not_a_lead(tools, clock, engine):
    body = json.dumps({**CALENDLY, "event": "invitee.canceled"}).encode()
    headers = {
        "Content-Type": "application/json",
        "Calendly-Webhook-Signature": t_v1(SECRETS["CALENDLY_SIGNING_KEY"], body, now_s(clock)),
    }
    response = tools.post("/webhooks/leads/calendly", content=body, headers=headers)
    assert response.status_code == 202 and "ignored" in response.json()
    assert stored(engine) == []


def test_a_token_in_the_url_is_only_for_sources_that_take_one(tools, clock):
    response = tools.post(
        f"/webhooks/leads/cf7/{SECRETS['CF7_TOKEN']}",
        content=json.dumps(CF7),
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 404
    missing = tools.post(
        "/webhooks/leads/jotform",
        content=_multipart(JOTFORM),
        headers={"Content-Type": "multipart/form-data; boundary=----JotformBoundary7MA4YWxk"},
    )
    assert missing.status_code == 401 and "token" in missing.json()["error"]


def test_a_built_in_provider_still_takes_json_only(tools):
    response = tools.post("/webhooks/leads/typeform", data={"email": "x@y.example"})
    assert response.status_code == 415


def test_the_404_for_an_unknown_source_lists_the_configured_ones(tools):
    error = tools.post("/webhooks/leads/marketo", json={}).json()["error"]
    assert "typeform" in error and "calendly" in error and "jotform" in error


def test_a_typeform_quiz_score_below_zero_is_the_leads_score(tools, clock, engine):
    document = json.loads(payload("typeform.json"))
    document["form_response"]["calculated"] = {"score": -5}
    body = json.dumps(document).encode()
    headers = SIGNERS["typeform"](body, SECRETS["TYPEFORM_WEBHOOK_SECRET"], clock())
    headers["Content-Type"] = "application/json"
    assert tools.post("/webhooks/leads/typeform", content=body, headers=headers).status_code == 202
    [lead] = stored(engine)
    assert lead.data["score"] == -5


def test_a_typeform_answer_without_a_ref_takes_it_from_the_definition(tools, clock, engine):
    document = json.loads(payload("typeform.json"))
    for answer in document["form_response"]["answers"]:
        answer["field"].pop("ref")  # the example payload's answers name fields by id only
    body = json.dumps(document).encode()
    headers = SIGNERS["typeform"](body, SECRETS["TYPEFORM_WEBHOOK_SECRET"], clock())
    headers["Content-Type"] = "application/json"
    assert tools.post("/webhooks/leads/typeform", content=body, headers=headers).status_code == 202
    [lead] = stored(engine)
    assert lead.data["first_name"] == "Ada" and lead.data["employees"] == 1000


def test_tally_base64_signature_is_checked(tools, clock):
    body = payload("tally.json")
    good = base64.b64encode(
        hmac.new(SECRETS["TALLY_SIGNING_SECRET"].encode(), body, hashlib.sha256).digest()
    ).decode()
    headers = {"Content-Type": "application/json", "Tally-Signature": good}
    assert tools.post("/webhooks/leads/tally", content=body, headers=headers).status_code == 202


def test_a_token_in_the_url_never_reaches_the_access_log() -> None:
    import logging

    from bot.web.webhooks import RedactTokens

    path = f"/webhooks/leads/jotform/{SECRETS['JOTFORM_TOKEN']}"
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, "", 0, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", path, "1.1", 202), None,
    )  # fmt: skip
    RedactTokens().filter(record)
    assert SECRETS["JOTFORM_TOKEN"] not in record.getMessage()
    assert "/webhooks/leads/jotform/***" in record.getMessage()


def _hubspot_via_proxy(tools, clock, public_url: str, **headers: str):  # type: ignore[no-untyped-def]
    body = payload(FIXTURES["hubspot"])
    signed = SIGNERS["hubspot"](body, SECRETS["HUBSPOT_CLIENT_SECRET"], clock(), url=public_url)
    signed.update({"Content-Type": "application/json", **headers})
    return tools.post("/webhooks/leads/hubspot?team=emea", content=body, headers=signed)


def test_hubspot_behind_a_proxy_is_checked_against_the_url_hubspot_called(tools, clock):
    public = "http://leads.example.com/crm/webhooks/leads/hubspot?team=emea"
    forwarded = {"X-Forwarded-Host": "leads.example.com", "X-Forwarded-Prefix": "/crm"}
    assert _hubspot_via_proxy(tools, clock, public, **forwarded).status_code == 202


def test_hubspot_mismatch_names_the_url_checked_and_the_proxy_headers(tools, clock):
    public = "https://leads.example.com/crm/webhooks/leads/hubspot?team=emea"
    response = _hubspot_via_proxy(tools, clock, public)
    assert response.status_code == 401
    error = response.json()["error"]
    assert "http://testserver/webhooks/leads/hubspot?team=emea" in error
    assert "X-Forwarded-Host" in error and "LEADROUTER_ROOT_PATH" in error


def test_a_second_typeform_account_has_its_own_url_and_secret(tools, clock, engine):
    body = payload("typeform.json")
    for secret, status in (
        (SECRETS["TYPEFORM_WEBHOOK_SECRET"], 401),
        (SECRETS["TYPEFORM_EMEA_SECRET"], 202),
    ):
        headers = SIGNERS["typeform"](body, secret, clock())
        headers["Content-Type"] = "application/json"
        response = tools.post("/webhooks/leads/typeform-emea", content=body, headers=headers)
        assert response.status_code == status, response.text
    [lead] = stored(engine)
    assert lead.source == "typeform-emea" and lead.data["email"] == "ada@analytical.io"
