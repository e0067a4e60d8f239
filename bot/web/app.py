"""The FastAPI app: lead webhooks, health and metrics (Slack's endpoint joins in bot.slack)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from bot.crm import outcomes
from bot.runtime import Runtime
from bot.web import webhooks
from storage.health import check_readable, check_writable


def create_app(runtime: Runtime, slack: APIRouter | None = None) -> FastAPI:
    """The HTTP app; `slack` is the /slack/events router when Slack is configured."""
    app = FastAPI(
        title="leadrouter",
        version="0.1.0",
        description="Routes inbound sales leads to the right rep in Slack.",
    )
    app.state.runtime = runtime
    app.include_router(webhooks.router(runtime))
    app.include_router(outcomes.router(runtime))  # the CRM's own webhooks (won, lost)
    if slack is not None:
        app.include_router(slack)

    @app.get("/healthz", summary="Liveness, and a database that can be read and written")
    async def healthz() -> JSONResponse:
        try:
            await run_in_threadpool(check_readable, runtime.engine)
        except SQLAlchemyError as exc:
            return _unhealthy("cannot be read", exc)
        try:
            await run_in_threadpool(check_writable, runtime.engine, runtime.now())
        except SQLAlchemyError as exc:  # read-only file or volume, full disk, a standby
            return _unhealthy("cannot be written", exc)
        config = runtime.config
        slack = runtime.slack.health()
        if slack is not None:
            return JSONResponse(
                {"status": "error", "database": runtime.engine.dialect.name, "slack": slack},
                status_code=503,
            )
        return JSONResponse(
            {
                "status": "ok",
                "database": runtime.engine.dialect.name,
                "rules": len(config.rules),
                "pools": len(config.pools),
                "reps": len(config.reps),
            }
        )

    @app.get("/metrics", summary="Prometheus metrics")
    async def metrics() -> Response:
        body = await run_in_threadpool(generate_latest, runtime.metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return app


def _unhealthy(what: str, exc: SQLAlchemyError) -> JSONResponse:
    cause = getattr(exc, "orig", None) or exc
    return JSONResponse(
        {
            "status": "error",
            "database": type(exc).__name__,
            "problem": f"the database {what}: {str(cause).splitlines()[0][:200]}",
        },
        status_code=503,
    )
