"""The Bolt app: signature-checked Slack requests in, listeners registered, mounted in FastAPI.

POST /slack/events passes bot.slack.gate (size, timestamp, signature, shape, replay) before
Bolt sees a byte. Every request, over HTTP or Socket Mode, then passes `_our_workspace`: it
must come from this installation's team and app, a retried event (same event_id) is done once,
and listeners get a prepared context: `actor` (the rep id in routing.yml, or the Slack user id
for people of this workspace who are not reps) and `rep`, so each handler is a few lines.
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
from bot.slack import gate
from bot.slack.installation import Installation
from bot.slack.listeners import register
from storage import slack_requests

log = logging.getLogger(__name__)


def make_client(runtime: Runtime, *, retries: bool = True) -> WebClient:
    """The Web API client, pointed at SLACK_API_URL. With `retries`, quick ones for network
    blips and 5xx (the listeners' calls); never for rate limits, which are waited out by
    rescheduling (bot.slack.delivery), not by sleeping in a request. Delivery's client has
    none: a post retried inside slack_sdk after Slack took it would be a second card, so the
    outbox retries instead, looking for the first one before posting again."""
    token = runtime.settings.slack_bot_token
    handlers = (
        [ConnectionErrorRetryHandler(max_retry_count=2), ServerErrorRetryHandler(max_retry_count=1)]
        if retries
        else []
    )
    return WebClient(
        token=token.get_secret_value() if token else None,
        base_url=runtime.settings.slack_api_url,
        timeout=runtime.settings.slack_timeout,
        retry_handlers=handlers,
    )


def build_bolt(runtime: Runtime, client: WebClient) -> App:
    settings = runtime.settings
    if settings.slack_signing_secret is None or settings.slack_bot_token is None:
        raise ValueError("SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are needed for Slack")
    # Bolt logs a refused request's whole body at INFO; the gate refuses before Bolt anyway.
    logging.getLogger("slack_bolt").setLevel(max(logging.WARNING, logging.root.level))
    app = App(
        signing_secret=settings.slack_signing_secret.get_secret_value(),
        client=client,  # carries the bot token
        token_verification_enabled=False,  # no network call at start; the first request checks
        # Acks happen on the request's thread before any work (listeners.lazy), and modal
        # submissions answer with their validation errors; the work runs on these threads.
        process_before_response=True,
        listener_executor=ThreadPoolExecutor(max_workers=4, thread_name_prefix="slack"),
    )
    installation = Installation(client, settings.slack_team_id, settings.slack_app_id)
    installation.identity()  # learnt now if Slack answers; else on the first request
    app.middleware(_our_workspace(runtime, installation))
    register(app, runtime)
    return app


def _our_workspace(runtime: Runtime, installation: Installation) -> Callable[..., Any]:
    def middleware(
        body: dict[str, Any], context: BoltContext, next: Callable[[], Any]
    ) -> BoltResponse | None:
        ours = installation.identity()
        if ours is None:
            return _refused(runtime, "unknown_installation", 503)
        team = context.team_id or body.get("team_id")
        if team != ours.team_id:
            return _refused(runtime, "other_workspace", 403, f"team {team}")
        if ours.app_id and body.get("api_app_id") != ours.app_id:
            return _refused(runtime, "other_app", 403, f"app {body.get('api_app_id')}")
        # A retried event has the same event_id; a replayed HTTP request the same signature
        # (the gate put it in the context). Listeners check it once, after the ack.
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        key = f"event:{event_id}" if event_id else context.get("request_key")
        if key:
            context["first_time"] = lambda: slack_requests.first_time(
                runtime.engine, key, runtime.now()
            )
        user_id = context.user_id
        user_team = _user_team(body) or team
        if user_team == ours.team_id:
            rep = runtime.config.rep_by_slack_id(user_id) if user_id else None
            context["actor"] = rep.id if rep else user_id
        else:  # someone of another workspace, e.g. in a shared channel: nobody here
            rep = None
            context["actor"] = f"{user_team}:{user_id}"
        context["rep"] = rep
        return next()

    return middleware


def _user_team(body: dict[str, Any]) -> str | None:
    """The team of the person acting (interactions carry it on the user)."""
    user = body.get("user")
    return user.get("team_id") if isinstance(user, dict) else None


def _refused(runtime: Runtime, reason: str, status: int, detail: str = "") -> BoltResponse:
    runtime.metrics.slack_refused.labels(reason).inc()
    log.warning("refused a Slack request: %s%s", reason, f" ({detail})" if detail else "")
    return BoltResponse(status=status, body="")


def router(bolt: App, runtime: Runtime) -> APIRouter:
    api = APIRouter()

    secret = runtime.settings.slack_signing_secret
    assert secret is not None

    @api.post("/slack/events", include_in_schema=False)
    async def slack_events(request: Request) -> Response:
        started = perf_counter()
        try:
            body = await gate.read_body(request)
            signature = gate.verify(request, body, secret.get_secret_value())
            gate.check_shape(request, body)
        except gate.Refused as refused:
            runtime.metrics.slack_refused.labels(str(refused.status)).inc()
            client = request.client.host if request.client else "?"
            log.warning("refused a Slack request from %s: %s", client, refused.reason)
            return Response(refused.reason, status_code=refused.status, media_type="text/plain")
        # Parsing the form body and Bolt's dispatch (then the ack) are synchronous: keep them
        # off the event loop so other requests are never held behind one.
        response = await run_in_threadpool(_dispatch, bolt, request, body, signature)
        elapsed = perf_counter() - started
        runtime.metrics.slack_ack_seconds.observe(elapsed)
        reply = to_starlette_response(response)
        reply.headers["Server-Timing"] = f"app;dur={elapsed * 1000:.1f}"
        return reply

    return api


def _dispatch(bolt: App, request: Request, body: bytes, signature: str) -> BoltResponse:
    key = {"request_key": f"sig:{signature[3:]}"}  # for the replay check after the ack
    return bolt.dispatch(to_bolt_request(request, body, key))
