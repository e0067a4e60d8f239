"""Migrations: a fresh database reaches head, and upgrading a database that holds leads
keeps every lead, one revision at a time."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import text

from routing import Lead
from storage import intake
from storage.db import make_engine
from storage.migrate import _config, current_revision, head_revision, upgrade
from tests.support.team import team


def test_a_new_database_is_upgraded_to_head(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()


def test_upgrading_step_by_step_keeps_every_lead(tmp_path, now):
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    revisions = [s.revision for s in ScriptDirectory.from_config(_config(None)).walk_revisions()]
    revisions.reverse()  # oldest first
    upgrade(engine, revisions[0])
    config = team()
    with engine.begin() as conn:  # leads written by the oldest schema, with plain SQL
        for n in range(20):
            conn.execute(
                text(
                    "INSERT INTO leads (created_at, source, email, data, state, reason, priority,"
                    " sla_seconds, escalation_step, escalation, open_to_pool, previous_owners,"
                    " touches) VALUES (:at, 'generic', :email, :data, 'assigned', '', 'normal',"
                    " 1800, 0, '[]', false, '[]', 1)"
                ),
                {
                    "at": now.replace(tzinfo=None),
                    "email": f"x{n}@ex.com",
                    "data": f'{{"email": "x{n}@ex.com"}}',
                },
            )
    for revision in revisions[1:]:
        upgrade(engine, revision)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM leads")).scalar() == 20, revision
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    # and the upgraded database still works
    result = intake.intake(engine, config, Lead(email="new@ex.com"), source="generic", now=now)
    assert result.lead_id == 21


def test_the_migrations_build_exactly_the_schema_the_models_describe(engine):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlmodel import SQLModel

    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), SQLModel.metadata)
    assert differences == [], "write a migration: leadrouter's storage.migrate.revision()"
