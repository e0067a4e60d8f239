"""Each provider's signature scheme: genuine requests pass, everything else is refused with a
message that says why and never leaks the secret or the expected signature."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.intake import PROVIDERS, MissingSecretError, SignatureError, UnknownProviderError
from bot.intake.registry import get_adapter
from tests.intake.intake_helpers import FIXTURES, HUBSPOT_URL, NOW, SIGNERS, payload, sign_hubspot

SECRET = "s3cr3t-for-tests-only"
TIMED = ["generic", "hubspot", "webflow"]  # providers whose signature carries a timestamp
REQUIRED_HEADERS = {
    "generic": ["X-Leadrouter-Timestamp", "X-Leadrouter-Signature"],
    "typeform": ["Typeform-Signature"],
    "hubspot": ["X-HubSpot-Signature-v3", "X-HubSpot-Request-Timestamp"],
    "tally": ["Tally-Signature"],
    "webflow": ["x-webflow-timestamp", "x-webflow-signature"],
}


def check(provider: str, headers: dict[str, str], body: bytes, now=NOW, secret=SECRET) -> None:
    PROVIDERS[provider].verify(headers, body, now, secret, method="POST", url=HUBSPOT_URL)


def rejection(provider: str, headers: dict[str, str], body: bytes, **kw) -> str:
    with pytest.raises(SignatureError) as caught:
        check(provider, headers, body, **kw)
    message = str(caught.value)
    assert SECRET not in message
    for value in headers.values():
        assert len(value) < 16 or value not in message  # no signature echoed back
    return message


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_genuine_request_is_accepted(provider: str) -> None:
    body = payload(FIXTURES[provider])
    check(provider, SIGNERS[provider](body, SECRET), body)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_header_names_are_case_insensitive(provider: str) -> None:
    body = payload(FIXTURES[provider])
    headers = {k.lower(): v for k, v in SIGNERS[provider](body, SECRET).items()}
    check(provider, headers, body)


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_tampered_body_is_rejected(provider: str) -> None:
    body = payload(FIXTURES[provider])
    headers = SIGNERS[provider](body, SECRET)
    tampered = body.replace(b"@", b"@evil.", 1)
    assert tampered != body
    assert rejection(provider, headers, tampered).startswith("signature does not match")


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_signature_made_with_another_secret_is_rejected(provider: str) -> None:
    body = payload(FIXTURES[provider])
    headers = SIGNERS[provider](body, "not-the-configured-secret")
    assert rejection(provider, headers, body).startswith("signature does not match")


@pytest.mark.parametrize(
    ("provider", "missing"), [(p, h) for p, names in REQUIRED_HEADERS.items() for h in names]
)
def test_missing_header_is_named(provider: str, missing: str) -> None:
    body = payload(FIXTURES[provider])
    headers = {
        k: v for k, v in SIGNERS[provider](body, SECRET).items() if k.lower() != missing.lower()
    }
    assert rejection(provider, headers, body) == f"missing {missing} header"


@pytest.mark.parametrize("provider", TIMED)
def test_stale_timestamp_is_rejected_with_its_age(provider: str) -> None:
    body = payload(FIXTURES[provider])
    headers = SIGNERS[provider](body, SECRET, NOW - timedelta(seconds=412))
    assert rejection(provider, headers, body) == "timestamp is 412 s old (limit 300 s)"


@pytest.mark.parametrize("provider", TIMED)
def test_timestamp_from_the_future_is_rejected(provider: str) -> None:
    body = payload(FIXTURES[provider])
    headers = SIGNERS[provider](body, SECRET, NOW + timedelta(seconds=301))
    assert rejection(provider, headers, body) == "timestamp is 301 s in the future (limit 300 s)"


@pytest.mark.parametrize("provider", TIMED)
def test_timestamp_exactly_five_minutes_old_is_still_accepted(provider: str) -> None:
    body = payload(FIXTURES[provider])
    check(provider, SIGNERS[provider](body, SECRET, NOW - timedelta(seconds=300)), body)


def test_generic_timestamp_that_is_not_a_number_is_rejected() -> None:
    body = payload("generic.json")
    headers = SIGNERS["generic"](body, SECRET) | {"X-Leadrouter-Timestamp": "yesterday"}
    message = rejection("generic", headers, body)
    assert message == "X-Leadrouter-Timestamp is not a unix time in seconds: 'yesterday'"


def test_generic_signature_without_version_prefix_is_rejected() -> None:
    body = payload("generic.json")
    headers = SIGNERS["generic"](body, SECRET)
    headers["X-Leadrouter-Signature"] = headers["X-Leadrouter-Signature"].removeprefix("v1=")
    assert "must look like 'v1=<hex>'" in rejection("generic", headers, body)


def test_generic_accepts_either_signature_while_a_secret_is_rotated() -> None:
    body = payload("generic.json")
    old = SIGNERS["generic"](body, "old-secret")["X-Leadrouter-Signature"]
    headers = SIGNERS["generic"](body, SECRET)
    headers["X-Leadrouter-Signature"] = f"{old}, {headers['X-Leadrouter-Signature']}"
    check("generic", headers, body)


def test_typeform_signature_without_sha256_prefix_is_rejected() -> None:
    body = payload("typeform.json")
    headers = SIGNERS["typeform"](body, SECRET)
    headers["Typeform-Signature"] = headers["Typeform-Signature"].removeprefix("sha256=")
    assert "must look like 'sha256=<base64>'" in rejection("typeform", headers, body)


def test_hubspot_signature_covers_the_url_with_its_escapes_decoded() -> None:
    body = payload("hubspot_contact.json")
    url = "https://leads.example.com/webhooks/leads/hubspot?next=%2Fhome%3Fa%3Ab&who=%40ops"
    headers = sign_hubspot(body, SECRET, url=url)
    PROVIDERS["hubspot"].verify(headers, body, NOW, SECRET, method="POST", url=url)


def test_hubspot_signature_for_another_url_is_rejected() -> None:
    body = payload("hubspot_contact.json")
    headers = sign_hubspot(body, SECRET, url="https://elsewhere.example.com/hook")
    reason = rejection("hubspot", headers, body)
    # it says which URL was checked, and how a proxy must pass the public one
    assert reason.startswith("signature does not match for the URL checked, " + HUBSPOT_URL)
    assert "X-Forwarded-Host" in reason and "X-Forwarded-Prefix" in reason


def test_hubspot_signature_for_another_method_is_rejected() -> None:
    body = payload("hubspot_contact.json")
    headers = sign_hubspot(body, SECRET, method="PUT")
    assert rejection("hubspot", headers, body).startswith("signature does not match")


def test_hubspot_verification_needs_the_request_line() -> None:
    body = payload("hubspot_contact.json")
    with pytest.raises(ValueError, match="method and full URL"):
        PROVIDERS["hubspot"].verify(sign_hubspot(body, SECRET), body, NOW, SECRET)
    assert PROVIDERS["hubspot"].needs_request_line


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_provider_without_configured_secret_is_refused(provider: str) -> None:
    body = payload(FIXTURES[provider])
    with pytest.raises(MissingSecretError) as caught:
        check(provider, SIGNERS[provider](body, SECRET), body, secret="")
    assert PROVIDERS[provider].secret_setting in str(caught.value)


def test_registry_lists_the_five_providers_and_misses_unknown_ones() -> None:
    assert sorted(PROVIDERS) == ["generic", "hubspot", "tally", "typeform", "webflow"]
    assert "jotform" not in PROVIDERS
    with pytest.raises(UnknownProviderError, match="unknown lead provider 'jotform'"):
        get_adapter("jotform")


def test_naive_now_is_a_programming_error() -> None:
    body = payload("generic.json")
    with pytest.raises(ValueError, match="timezone-aware"):
        check("generic", SIGNERS["generic"](body, SECRET), body, now=NOW.replace(tzinfo=None))
