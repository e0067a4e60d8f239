"""POST /webhooks/leads[/{source}[/{token}]]: authenticate, read, store and route one lead.

Bad input gets a JSON error that names the problem and stores nothing: 404 unknown source,
415 content type, 413 too large, 401 signature or token, 400 not a readable body, 422 a body
that is no lead at all. An authentic lead whose answers cannot all be read is stored all the
same (its notes say what was not understood). The database in trouble is a 503 with
Retry-After: the sender retries, and the retry is answered as the first delivery would be.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from time import perf_counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from bot import intake
from bot.intake.body import FORM_TYPES, JSON, media_type
from bot.intake.signatures import header
from bot.intake.sources import Source, Sources
from bot.runtime import Runtime
from routing import Lead
from routing.crm_config import CrmAnswer
from storage.intake import MAX_KEY_LENGTH, IntakeRequest

log = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30  # what a 503 asks senders to wait


class BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isascii() and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


_LEAD_BODY = {
    "required": True,
    "content": {"application/json": {"schema": Lead.model_json_schema()}},
}
_ANY_BODY = {
    "required": True,
    "content": {
        kind: {"schema": {"type": "object"}}
        for kind in (JSON, "application/x-www-form-urlencoded", "multipart/form-data")
    },
}
_RESPONSES = {
    202: {"description": "Stored and routed: {lead_id, state, owner, rule, reason}"},
    400: {"description": "The body cannot be read (not JSON, too deep, a NUL character, …)"},
    401: {"description": "Missing, stale or wrong signature or token"},
    404: {"description": "Unknown source"},
    413: {"description": "Body too large"},
    415: {"description": "Content type the source does not send"},
    422: {"description": "The body carries no lead at all"},
    503: {"description": "Secret not configured, or the database unavailable (Retry-After)"},
}


_TOKEN_IN_PATH = re.compile(r"(/webhooks/leads/[^/?\s]+/)[^/?\s]+")


class RedactTokens(logging.Filter):
    """Access logs show /webhooks/leads/<name>/*** : a token in the URL is a secret."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_PATH.sub(r"\1***", arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        return True


def _redact_access_log() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in access.filters):
        access.addFilter(RedactTokens())


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter()
    _redact_access_log()
    sources = Sources(runtime.config.intake.mappings)

    @api.post(
        "/webhooks/leads",
        status_code=202,
        responses=_RESPONSES,
        openapi_extra={"requestBody": _LEAD_BODY},
        summary="Receive a lead (our JSON)",
    )
    async def generic_lead(request: Request) -> JSONResponse:
        return await _receive(runtime, sources, request, "generic")

    @api.post(
        "/webhooks/leads/{source}",
        status_code=202,
        responses=_RESPONSES,
        openapi_extra={"requestBody": _ANY_BODY},
        summary="Receive a lead from a form tool (built in, or configured in intake.mappings)",
    )
    async def source_lead(source: str, request: Request) -> JSONResponse:
        return await _receive(runtime, sources, request, source)

    @api.post(
        "/webhooks/leads/{source}/{token}",
        status_code=202,
        responses=_RESPONSES,
        openapi_extra={"requestBody": _ANY_BODY},
        summary="Receive a lead from a tool that cannot sign: its token in the URL",
    )
    async def token_lead(source: str, token: str, request: Request) -> JSONResponse:
        return await _receive(runtime, sources, request, source, token)

    return api


async def _receive(
    runtime: Runtime,
    sources: Sources,
    request: Request,
    name: str,
    path_token: str | None = None,
) -> JSONResponse:
    started = perf_counter()
    settings = runtime.settings
    try:
        source = sources.get(name)
    except intake.UnknownProviderError as exc:
        return _reject(runtime, name, 404, str(exc))
    if path_token is not None and not source.token_in_path:
        return _reject(runtime, name, 404, f"{name} takes no token in its URL: POST to its URL")
    kind = media_type(request.headers.get("content-type"))
    allowed = (JSON, *FORM_TYPES) if source.accepts_forms else (JSON,)
    if kind not in allowed:
        wanted = " or ".join(allowed)
        return _reject(runtime, name, 415, f"send Content-Type: {wanted} (got {kind or 'none'!r})")
    try:
        body = await _read_body(request, settings.max_body_bytes)
    except BodyTooLarge:
        return _reject(runtime, name, 413, f"body is larger than {settings.max_body_bytes} bytes")
    now = runtime.now()
    checked = source.unverified() if settings.insecure_webhooks else source
    url = signed_url(request, settings.root_path)
    try:
        received = intake.receive(
            checked,
            headers=request.headers,
            body=body,
            now=now,
            secret=settings.secret(source.secret_setting),
            method=request.method,
            url=url,
            content_type=request.headers.get("content-type"),
            path_token=path_token,
        )
    except intake.SignatureError as exc:
        return _reject(runtime, name, 401, f"{exc.what} rejected: {exc.reason}")
    except intake.MissingSecretError as exc:
        log.error("webhook from %s refused: %s", name, exc)
        return _reject(runtime, name, 503, str(exc))
    except intake.PayloadError as exc:
        return _reject(runtime, name, 400, str(exc))
    except intake.IgnoredEvent as exc:
        return JSONResponse({"ignored": str(exc)}, status_code=202)
    except intake.LeadValidationError as exc:
        return _reject(
            runtime, name, 422, "invalid lead", fields=[error.as_dict() for error in exc.errors]
        )
    sent_key = _sent_key(source, request)
    if sent_key is not None and len(sent_key) > MAX_KEY_LENGTH:
        return _reject(
            runtime, name, 400,
            f"Idempotency-Key is {len(sent_key)} characters long (at most {MAX_KEY_LENGTH})",
        )  # fmt: skip
    # the CRM's owner, within the lead's budget (crm.budget_ms), before the lead is stored: it
    # decides the route. Nothing is answered yet, so a crash here leaves the sender to retry.
    crm = await run_in_threadpool(runtime.crm.answer, received.lead) if runtime.crm else None
    lead_request = _request(runtime, source, received, body, now, crm)
    try:
        # answered once the lead is committed; leads arriving together share a transaction
        async with asyncio.timeout(settings.database_timeout):
            result = await runtime.intake.write(lead_request)
    except (SQLAlchemyError, TimeoutError, OSError) as exc:
        # the lead is not lost: the sender retries, and a retry of a delivery that did get
        # stored in the meantime is answered as that delivery
        log.error("lead from %s not stored, asked to retry: %s", name, type(exc).__name__)
        return _reject(
            runtime, name, 503, "the database is unavailable: retry later",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )  # fmt: skip
    if not result.replayed:
        runtime.kick()  # post the cards now rather than at the next outbox poll
        metrics = runtime.metrics
        metrics.leads_received.labels(name).inc()
        if result.duplicate:
            metrics.duplicates.inc()
        else:
            metrics.leads_routed.labels(result.state, result.rule or "").inc()
        metrics.intake_seconds.observe(perf_counter() - started)
    headers = {"Idempotent-Replay": "true"} if result.replayed else None
    return JSONResponse(result.response(), status_code=202, headers=headers)


def _sent_key(source: Source, request: Request) -> str | None:
    return header(request.headers, source.delivery_id_header) if source.delivery_id_header else None


def _request(
    runtime: Runtime,
    source: Source,
    received: intake.Intake,
    body: bytes,
    now: Any,
    crm: CrmAnswer | None = None,
) -> IntakeRequest:
    """The lead to store, with its delivery id. A sender without delivery ids gets one from a
    hash of the body: a retry is the same delivery, but only within intake.retry_window (the
    same answers sent next month are a new touch, not a replay)."""
    if received.delivery_id is not None:
        key, expires = received.delivery_id, None
    else:
        key = "sha256:" + hashlib.sha256(body).hexdigest()
        expires = runtime.config.intake.retry_window
    return IntakeRequest(
        received.lead, source=source.name, now=now, idempotency_key=key,
        key_expires_after=expires, notes=received.notes, crm=crm,
    )  # fmt: skip


def signed_url(request: Request, root_path: str = "") -> str:
    """The URL the sender called, as a signature over it (HubSpot v3) covers it: behind a
    proxy, its X-Forwarded-Host (and X-Forwarded-Proto, read by uvicorn) and the path prefix
    it strips (X-Forwarded-Prefix, or LEADROUTER_ROOT_PATH)."""
    url = request.url
    forwarded_host = header(request.headers, "X-Forwarded-Host")
    prefix = header(request.headers, "X-Forwarded-Prefix") or root_path
    host = forwarded_host.split(",")[0].strip() if forwarded_host else url.netloc
    path = "/" + prefix.strip("/") + url.path if prefix.strip("/") else url.path
    query = f"?{url.query}" if url.query else ""
    return f"{url.scheme}://{host}{path}{query}"


def _reject(
    runtime: Runtime,
    name: str,
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    known = name in intake.PROVIDERS or name in runtime.config.intake.mappings
    runtime.metrics.rejected.labels(name if known else "unknown", str(status)).inc()
    response = _error(status, message, **extra)
    if headers:
        response.headers.update(headers)
    return response
