import json
import time

from slack_sdk.signature import SignatureVerifier

from slack_standin import sign, signed_headers

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"


def test_signed_requests_pass_slack_sdks_verifier() -> None:
    body = "payload=" + json.dumps({"type": "block_actions"})
    headers = signed_headers(SECRET, body, "application/x-www-form-urlencoded")
    assert SignatureVerifier(SECRET).is_valid_request(body, headers)


def test_a_tampered_body_wrong_secret_or_stale_timestamp_fail_verification() -> None:
    body = b'{"type": "event_callback"}'
    headers = signed_headers(SECRET, body, "application/json")
    verifier = SignatureVerifier(SECRET)
    assert not verifier.is_valid_request(body.replace(b"event", b"evil"), headers)
    assert not SignatureVerifier("another-secret").is_valid_request(body, headers)
    stale = signed_headers(SECRET, body, "application/json", timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)


def test_the_signature_matches_slacks_documented_example() -> None:
    # The worked example in Slack's "Verifying requests from Slack" guide.
    body = (
        "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
        "&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect"
        "&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554"
        "%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
    )
    assert sign(SECRET, body, 1531420618) == (
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    )
