"""Group commit for intake: leads that arrive while a transaction is being written wait for the
next one, and go in it together (storage.intake.intake_many).

One writer thread takes whatever is waiting (up to `max_batch`), writes it in one transaction
and answers each caller through its Future, then takes the next. A lone lead goes at once, so a
quiet server adds no wait; a busy one pays for the routing lock, the routing state and each
statement once per batch instead of once per lead. Every caller is answered after the COMMIT
that stored its lead, as before.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from sqlalchemy import Engine

from routing import RoutingConfig
from storage.intake import IntakeRequest, IntakeResult, intake_many

log = logging.getLogger(__name__)

_STOP = None


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
        self._waiting: queue.SimpleQueue[tuple[IntakeRequest, Future[IntakeResult]] | None] = (
            queue.SimpleQueue()
        )
        self._writer: threading.Thread | None = None
        self._start = threading.Lock()

    def submit(self, request: IntakeRequest) -> Future[IntakeResult]:
        """The lead's result once its transaction has committed (or the error that stopped it)."""
        future: Future[IntakeResult] = Future()
        self._ensure_writer()
        self._waiting.put((request, future))
        return future

    def close(self, timeout: float = 10.0) -> None:
        """Write what is waiting, then stop the writer."""
        with self._start:
            writer, self._writer = self._writer, None
        if writer is not None:
            self._waiting.put(_STOP)
            writer.join(timeout)

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
        while True:
            first = self._waiting.get()
            if first is _STOP:
                return
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
            self._write(batch)

    def _write(self, batch: list[tuple[IntakeRequest, Future[IntakeResult]]]) -> None:
        try:
            outcomes = intake_many(self.engine, self.config, [request for request, _ in batch])
        except BaseException as exc:  # intake_many answers per lead; this is a last resort
            log.exception("intake batch of %d failed", len(batch))
            outcomes = [exc if isinstance(exc, Exception) else RuntimeError(exc)] * len(batch)
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        self.on_batch(len(batch))
