"""What both CRM stand-ins share: an HTTP server on 127.0.0.1 in a thread (uvicorn, as
slack_standin runs), the calls it answered, scripted faults, latency and a clock a test can
move. Each CRM's own rules (auth, limits, bodies) live in its package."""

from __future__ import annotations

import copy
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import uvicorn
from starlette.applications import Starlette

from slack_standin.clock import StandinClock

T = TypeVar("T")


@dataclass
class Call:
    """One request the stand-in answered, as a test inspects it."""

    route: str  # a stable name: "contacts.search", "sobjects.create", "oauth.token", …
    method: str
    path: str
    query: dict[str, str]
    body: Any  # the JSON (or form) body read, or None
    status: int
    answer: Any  # the JSON answered (None for 204 or an HTML page)
    at: float  # the stand-in's clock, on arrival
    fault: str | None = None  # the scripted fault that shaped the answer, if any
    token: str | None = None


@dataclass
class Fault:
    """A scripted answer for the next `times` calls of a route (None: of every route)."""

    route: str | None
    times: int
    status: int | None = None  # answer this instead of doing the work (503, 502, 500, …)
    body: bytes = b""
    content_type: str = "text/html"
    delay: float = 0.0  # stall first (a client with a shorter timeout gives up)
    late: float = 0.0  # do the work, then hold the answer back this long
    headers: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        if self.status is not None:
            return f"http {self.status}"
        if self.late:
            return f"applied, answered {self.late}s late"
        return f"delay {self.delay}s"


class FaultPlan:
    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> Fault:
        if fault.times < 1:
            raise ValueError("a fault must apply to at least one call")
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, route: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.route in (None, route):
                    fault.times -= 1
                    if fault.times == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def correlation_id() -> str:
    return str(uuid.uuid4())


class StandinServer:
    """Start, stop, calls, faults and latency; subclasses build `self.app` and the state."""

    name = "crm-standin"

    def __init__(self, *, port: int = 0) -> None:
        self.requested_port = port
        self.lock = threading.RLock()
        self.clock = StandinClock()  # real time plus an offset (a limit's window, a token's life)
        self.faults = FaultPlan()
        self.latency: tuple[float, float] | None = None
        self.log: list[Call] = []
        self.app: Starlette | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # lifecycle -------------------------------------------------------------
    def start(self) -> StandinServer:
        if self._server is not None:
            return self
        assert self.app is not None
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", self.requested_port))
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=self.name, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the {self.name} did not start")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self: T) -> T:
        self.start()  # type: ignore[attr-defined]
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Calls, faults, latency and the clock back to nothing (subclasses clear their data)."""
        self.faults.clear()
        self.clock.reset()
        with self.lock:
            self.latency = None
            self.log.clear()

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("start() the stand-in first")
        return f"http://127.0.0.1:{self._port}"

    # faults and realism ------------------------------------------------------
    def outage(
        self, route: str | None = None, *, times: int = 1, status: int = 503, body: bytes = b""
    ) -> Fault:
        """An HTML error page from the CRM's edge (load balancer / CDN), not its API."""
        page = (
            body
            or (
                f"<html><head><title>{status}</title></head><body><h1>{status} "
                "Service Temporarily Unavailable</h1></body></html>"
            ).encode()
        )
        return self.faults.add(Fault(route, times, status=status, body=page))

    def slow(self, route: str | None, seconds: float, *, times: int = 1) -> Fault:
        """Stall, then do the work and answer normally (a client that gave up never knows)."""
        return self.faults.add(Fault(route, times, delay=seconds))

    def answer_late(self, route: str | None, seconds: float, *, times: int = 1) -> Fault:
        """Do the work at once, answer `seconds` later: a client timing out first has had its
        record created all the same (what a timeout looks like from the CRM's side)."""
        return self.faults.add(Fault(route, times, late=seconds))

    def realistic(self, latency: tuple[float, float] | None = (0.05, 0.25)) -> None:
        """A round trip drawn uniformly per call (seconds)."""
        with self.lock:
            self.latency = latency

    # inspection --------------------------------------------------------------
    def calls(self, route: str | None = None) -> list[Call]:
        with self.lock:
            return copy.deepcopy([c for c in self.log if route in (None, c.route)])

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 5.0, interval: float = 0.02
    ) -> T:
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                seen = ", ".join(f"{c.route}:{c.status}" for c in self.calls())
                raise TimeoutError(f"condition not met within {timeout}s; calls: [{seen}]")
            time.sleep(interval)
