"""Group commit for intake: leads that arrive while a transaction is being written wait for the
next one, and go in it together (storage.intake.intake_many).

One writer thread takes whatever is waiting (up to `max_batch`), writes it in one transaction
and answers each caller through its Future, then takes the next. A lone lead goes at once, so a
quiet server adds no wait; a busy one pays for the routing lock, the routing state and each
statement once per batch instead of once per lead. Every caller is answered after the COMMIT
that stored its lead, as before.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from contextlib import suppress
from dataclasses import dataclass

from sqlalchemy import Connection, Engine

from routing import RoutingConfig
from storage.intake import IntakeRequest, IntakeResult, intake_many

log = logging.getLogger(__name__)

_STOP = None
Outcome = IntakeResult | Exception
Settled = tuple["Future[IntakeResult] | asyncio.Future[IntakeResult]", Outcome]


@dataclass
class _Waiting:
    request: IntakeRequest
    future: Future[IntakeResult] | asyncio.Future[IntakeResult]
    loop: asyncio.AbstractEventLoop | None = None  # set for an asyncio caller


class IntakeQueue:
    def __init__(
        self,
        engine: Engine,
        config: RoutingConfig,
        *,
        max_batch: int = 64,
        on_batch: Callable[[int], None] = lambda size: None,
    ) -> None:
        self.engine = engine
        self.config = config
        self.max_batch = max_batch
        self.on_batch = on_batch  # told each batch's size (for metrics)
        self._waiting: queue.SimpleQueue[_Waiting | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._start = threading.Lock()

    def submit(self, request: IntakeRequest) -> Future[IntakeResult]:
        """The lead's result once its transaction has committed (or the error that stopped it)."""
        future: Future[IntakeResult] = Future()
        self._ensure_writer()
        self._waiting.put(_Waiting(request, future))
        return future

    async def write(self, request: IntakeRequest) -> IntakeResult:
        """`submit` for a coroutine: the writer wakes each event loop once per batch, not once
        per lead."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[IntakeResult] = loop.create_future()
        self._ensure_writer()
        self._waiting.put(_Waiting(request, future, loop))
        return await future

    def close(self, timeout: float = 10.0) -> None:
        """Write what is waiting, then stop the writer."""
        with self._start:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._waiting.put(_STOP)
            writer.join(timeout)
        # whatever came in behind the stop (a caller racing with close) is written here
        left = []
        while True:
            try:
                item = self._waiting.get_nowait()
            except queue.Empty:
                break
            if item is not _STOP:
                left.append(item)
        for start in range(0, len(left), self.max_batch):
            self._write(left[start : start + self.max_batch])

    def _ensure_writer(self) -> None:
        if self._writer is not None:
            return
        with self._start:
            if self._writer is None:
                self._writer = threading.Thread(
                    target=self._write_forever, name="intake-writer", daemon=True
                )
                self._writer.start()

    def _write_forever(self) -> None:
        # One connection for the writer's life: no pool checkout (and, on PostgreSQL, no
        # pre-ping round trip) per batch. SQLAlchemy reconnects it if the database went away.
        conn: Connection | None = None
        try:
            while (batch := self._next_batch()) is not None:
                if conn is None:
                    with suppress(Exception):  # (if not, the batch fails with the reason)
                        conn = self.engine.connect()
                self._write(batch, conn)
        finally:  # however it ends, the next caller starts a new writer
            if conn is not None:
                conn.close()
            with self._start:
                if self._writer is threading.current_thread():
                    self._writer = None

    def _next_batch(self) -> list[_Waiting] | None:
        """What is waiting (at least one lead; up to max_batch), or None when told to stop."""
        first = self._waiting.get()
        if first is _STOP:
            return None
        batch = [first]
        while len(batch) < self.max_batch:
            try:
                item = self._waiting.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                self._waiting.put(_STOP)  # after this batch
                break
            batch.append(item)
        return batch

    def _write(self, batch: list[_Waiting], conn: Connection | None = None) -> None:
        """Write the batch and answer every caller, whatever happens."""
        try:
            outcomes: list[Outcome] = intake_many(
                self.engine, self.config, [waiting.request for waiting in batch], conn=conn
            )
        except BaseException as exc:  # intake_many answers per lead; this is a last resort
            log.exception("intake batch of %d failed", len(batch))
            outcomes = [exc if isinstance(exc, Exception) else RuntimeError(exc)] * len(batch)
        by_loop: dict[asyncio.AbstractEventLoop, list[Settled]] = {}
        for waiting, outcome in zip(batch, outcomes, strict=True):
            if waiting.loop is None:
                _settle([(waiting.future, outcome)])
            else:
                by_loop.setdefault(waiting.loop, []).append((waiting.future, outcome))
        for loop, settled in by_loop.items():
            with suppress(RuntimeError):  # that loop has closed: nobody is waiting any more
                loop.call_soon_threadsafe(_settle, settled)
        try:
            self.on_batch(len(batch))
        except Exception:
            log.exception("intake batch callback failed")


def _settle(settled: list[Settled]) -> None:
    for future, outcome in settled:
        # a caller that went away (cancelled) is skipped; its lead is stored all the same
        with suppress(InvalidStateError, asyncio.InvalidStateError):
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
