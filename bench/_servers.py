"""Servers for the HTTP benchmarks: throwaway databases, server subprocesses, the floor app.

The benchmark process is the client; every server runs in its own subprocess so client and
server never share a GIL. Servers are started exactly as an operator would start them
(`leadrouter serve`), plus two helpers run as `python -m bench._servers ...`:

    floor        a bare FastAPI endpoint that parses the JSON body and inserts one row, served
                 by uvicorn like `leadrouter serve` is: the floor our intake is measured against
    timed-serve  `leadrouter serve` itself, with an ASGI wrapper that adds a
                 `Server-Timing: app;dur=<ms>` header to every response, so a benchmark can
                 read the server-side time of each request
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
FLOOR_TABLE = "floor_leads"
SQLITE_BUSY_TIMEOUT_MS = 30_000  # as storage/db.py
_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- databases ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchDatabase:
    """A fresh, empty database that lives for one benchmark run."""

    kind: str  # "sqlite" or "postgresql"
    url: str  # SQLAlchemy URL, as DATABASE_URL takes it

    def count(self, table: str) -> int:
        if not re.fullmatch(r"[a-z_]+", table):
            raise ValueError(f"not a table name: {table!r}")
        if self.kind == "sqlite":
            with sqlite3.connect(self.url.removeprefix("sqlite:///")) as conn:
                return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        import psycopg

        with psycopg.connect(_libpq_url(self.url)) as conn:
            row = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            return int(row[0]) if row else 0


def _libpq_url(url: str) -> str:
    return re.sub(r"^postgresql\+psycopg://", "postgresql://", url)


@contextmanager
def sqlite_database(directory: Path, name: str) -> Iterator[BenchDatabase]:
    path = directory / f"{name}.db"
    yield BenchDatabase("sqlite", f"sqlite:///{path}")


def postgres_available(admin_url: str) -> str | None:
    """None when we can create databases at `admin_url`, else why not."""
    import psycopg

    try:
        with psycopg.connect(admin_url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0]}"
    return None


@contextmanager
def postgres_database(admin_url: str, name: str) -> Iterator[BenchDatabase]:
    """CREATE DATABASE bench_<name>_<random> on the admin URL's server; dropped afterwards."""
    import psycopg
    from psycopg import sql

    database = f"bench_{name}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    base = re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql+psycopg://", admin_url)
    url = base.rsplit("/", 1)[0] + f"/{database}"
    try:
        yield BenchDatabase("postgresql", url)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database))
            )


# --- server subprocesses ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def leadrouter_command() -> list[str]:
    script = BIN / "leadrouter"
    if script.exists():
        return [str(script)]
    found = shutil.which("leadrouter")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def clean_env(**settings: str) -> dict[str, str]:
    """The parent's environment without any leadrouter setting, plus `settings`."""
    ours = re.compile(r"^(SLACK_|DATABASE_URL$|ROUTING_CONFIG$|WEBHOOK_SECRET$|LEADROUTER_)")
    env = {k: v for k, v in os.environ.items() if not ours.match(k)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(settings)
    return env


@dataclass
class ServerProcess:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    def cpu_seconds(self) -> float:
        """User + system CPU time the server process has used so far (Linux /proc)."""
        try:
            stat = Path(f"/proc/{self.process.pid}/stat").read_text()
        except OSError:
            return float("nan")
        fields = stat.rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS  # utime, stime

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)  # uvicorn's graceful shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_server(
    name: str,
    argv: list[str],
    env: dict[str, str],
    port: int,
    workdir: Path,
    *,
    timeout: float = 60.0,
) -> ServerProcess:
    """Start `argv` and wait until GET /healthz answers 200 (or fail with the log's tail)."""
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        argv, env=env, cwd=workdir, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
    )
    log.close()  # the child holds its own descriptor
    server = ServerProcess(name, process, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2) as http:
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.log_tail()}")
            with suppress(httpx.HTTPError):
                if http.get(f"{server.url}/healthz").status_code == 200:
                    return server
            if time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"{name} did not answer /healthz in {timeout:.0f} s")
            time.sleep(0.05)


def machine_busy_seconds() -> float:
    """CPU-seconds every core of the machine has spent busy since boot (Linux /proc/stat)."""
    try:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return float("nan")
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / _CLOCK_TICKS  # guest time is already inside user


@contextmanager
def running(server: ServerProcess) -> Iterator[ServerProcess]:
    try:
        yield server
    finally:
        server.stop()


def start_leadrouter(
    database: BenchDatabase,
    workdir: Path,
    *,
    name: str = "leadrouter",
    scheduler: bool = False,
    timed: bool = False,
    **settings: str,
) -> ServerProcess:
    """`leadrouter serve` on a free port; `timed` runs it under the Server-Timing wrapper."""
    port = free_port()
    command = [sys.executable, "-m", "bench._servers", "timed-serve"] if timed else None
    argv = [*(command or [*leadrouter_command(), "serve"]), "--port", str(port)]
    if not scheduler:
        argv.append("--no-scheduler")
    env = clean_env(DATABASE_URL=database.url, **settings)
    return start_server(name, argv, env, port, workdir)


def start_floor(database: BenchDatabase, workdir: Path, *, name: str = "floor") -> ServerProcess:
    port = free_port()
    argv = [sys.executable, "-m", "bench._servers", "floor", "--port", str(port)]
    return start_server(name, argv, clean_env(FLOOR_DATABASE_URL=database.url), port, workdir)


# --- the floor: parse JSON, insert one row ------------------------------------------------------


class FloorStore:
    """One INSERT per lead, one connection per worker thread, the same SQLite settings as
    storage/db.py (WAL, busy timeout, synchronous=NORMAL) or psycopg 3 on PostgreSQL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite:///")
        self.local = threading.local()
        with self._connection_scope() as conn:
            if self.sqlite:
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id INTEGER PRIMARY KEY, "
                    "email TEXT, company TEXT, payload TEXT NOT NULL, received_at TEXT NOT NULL)"
                )
            else:
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {FLOOR_TABLE} (id BIGSERIAL PRIMARY KEY, "
                    "email TEXT, company TEXT, payload TEXT NOT NULL, "
                    "received_at TIMESTAMPTZ NOT NULL)"
                )

    @contextmanager
    def _connection_scope(self) -> Iterator[Any]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    def _connect(self) -> Any:
        if self.sqlite:
            conn = sqlite3.connect(
                self.url.removeprefix("sqlite:///"),
                timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # autocommit: the INSERT is its own transaction
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn
        import psycopg

        return psycopg.connect(_libpq_url(self.url), autocommit=True)

    def insert(self, email: Any, company: Any, payload: str) -> int:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = self._connect()
        now = datetime.now(UTC)
        values = (_text(email), _text(company), payload)
        if self.sqlite:
            cursor = conn.execute(
                f"INSERT INTO {FLOOR_TABLE} (email, company, payload, received_at) "
                "VALUES (?, ?, ?, ?)",
                (*values, now.isoformat()),
            )
            return int(cursor.lastrowid)
        row = conn.execute(
            f"INSERT INTO {FLOOR_TABLE} (email, company, payload, received_at) "
            "VALUES (%s, %s, %s, %s) RETURNING id",
            (*values, now),
        ).fetchone()
        return int(row[0])


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def floor_app(database_url: str) -> FastAPI:
    store = FloorStore(database_url)
    app = FastAPI(title="intake floor")

    @app.post("/webhooks/leads", status_code=202)
    async def receive(request: Request) -> JSONResponse:
        body = await request.body()
        try:
            payload = json.loads(body)
        except ValueError:
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
        # the database call leaves the event loop, as leadrouter's intake does
        lead_id = await run_in_threadpool(
            store.insert, payload.get("email"), payload.get("company"), body.decode()
        )
        return JSONResponse({"lead_id": lead_id}, status_code=202)

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app


# --- Server-Timing around `leadrouter serve` ----------------------------------------------------

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ServerTiming:
    """ASGI wrapper: time from the app being called to the response head being sent."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed_ms = (time.perf_counter() - started) * 1000
                header = (b"server-timing", f"app;dur={elapsed_ms:.3f}".encode())
                message = {**message, "headers": [*message.get("headers", []), header]}
            await send(message)

        await self.app(scope, receive, timed_send)


def server_timing_ms(headers: httpx.Headers) -> float | None:
    match = re.search(r"app;dur=([0-9.]+)", headers.get("server-timing", ""))
    return float(match.group(1)) if match else None


def _timed_serve(args: list[str]) -> None:
    """Run the real `leadrouter serve` command; only uvicorn.run is wrapped, to add the header."""
    import uvicorn

    from bot.cli import app

    real_run = uvicorn.run

    def run_timed(asgi_app: ASGIApp, **options: Any) -> None:
        real_run(ServerTiming(asgi_app), **options)

    uvicorn.run = run_timed  # type: ignore[assignment]
    app(args=["serve", *args], prog_name="leadrouter")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench._servers", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    floor = commands.add_parser("floor", help="serve the bare JSON-to-one-row endpoint")
    floor.add_argument("--host", default="127.0.0.1")
    floor.add_argument("--port", type=int, default=8001)
    floor.add_argument("--database-url", default=os.environ.get("FLOOR_DATABASE_URL"))
    commands.add_parser("timed-serve", help="leadrouter serve with Server-Timing headers")
    args, rest = parser.parse_known_args(argv)
    if args.command == "timed-serve":
        _timed_serve(rest)
        return
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if not args.database_url:
        parser.error("--database-url (or FLOOR_DATABASE_URL) is required")
    import uvicorn

    # as `leadrouter serve` runs uvicorn: same defaults, INFO logging with the access log
    uvicorn.run(floor_app(args.database_url), host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
