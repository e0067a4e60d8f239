"""Schema migrations (Alembic). Schema changes never drop and recreate: data stays."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 7436502  # pg advisory lock key (storage.db's routing lock is 7436501)


def _config(connection) -> Config:  # type: ignore[no-untyped-def]
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Replicas started together would each create the tables and all but one crash:
            # the first migrates, the others wait here, then find the schema at head.
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
            # a migration may rewrite a large table: no statement timeout (storage.db) here
            connection.execute(text("SET LOCAL statement_timeout = 0"))
        command.upgrade(_config(connection), revision)
        if connection.dialect.name == "sqlite":
            # SQLite keeps no statistics unless told to gather them, and without them its
            # planner can pick a worse index as tables grow. A bounded sample keeps this quick
            # on a large database; every start (serve upgrades) refreshes them.
            connection.exec_driver_sql("PRAGMA analysis_limit=1000")
            connection.exec_driver_sql("ANALYZE")


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config(None)).get_current_head()
    assert head is not None
    return head


def revision(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)
