"""POST /webhooks/leads[/{provider}]: verify, validate, store and route one lead.

Bad input gets a JSON error that names the problem and stores nothing: 401 signature, 400 not
JSON, 413 too large, 415 not JSON content type, 422 a field (named), 404 unknown provider.
"""

from __future__ import annotations

import hashlib
import logging
from time import perf_counter
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from bot import intake
from bot.runtime import Runtime
from routing import Lead
from storage.intake import IntakeRequest

log = logging.getLogger(__name__)


class BodyTooLarge(Exception):
    pass


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
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
    "content": {"application/json": {"schema": {"type": "object"}}},
}
_RESPONSES = {
    202: {"description": "Stored and routed: {lead_id, state, owner, rule, reason}"},
    400: {"description": "Body is not JSON"},
    401: {"description": "Missing, stale or wrong signature"},
    404: {"description": "Unknown provider"},
    413: {"description": "Body too large"},
    415: {"description": "Content type is not application/json"},
    422: {"description": "A field failed validation; `fields` names each one"},
}


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter()

    @api.post(
        "/webhooks/leads",
        status_code=202,
        responses=_RESPONSES,
        openapi_extra={"requestBody": _LEAD_BODY},
        summary="Receive a lead (our JSON)",
    )
    async def generic_lead(request: Request) -> JSONResponse:
        return await _receive(runtime, request, "generic")

    @api.post(
        "/webhooks/leads/{provider}",
        status_code=202,
        responses=_RESPONSES,
        openapi_extra={"requestBody": _ANY_BODY},
        summary="Receive a lead from a form provider (typeform, hubspot, tally, webflow)",
    )
    async def provider_lead(provider: str, request: Request) -> JSONResponse:
        return await _receive(runtime, request, provider)

    return api


async def _receive(runtime: Runtime, request: Request, provider: str) -> JSONResponse:
    started = perf_counter()
    settings = runtime.settings
    mapping = runtime.config.intake.mappings.get(provider)
    try:
        adapter = intake.get_adapter(provider)
    except intake.UnknownProviderError as exc:
        if mapping is None:
            return _reject(runtime, provider, 404, str(exc))
        # another JSON tool, read through its configured mapping and signed our way
        adapter = intake.get_adapter("generic")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        return _reject(
            runtime,
            provider,
            415,
            f"send Content-Type: application/json (got {content_type or 'none'!r})",
        )
    try:
        body = await _read_body(request, settings.max_body_bytes)
    except BodyTooLarge:
        return _reject(
            runtime, provider, 413, f"body is larger than {settings.max_body_bytes} bytes"
        )
    now = runtime.now()
    verify = adapter
    if settings.insecure_webhooks:
        verify = _unverified(adapter)
    try:
        received = intake.receive(
            verify,
            headers=request.headers,
            body=body,
            now=now,
            secret=settings.secret(adapter.secret_setting),
            mapping=mapping,
            method=request.method,
            url=str(request.url),
        )
    except intake.SignatureError as exc:
        return _reject(runtime, provider, 401, f"signature rejected: {exc.reason}")
    except intake.MissingSecretError as exc:
        log.error("webhook from %s refused: %s", provider, exc)
        return _reject(runtime, provider, 503, str(exc))
    except intake.PayloadError as exc:
        return _reject(runtime, provider, 400, str(exc))
    except intake.IgnoredEvent as exc:
        return JSONResponse({"ignored": str(exc)}, status_code=202)
    except intake.LeadValidationError as exc:
        return _reject(
            runtime, provider, 422, "invalid lead", fields=[error.as_dict() for error in exc.errors]
        )
    # Without a delivery id, an identical body is the same delivery retried.
    delivery_id = received.delivery_id or "sha256:" + hashlib.sha256(body).hexdigest()
    # Answered once the lead is committed; leads arriving together share a transaction.
    request = IntakeRequest(received.lead, source=provider, now=now, idempotency_key=delivery_id)
    result = await runtime.intake.write(request)
    if not result.replayed:
        runtime.kick()  # post the cards now rather than at the next outbox poll
        metrics = runtime.metrics
        metrics.leads_received.labels(provider).inc()
        if result.duplicate:
            metrics.duplicates.inc()
        else:
            metrics.leads_routed.labels(result.state, result.rule or "").inc()
        metrics.intake_seconds.observe(perf_counter() - started)
    headers = {"Idempotent-Replay": "true"} if result.replayed else None
    return JSONResponse(result.response(), status_code=202, headers=headers)


def _reject(
    runtime: Runtime, provider: str, status: int, message: str, **extra: Any
) -> JSONResponse:
    runtime.metrics.rejected.labels(
        provider if provider in intake.PROVIDERS else "unknown", str(status)
    ).inc()
    return _error(status, message, **extra)


def _unverified(adapter: intake.Adapter) -> intake.Adapter:
    """LEADROUTER_INSECURE_WEBHOOKS=1: the same adapter with signature checks switched off."""
    from dataclasses import replace

    def accept(*_args: Any, **_kwargs: Any) -> None:
        return None

    return replace(adapter, verify=accept)
