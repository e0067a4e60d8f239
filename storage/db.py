"""Engine and transactions for SQLite (the embedded default) and PostgreSQL (several replicas).

SQLite: WAL so readers never wait for the writer, a busy timeout instead of instant "database
is locked", foreign keys on, and write transactions that start with BEGIN IMMEDIATE so two
writers queue up rather than deadlock when both upgrade a read lock.
PostgreSQL: psycopg 3; compare-and-set updates and SKIP LOCKED make several processes safe;
connect and statement timeouts, so a frozen server fails requests instead of hanging them.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

DEFAULT_DATABASE_URL = "sqlite:///leadrouter.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 5
PG_STATEMENT_TIMEOUT_MS = 15_000  # the slowest query we run (a 90-day report) takes ~1 s


def database_url(url: str | None = None) -> str:
    url = url or os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    # Hosted PostgreSQL hands out postgres:// or postgresql:// URLs; we drive it with psycopg 3.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str | None = None, *, pool_size: int = 10) -> Engine:
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    # A database that stops answering must not hold requests forever: connecting, waiting for
    # a pooled connection and each statement give up (and the webhook answers 503, retry).
    connect_args: dict[str, Any] = {"connect_timeout": PG_CONNECT_TIMEOUT_S}
    if "options" not in parsed.query:  # (options in the URL are the operator's: kept as given)
        connect_args["options"] = f"-c statement_timeout={PG_STATEMENT_TIMEOUT_MS}"
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=20,
        pool_pre_ping=True,
        pool_timeout=PG_CONNECT_TIMEOUT_S,
        connect_args=connect_args,
    )


def _sqlite_engine(url: str) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
        pool_size=20,
        max_overflow=20,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (below)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    # SQLite's busy handler polls with growing sleeps, so under many writers newcomers keep
    # overtaking those who waited longest (seconds of tail latency). Writers of this process
    # queue on a lock first; SQLite's own locking still guards against other processes.
    writer = threading.Lock()
    holder: list[Any] = [None, None]  # the Connection and pooled DBAPI connection holding it

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get("read_only", False):
            conn.exec_driver_sql("BEGIN")
            return
        if not writer.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000):
            raise TimeoutError("waited too long for the SQLite writer lock")
        holder[:] = [conn, conn.connection]
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(holder[1])
            raise

    def _release(dbapi_connection: Any) -> None:
        if dbapi_connection is not None and holder[1] is dbapi_connection:
            holder[:] = [None, None]
            writer.release()

    # Released once COMMIT or ROLLBACK has run, not before (SQLAlchemy's commit event fires
    # before it): a writer let in earlier would find the database still locked and sleep in
    # SQLite's busy handler (under 16 writers that halved throughput).
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            _release(dbapi_connection)

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            _release(dbapi_connection)

    @event.listens_for(engine, "rollback")
    def _on_rollback(conn) -> None:  # type: ignore[no-untyped-def]
        if conn is holder[0] and conn.invalidated:  # no ROLLBACK will run on a lost connection
            _release(holder[1])

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]
    return engine


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One write transaction: committed on success, rolled back on any error."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


@contextmanager
def read_only(engine: Engine) -> Iterator[Session]:
    """A read transaction that never waits for, or blocks, SQLite's single writer."""
    read_engine = engine.execution_options(read_only=True)
    with Session(read_engine, expire_on_commit=False) as session, session.begin():
        yield session


ROUTING_LOCK_SQL = "SELECT pg_advisory_xact_lock(7436501)"


def serialize_routing(bind: Session | Connection) -> bool:
    """Take the routing lock for the rest of the transaction; True when that is a lock of its
    own (PostgreSQL), False when the transaction already excludes every other writer (SQLite).

    Rotation credits and open-lead counts are read, decided on and written back; two
    transactions doing that at once could hand out one round-robin slot twice. SQLite already
    serializes writers (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped advisory lock,
    once per transaction however often this is called.
    """
    conn = bind.connection() if isinstance(bind, Session) else bind
    if conn.dialect.name != "postgresql":
        return False
    current = conn.get_transaction()
    if conn.info.get("routing_lock") is not current:
        conn.execute(text(ROUTING_LOCK_SQL))
        conn.info["routing_lock"] = current
    return True


def ping(engine: Engine) -> None:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
