"""Shared fixtures: a migrated database per test, on SQLite and (when configured) PostgreSQL.

PostgreSQL tests run when TEST_DATABASE_URL is set. CI sets it; if the server is unreachable
those tests fail rather than skip, so a green run always means both databases were tested.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, create_engine, text

from storage.db import database_url, make_engine
from storage.migrate import upgrade
from tests.support.crm import running_hubspot, running_salesforce  # noqa: F401 (CRM stand-ins)

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if TEST_DATABASE_URL:
        return
    skip = pytest.mark.skip(reason="set TEST_DATABASE_URL to run the PostgreSQL tests")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


@pytest.fixture
def now() -> datetime:
    # A Monday, 15:00 UTC: inside working hours from Europe to the US west coast.
    return datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _postgres_engine(schema: str) -> Engine:
    assert TEST_DATABASE_URL
    url = database_url(TEST_DATABASE_URL)
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    admin.dispose()
    return create_engine(
        url, connect_args={"options": f"-csearch_path={schema}"}, pool_size=20, max_overflow=40
    )


def _drop_postgres_schema(schema: str) -> None:
    assert TEST_DATABASE_URL
    admin = create_engine(database_url(TEST_DATABASE_URL))
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=DATABASES)
def engine(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    """A freshly migrated database: SQLite in a temp file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'leadrouter.db'}")
        upgrade(engine)
        yield engine
        engine.dispose()
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = _postgres_engine(schema)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
        _drop_postgres_schema(schema)
