"""One request through a stand-in, in the order a CRM's edge and API meet it: the network's
latency, a scripted edge fault (an HTML 503 from the load balancer, a stall), then the API's
own refusals (auth, scopes, rate limits: the CRM's `refuse`), then the work, recorded."""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_standins.base import Call, StandinServer

Answer = tuple[int, Any, dict[str, str]]  # HTTP status, JSON body (None: empty), headers


@dataclass
class Req:
    route: str
    method: str
    path: str
    params: dict[str, str]  # path parameters
    query: dict[str, str]
    multi: dict[
        str, list[str]
    ]  # query parameters that repeat (HubSpot's ?properties=a&properties=b)
    body: Any
    token: str | None
    bad_body: bool = False  # a body that is not what the content type says


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else None


async def read(request: Request, route: str) -> Req:
    raw = await request.body()
    body: Any = None
    bad = False
    kind = request.headers.get("content-type", "")
    if raw and kind.startswith("application/x-www-form-urlencoded"):
        body = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
    elif raw:
        try:
            body = json.loads(raw)
        except ValueError:
            bad = True
    multi: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        multi.setdefault(key, []).append(value)
    return Req(
        route,
        request.method,
        request.url.path,
        dict(request.path_params),
        dict(request.query_params),
        multi,
        body,
        bearer(request),
        bad,
    )


def respond(status: int, body: Any, headers: dict[str, str]) -> Response:
    if body is None:
        return Response(status_code=status, headers=headers)
    return JSONResponse(body, status_code=status, headers=headers)


async def serve(
    standin: StandinServer,
    request: Request,
    route: str,
    refuse: Callable[[Req], Answer | None],
    work: Callable[[Req], Answer],
) -> Response:
    req = await read(request, route)
    arrived = standin.clock.now()
    with standin.lock:
        latency = standin.latency
    if latency:
        await asyncio.sleep(random.uniform(*latency))
    fault = standin.faults.take(route)
    if fault is not None and fault.delay:
        await asyncio.sleep(fault.delay)
    if fault is not None and fault.status is not None:
        status, answer, headers = fault.status, None, dict(fault.headers)
        response: Response = Response(
            fault.body, status_code=fault.status, media_type=fault.content_type, headers=headers
        )
    else:
        with standin.lock:
            status, answer, headers = refuse(req) or work(req)
        response = respond(status, answer, headers)
    call = Call(
        route,
        req.method,
        req.path,
        req.query,
        req.body,
        status,
        answer,
        arrived,
        fault.describe() if fault else None,
        req.token,
    )
    with standin.lock:
        standin.log.append(call)
    if fault is not None and fault.late:
        await asyncio.sleep(fault.late)
    return response
