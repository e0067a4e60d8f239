"""Ack at once, work after: Slack gets its answer before any database or Web API call, and
the work is skipped if the request was handled before (the middleware's `first_time` check).

Bolt's own lazy listeners do the same, but copy the whole request (the parsed body, with the
message's blocks, and the context) for every click before the ack; that copy was 60 % of the
ack's cost. Here the listener acks, then hands the arguments Bolt already built to a worker
thread: nothing touches the request once it has been answered, so there is nothing to copy.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, BoltContext

log = logging.getLogger(__name__)

# The work after the ack: database transactions and Web API calls, a few at a time.
_workers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack-work")


def later(register: Callable[..., Any]) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`@later(app.action(ID))`: ack on the request's own thread, then run the handler on a
    worker thread with the arguments it names (Bolt's usual ones: body, context, respond…)."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., Any]:
        wanted = [name for name in inspect.signature(handler).parameters if name != "ack"]

        def ack_then_work(ack: Ack, context: BoltContext, **arguments: Any) -> None:
            ack()
            if "context" in wanted:
                arguments["context"] = context
            _workers.submit(_run, handler, arguments, context.get("first_time"))

        # Bolt passes a listener the arguments its signature names: the handler's, ack and
        # the context (which carries the replay check).
        names = ["ack", "context", *(name for name in wanted if name != "context")]
        ack_then_work.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
            list(map(_parameter, names))
        )
        register(ack_then_work)
        return handler

    return decorate


def _parameter(name: str) -> inspect.Parameter:
    return inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _run(
    handler: Callable[..., Any],
    arguments: dict[str, Any],
    first_time: Callable[[], bool] | None,
) -> None:
    try:
        # A replayed request, or a retried event, was acknowledged like the first; its work is
        # done once. Checked here, after the ack, so the ack never waits for the database.
        if first_time is not None and not first_time():
            log.warning("a Slack request came again (a replay or a retry): not done again")
            return
        handler(**arguments)
    except Exception:
        log.exception("Slack listener %s failed after its ack", handler.__name__)
