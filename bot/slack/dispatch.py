"""Many Slack calls in flight, each lead's cards in order, and a dead process's work taken
over within seconds.

One thread leases due messages, most urgent first (storage.outbox: the owner's DM card, then
card changes, then the rest), as many as there are free workers; a pool of workers delivers
them (bot.slack.delivery) with Slack's limits kept ahead of time. A lead's messages never run
at once in this process: one waits in memory for the other, in the order they were queued, so
a card's post comes before its updates. A heartbeat renews the leases this process holds every
HEARTBEAT seconds; when a process dies its leases run out within LEASE and another process (or
its own restart) takes the messages over, looking in Slack first for any card it may have
posted (bot.slack.post_once). On PostgreSQL the lease (FOR UPDATE SKIP LOCKED) keeps every
message with one process at a time, whatever the number of replicas.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor

from bot.slack.delivery import LEASE, Delivery
from storage import outbox
from storage.db import transaction
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

HEARTBEAT = 3.0  # seconds between lease renewals: well inside LEASE
IDLE = 1.0  # with nothing due, look again this often (a kick wakes it at once)


class Dispatcher:
    def __init__(self, delivery: Delivery, workers: int = 16) -> None:
        self.delivery = delivery
        self.workers = workers
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="slack-delivery")
        self.lock = threading.Lock()
        self.held: dict[int, OutboxMessage] = {}  # leased, running or waiting: renewed
        self.busy: set[int | None] = set()  # leads with a message running
        self.waiting: dict[int | None, deque[OutboxMessage]] = {}  # lead -> its next ones
        self.running = 0
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._lease_loop, name="outbox-leases", daemon=True),
            threading.Thread(target=self._heartbeat, name="outbox-heartbeat", daemon=True),
        ]

    def start(self) -> Dispatcher:
        for thread in self.threads:
            thread.start()
        return self

    def kick(self) -> None:
        self.wake.set()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        for thread in self.threads:
            thread.join(timeout=15)
        self.pool.shutdown(wait=True, cancel_futures=False)

    # ------------------------------------------------------------ leasing

    def _lease_loop(self) -> None:
        while not self.stopping.is_set():
            self.wake.clear()
            try:
                took = self._lease_some()
            except Exception:  # the database may be briefly unreachable: try again soon
                log.exception("outbox leasing failed")
                took = 0
            if not took:
                try:
                    idle = self.delivery.seconds_to_next(IDLE)
                except Exception:
                    idle = IDLE
                self.wake.wait(idle)

    def _lease_some(self) -> int:
        with self.lock:
            free = self.workers - self.running - sum(len(q) for q in self.waiting.values())
        if free <= 0:
            return 0
        batch = self.delivery.lease(free)
        for message in batch:
            self._start(message)
        return len(batch)

    def _start(self, message: OutboxMessage) -> None:
        assert message.id is not None
        with self.lock:
            self.held[message.id] = message
            lead = message.lead_id
            if lead is not None and lead in self.busy:
                self.waiting.setdefault(lead, deque()).append(message)
                return
            self.busy.add(lead)
            self.running += 1
        self.pool.submit(self._run, message)

    def _run(self, message: OutboxMessage) -> None:
        while True:
            try:
                self.delivery.handle(message)
            except Exception:  # handle records every Slack outcome; this is our bug
                log.exception("delivering outbox %s failed", message.id)
            with self.lock:
                assert message.id is not None
                self.held.pop(message.id, None)
                queue = self.waiting.get(message.lead_id)
                if queue:
                    message = queue.popleft()  # the lead's next message, on this worker
                    if not queue:
                        del self.waiting[message.lead_id]
                    continue
                self.busy.discard(message.lead_id)
                self.running -= 1
            self.wake.set()  # a worker is free
            return

    # ------------------------------------------------------------ the heartbeat

    def _heartbeat(self) -> None:
        while not self.stopping.wait(HEARTBEAT):
            with self.lock:
                ids = list(self.held)
            if not ids:
                continue
            until = self.delivery.runtime.now() + LEASE
            try:
                with transaction(self.delivery.runtime.engine) as session:
                    outbox.renew(session, ids, self.delivery.owner, until)
            except Exception:
                log.exception("renewing outbox leases failed")
