"""The ASGI app: decode a Web API request like Slack does, apply faults, answer, record."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from slack_standin.errors import SlackError
from slack_standin.faults import Fault, FaultPlan
from slack_standin.methods import HANDLERS
from slack_standin.records import Call
from slack_standin.response_urls import apply_response
from slack_standin.workspace import Workspace

JSON_FIELDS = ("blocks", "view", "attachments", "metadata")
log = logging.getLogger(__name__)


async def decode(request: Request) -> dict[str, Any]:
    """Query string + form or JSON body; JSON-encoded fields (blocks, view) decoded."""
    params: dict[str, Any] = dict(request.query_params)
    raw = await request.body()
    if raw:
        if request.headers.get("content-type", "").startswith("application/json"):
            body = json.loads(raw)
            if isinstance(body, dict):
                params.update(body)
        else:
            params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    for name in JSON_FIELDS:
        if isinstance(params.get(name), str):
            # A field that is not valid JSON stays a string; the method's validation reports it.
            with contextlib.suppress(ValueError):
                params[name] = json.loads(params[name])
    return params


def _token(request: Request, params: dict[str, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip()
    return params.pop("token", None)


def _channel_refs(ws: Workspace, params: dict[str, Any]) -> list[str]:
    """Names a call's conversation goes by, so a fault scripted for "U1" matches its DM too."""
    refs = [str(params[k]) for k in ("channel", "users", "user_id") if params.get(k)]
    for ref in list(refs):
        found = ws.find_channel(ref)
        if found is not None:
            refs += [found.id, found.name] + ([found.dm_user] if found.dm_user else [])
    return refs


def _answer(
    ws: Workspace,
    method: str,
    params: dict[str, Any],
    token: str | None,
    tokens: set[str],
    fault: Fault | None,
) -> tuple[int, dict[str, Any], dict[str, str]]:
    """(HTTP status, JSON answer, extra headers) in Slack's order: method, auth, faults, work."""
    handler = HANDLERS.get(method)
    if handler is None:
        return 200, {"ok": False, "error": "unknown_method", "req_method": method}, {}
    if not token:
        return 200, SlackError("not_authed").body(), {}
    if token not in tokens:
        return 200, SlackError("invalid_auth").body(), {}
    if fault is not None and fault.status == 429:
        wait = fault.retry_after if fault.retry_after is not None else 1
        return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)}
    if fault is not None and fault.status != 200:
        error = "fatal_error" if fault.status == 500 else "service_unavailable"
        return fault.status, {"ok": False, "error": error}, {}
    if fault is not None and fault.error:
        return 200, SlackError(fault.error).body(), {}
    try:
        with ws.lock:
            return 200, {"ok": True, **handler(ws, params)}, {}
    except SlackError as refusal:
        return 200, refusal.body(), {}


def create_app(ws: Workspace, faults: FaultPlan, tokens: set[str]) -> Starlette:
    async def web_api(request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await decode(request)
        token = _token(request, params)
        arrived = ws.clock.now()
        fault = faults.take(method, _channel_refs(ws, params)) if method in HANDLERS else None
        if fault is not None and fault.delay:
            await asyncio.sleep(fault.delay)
        status, answer, headers = _answer(ws, method, params, token, tokens, fault)
        call = Call(method, params, arrived, status, answer, fault.describe() if fault else None)
        with ws.lock:
            ws.calls.append(call)
        for observer in list(ws.observers):
            try:
                observer(call)
            except Exception:  # an observer's bug must not turn into a Slack error
                log.exception("stand-in call observer failed")
        return JSONResponse(answer, status_code=status, headers=headers)

    async def response_url(request: Request) -> JSONResponse:
        try:
            body = json.loads(await request.body() or b"{}")
        except ValueError:
            return JSONResponse({"ok": False, "error": "invalid_payload"}, status_code=400)
        with ws.lock:
            status, answer = apply_response(ws, request.path_params["hook"], body)
        return JSONResponse(answer, status_code=status)

    return Starlette(
        routes=[
            Route("/api/{method}", web_api, methods=["GET", "POST"]),
            Route("/response/{hook}", response_url, methods=["POST"]),
        ]
    )
