"""The ASGI app: read a Web API request as Slack does, apply faults, answer, record.

How arguments are read follows Slack's published contract (slack_standin.contract): the query
string always, a form-encoded body always, and a JSON body only for the methods that accept
one. A JSON body sent to any other method has its arguments dropped, as Slack drops them:
users.info sent as JSON answers user_not_found. With JSON, the token must come in the
Authorization header.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from slack_standin import contract
from slack_standin.errors import SlackError
from slack_standin.faults import Fault, FaultPlan
from slack_standin.methods import HANDLERS
from slack_standin.realism import Realism
from slack_standin.records import Call
from slack_standin.response_urls import apply_response
from slack_standin.workspace import Workspace

JSON_FIELDS = ("blocks", "view", "attachments", "metadata")
log = logging.getLogger(__name__)


@dataclass
class Decoded:
    params: dict[str, Any]
    encoding: str  # "query", "form" or "json"
    ignored: list[str] = field(default_factory=list)  # arguments Slack would not read
    error: str | None = None  # a body Slack could not read at all


async def decode(request: Request, method: str, *, lenient: bool = False) -> Decoded:
    """Query string + form or JSON body, as Slack reads them for `method`; JSON-encoded
    fields (blocks, view) decoded. `lenient` reads a JSON body for every method."""
    params: dict[str, Any] = dict(request.query_params)
    raw = await request.body()
    decoded = Decoded(params, "query")
    if raw:
        if request.headers.get("content-type", "").startswith("application/json"):
            decoded.encoding = "json"
            try:
                body = json.loads(raw)
            except ValueError:
                decoded.error = "invalid_json"
                return decoded
            if not isinstance(body, dict):
                decoded.error = "invalid_json"
                return decoded
            body.pop("token", None)  # with JSON, Slack takes the token from the header only
            if lenient or contract.accepts_json(method):
                params.update(body)
            else:
                decoded.ignored = sorted(body)
        else:
            decoded.encoding = "form"
            try:
                params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                decoded.error = "invalid_form_data"
                return decoded
    for name in JSON_FIELDS:
        if isinstance(params.get(name), str):
            # A field that is not valid JSON stays a string; the method's validation reports it.
            with contextlib.suppress(ValueError):
                params[name] = json.loads(params[name])
    return decoded


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


Answer = tuple[int, dict[str, Any], dict[str, str]]


def _refusal(ws: Workspace, method: str, token: str | None, tokens: set[str]) -> Answer | None:
    """Slack's checks before any work: the method, the token, the token's health, the scope."""
    if method not in HANDLERS:
        return 200, {"ok": False, "error": "unknown_method", "req_method": method}, {}
    if not token:
        return 200, SlackError("not_authed").body(), {}
    if token not in tokens:
        return 200, SlackError("invalid_auth").body(), {}
    if ws.token_error:
        return 200, SlackError(ws.token_error).body(), {}
    needed = contract.bot_scope(method)
    granted = ws.granted_scopes()
    if needed and needed not in granted:
        body = SlackError("missing_scope", needed=needed, provided=",".join(sorted(granted)))
        return 200, body.body(), {}
    return None


def _answer(
    ws: Workspace,
    realism: Realism,
    method: str,
    params: dict[str, Any],
    fault: Fault | None,
) -> Answer:
    """(HTTP status, JSON answer, extra headers) once the token is accepted: faults, pacing,
    then the method's work."""
    if fault is not None and fault.status == 429:
        wait = fault.retry_after if fault.retry_after is not None else 1
        return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)}
    if fault is not None and fault.status != 200:
        error = "fatal_error" if fault.status == 500 else "service_unavailable"
        return fault.status, {"ok": False, "error": error}, {}
    if fault is not None and fault.error:
        return 200, SlackError(fault.error).body(), {}
    if method == "chat.postMessage" and params.get("channel"):
        found = ws.find_channel(str(params["channel"]))
        wait = realism.take_post(found.id if found else str(params["channel"]), ws.clock.now())
        if wait is not None:
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)}
    try:
        with ws.lock:
            return 200, {"ok": True, **HANDLERS[method](ws, params)}, {}
    except SlackError as refusal:
        return 200, refusal.body(), {}


def create_app(
    ws: Workspace,
    faults: FaultPlan,
    tokens: set[str],
    realism: Realism,
    *,
    lenient: bool,
    routes: Sequence[BaseRoute] = (),
) -> Starlette:
    """`routes` come first: a method answered elsewhere (Socket Mode's apps.connections.open)
    takes its path before the Web API's catch-all."""

    async def web_api(request: Request) -> JSONResponse:
        method = request.path_params["method"]
        decoded = await decode(request, method, lenient=lenient)
        params = decoded.params
        token = _token(request, params)
        arrived = ws.clock.now()
        delay = realism.delay()
        if delay:
            await asyncio.sleep(delay)
        refused = _refusal(ws, method, token, tokens)
        fault = None
        if refused is None and decoded.error:
            refused = 200, SlackError(decoded.error).body(), {}
        if refused is None:
            fault = faults.take(method, _channel_refs(ws, params))
            if fault is not None and fault.delay:
                await asyncio.sleep(fault.delay)
            status, answer, headers = _answer(ws, realism, method, params, fault)
            headers = {**headers, "X-OAuth-Scopes": ",".join(sorted(ws.granted_scopes()))}
        else:
            status, answer, headers = refused
        call = Call(
            method,
            params,
            arrived,
            status,
            answer,
            fault.describe() if fault else None,
            encoding=decoded.encoding,
            ignored=tuple(decoded.ignored),
        )
        with ws.lock:
            ws.calls.append(call)
        for observer in list(ws.observers):
            try:
                observer(call)
            except Exception:  # an observer's bug must not turn into a Slack error
                log.exception("stand-in call observer failed")
        if fault is not None and fault.late:
            # Slack has done the work; the answer comes after the client has given up.
            await asyncio.sleep(fault.late)
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
            *routes,
            Route("/api/{method}", web_api, methods=["GET", "POST"]),
            Route("/response/{hook}", response_url, methods=["POST"]),
        ]
    )
