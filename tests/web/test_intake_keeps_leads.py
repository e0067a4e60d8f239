"""Issue 13 through HTTP: an authentic lead is kept whatever its answers, bad input is a 4xx
naming the reason, and database trouble is a 503 the sender retries."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from bot.slack.cards import render_card
from storage.models import Assignment, LeadRow
from tests.web.conftest import post_lead, sign_generic


def stored(engine) -> list[LeadRow]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return list(session.exec(select(LeadRow).order_by(LeadRow.id)))


def trace_of(engine, lead_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    with Session(engine) as session:
        return session.exec(select(Assignment.trace).where(Assignment.lead_id == lead_id)).one()


def test_an_unreadable_answer_is_kept_and_the_card_and_trace_say_so(client, clock, engine, runtime):
    response = post_lead(
        client, clock, {"email": "kim@acme.io", "employees": "Prefer not to say", "country": "DE"}
    )
    assert response.status_code == 202
    note = "employees 'Prefer not to say' not understood"
    assert response.json()["reason"].endswith("; " + note)
    [lead] = stored(engine)
    assert lead.data["custom"]["employees"] == "Prefer not to say"
    assert lead.data["country"] == "DE"  # routed on what was understood
    assert note in trace_of(engine, lead.id)
    card = json.dumps(render_card(lead, runtime.config, clock()).blocks)
    assert "*Why:*" in card and "Prefer not to say" in card


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b'{"email": "kim@acme.io", "company": "Ac\\u0000me"}', "NUL character"),
        (b'{"a":' * 5000 + b"1" + b"}" * 5000, "nested deeper"),
        (b'{"email": "kim@acme.io", "score": ' + b"9" * 5000 + b"}", "number too long"),
        (b'{"email": "kim@acme.io", "score": 1e999}', "too large"),
        (b'{"email": "kim@acme.io", "score": NaN}', "NaN"),
    ],
    ids=["nul", "deep", "long-int", "inf", "nan"],
)
def test_a_body_that_cannot_be_stored_is_400_naming_why(client, clock, engine, payload, reason):
    headers = sign_generic(payload, int(clock().timestamp()))
    response = client.post("/webhooks/leads", content=payload, headers=headers)
    assert response.status_code == 400, response.text
    assert reason in response.json()["error"]
    assert stored(engine) == []


def test_a_timestamp_with_a_superscript_digit_is_401_not_500(client, clock):
    body = b'{"email": "kim@acme.io"}'
    headers = sign_generic(body, int(clock().timestamp()))
    headers["X-Leadrouter-Timestamp"] = "17145558\u00b2"
    response = client.post(
        "/webhooks/leads",
        content=body,
        headers={k: v.encode("latin-1") for k, v in headers.items()},  # type: ignore[misc]
    )
    assert response.status_code == 401
    assert "not a unix time" in response.json()["error"]


def test_a_long_idempotency_key_is_400_and_stores_nothing(client, clock, engine):
    response = post_lead(client, clock, {"email": "kim@acme.io"}, **{"Idempotency-Key": "k" * 400})
    assert response.status_code == 400
    assert "Idempotency-Key is 400 characters long" in response.json()["error"]
    assert stored(engine) == []
    ok = post_lead(client, clock, {"email": "kim@acme.io"}, **{"Idempotency-Key": "k" * 255})
    assert ok.status_code == 202


def test_a_long_delivery_id_in_the_body_is_kept_by_its_hash(client, clock, engine):
    payload = {"email": "kim@acme.io", "idempotency_key": "form-" + "9" * 400}
    first = post_lead(client, clock, payload)
    again = post_lead(client, clock, payload)
    assert first.status_code == again.status_code == 202
    assert again.headers.get("Idempotent-Replay") == "true" and len(stored(engine)) == 1


def test_without_a_delivery_id_the_same_body_is_a_retry_within_the_window_only(
    client, clock, engine, runtime
):
    payload = {"email": "kim@acme.io", "company": "Acme"}
    first = post_lead(client, clock, payload)
    again = post_lead(client, clock, payload)
    assert again.headers.get("Idempotent-Replay") == "true"
    assert again.json() == first.json()
    clock.current += runtime.config.intake.retry_window + timedelta(minutes=1)
    later = post_lead(client, clock, payload)  # next day, same answers: a new touch
    assert later.status_code == 202 and "Idempotent-Replay" not in later.headers
    assert later.json()["duplicate"] is True  # joins the open lead from the same person
    assert len(stored(engine)) == 1 and stored(engine)[0].touches == 2


@contextmanager
def read_only(engine) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The database refuses every write, as a read-only file or a standby does."""
    sql = (
        "SET default_transaction_read_only = on"
        if engine.dialect.name == "postgresql"
        else "PRAGMA query_only = ON"
    )

    def on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute(sql)
        cursor.close()
        if engine.dialect.name == "postgresql":
            dbapi_connection.commit()

    engine.dispose()
    event.listen(engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(engine, "connect", on_connect)
        engine.dispose()


def test_a_database_that_refuses_writes_is_a_503_with_retry_after(client, clock, engine, runtime):
    runtime.intake.close()  # its writer's connection was opened before: start afresh
    with read_only(engine):
        response = post_lead(client, clock, {"email": "kim@acme.io"})
        runtime.intake.close()
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "retry" in response.json()["error"]
    again = post_lead(client, clock, {"email": "kim@acme.io"})  # the sender's retry
    assert again.status_code == 202 and len(stored(engine)) == 1


def test_healthz_fails_when_the_database_cannot_be_written(client, engine):
    assert client.get("/healthz").status_code == 200
    with read_only(engine):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert "cannot be written" in response.json()["problem"]
    assert client.get("/healthz").status_code == 200


def test_healthz_fails_when_the_sqlite_disk_is_full(client, engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("max_page_count is SQLite's way to run out of room")

    def full(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
        dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    engine.dispose()
    event.listen(engine, "connect", full)
    try:
        response = client.get("/healthz")
    finally:
        event.remove(engine, "connect", full)
        engine.dispose()
    assert response.status_code == 503
    assert "full" in response.json()["problem"]


@contextmanager
def frozen(engine) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Another process holds what intake needs: SQLite's write lock, PostgreSQL's routing lock."""
    with engine.connect() as other:
        if engine.dialect.name == "postgresql":
            other.exec_driver_sql("SELECT pg_advisory_lock(7436501)")
        else:
            other.connection.driver_connection.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            if engine.dialect.name == "postgresql":
                other.exec_driver_sql("SELECT pg_advisory_unlock(7436501)")
                other.commit()
            else:
                other.connection.driver_connection.execute("ROLLBACK")


def test_a_frozen_database_is_a_503_in_seconds_and_the_retry_finds_the_lead(
    client, clock, engine, runtime
):
    runtime.settings.database_timeout = 0.5
    payload = {"email": "kim@acme.io", "company": "Acme"}
    with frozen(engine):
        started = time.monotonic()
        response = post_lead(client, clock, payload)
        waited = time.monotonic() - started
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert waited < 5
    runtime.intake.close()  # the writer stored the lead once the lock was let go
    retry = post_lead(client, clock, payload)
    assert retry.status_code == 202
    assert len(stored(engine)) == 1  # the retry is that lead, not a second one
    assert retry.headers.get("Idempotent-Replay") == "true"


@pytest.mark.postgres
def test_postgresql_connections_carry_a_statement_timeout() -> None:
    from tests.conftest import TEST_DATABASE_URL

    if not TEST_DATABASE_URL:
        pytest.skip("needs TEST_DATABASE_URL")
    from storage.db import PG_STATEMENT_TIMEOUT_MS, make_engine

    engine = make_engine(TEST_DATABASE_URL)
    try:
        with engine.connect() as conn:
            shown = conn.exec_driver_sql("SHOW statement_timeout").scalar()
    finally:
        engine.dispose()
    assert shown == f"{PG_STATEMENT_TIMEOUT_MS // 1000}s"
