"""A PostgreSQL schema of its own, for tests that start other processes or connections."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, create_engine, text

from storage.db import database_url
from storage.migrate import upgrade
from tests.conftest import TEST_DATABASE_URL


@dataclass(frozen=True)
class Schema:
    url: str
    name: str

    def engine(self, application_name: str = "leadrouter-tests") -> Engine:
        return create_engine(
            self.url,
            connect_args={
                "options": f"-csearch_path={self.name}",
                "application_name": application_name,
            },
        )


@pytest.fixture
def pg_schema() -> Iterator[Schema]:
    """A freshly migrated schema in TEST_DATABASE_URL (unreachable: the test fails)."""
    assert TEST_DATABASE_URL, "marked postgres: runs only with TEST_DATABASE_URL"
    url = database_url(TEST_DATABASE_URL)
    schema = Schema(url, f"t_{uuid.uuid4().hex[:12]}")
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema.name}"'))
    engine = schema.engine()
    try:
        upgrade(engine)
        engine.dispose()
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema.name}" CASCADE'))
        admin.dispose()
