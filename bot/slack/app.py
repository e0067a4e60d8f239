"""The Bolt app: signature-checked Slack requests in, listeners registered, mounted in FastAPI.

Listeners get a prepared context from `_actor_context`: `actor` (the rep id in routing.yml, or
the Slack user id for people who are not reps), so each handler is a few lines.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from time import perf_counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from slack_bolt import App, BoltContext, BoltResponse
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    ServerErrorRetryHandler,
)
from starlette.responses import Response

from bot.runtime import Runtime
from bot.slack.listeners import register

log = logging.getLogger(__name__)


def make_client(runtime: Runtime) -> WebClient:
    """The Web API client, pointed at SLACK_API_URL. Quick retries for network blips and 5xx
    only: rate limits are waited out by rescheduling (bot.slack.delivery), never by sleeping in
    a request."""
    token = runtime.settings.slack_bot_token
    return WebClient(
        token=token.get_secret_value() if token else None,
        base_url=runtime.settings.slack_api_url,
        timeout=runtime.settings.slack_timeout,
        retry_handlers=[
            ConnectionErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=1),
        ],
    )


def build_bolt(runtime: Runtime, client: WebClient) -> App:
    settings = runtime.settings
    if settings.slack_signing_secret is None or settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are needed for Slack")
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=client,  # carries the bot token
        token_verification_enabled=False,  # no network call at start; the first request checks
        # Acks happen on the request's thread before any work (listeners.lazy), and modal
        # submissions answer with their validation errors; the work runs on these threads.
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack"),
    )
    app.middleware(_actor_context(runtime))
    register(app, runtime)
    return app


def _actor_context(runtime: Runtime) -> Callable[..., Any]:
    def middleware(context: BoltContext, next: Callable[[], Any]) -> Any:
        user_id = context.user_id
        rep = runtime.config.rep_by_slack_id(user_id) if user_id else None
        context["actor"] = rep.id if rep else user_id
        context["rep"] = rep
        return next()

    return middleware


def router(bolt: App, runtime: Runtime) -> APIRouter:
    api = APIRouter()

    @api.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        started = perf_counter()
        body = await request.body()
        # Parsing the form body and Bolt's dispatch (signature check, then the ack) are
        # synchronous; keep both off the event loop so other requests are never held behind one.
        response = await run_in_threadpool(_dispatch, bolt, request, body)
        elapsed = perf_counter() - started
        runtime.metrics.slack_ack_seconds.observe(elapsed)
        reply = to_starlette_response(response)
        reply.headers["Server-Timing"] = f"app;dur={elapsed * 1000:.1f}"
        return reply

    return api


def _dispatch(bolt: App, request: Request, body: bytes) -> BoltResponse:
    return bolt.dispatch(to_bolt_request(request, body))
