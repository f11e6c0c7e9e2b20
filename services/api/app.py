"""The HTTP face of a process: health, readiness, metrics, and (for ``up``/``api``) the API.

``/healthz``  alive (the event loop answers)
``/readyz``   200 when Kafka consumers have partitions, the database answers and the crawler's
            archive takes records, else 503
``/metrics``  Prometheus text format
``/api/v1/…`` the read API of the store, the compute view and the webhook API of alerts
            (OpenAPI at ``/docs``)
``/``, ``/changes``, ``/timeline`` the dashboard
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator

import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, text

from services.core.config import Settings, load_settings
from services.core.db import session_factory

Readiness = Callable[[], dict[str, bool]]

SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
"""On every answer: no type sniffing, no framing (clickjacking), no full URLs to other sites."""
PAGE_POLICY = (
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
"""The content security policy of the dashboard's pages: their own script and style sheet only
(the bars' widths are inline styles); not of ``/docs``, whose Swagger UI loads from a CDN."""


def create_app(
    readiness: Readiness, engine: Engine, *, with_api: bool, settings: Settings | None = None
) -> FastAPI:
    app = FastAPI(
        title="infraledger",
        version="1.0.0",
        description="The commitment ledger of AI-infrastructure news, its changes and webhooks.",
    )

    @app.middleware("http")
    async def security_headers(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        response.headers.update(SECURITY_HEADERS)
        page = response.headers.get("content-type", "").startswith("text/html")
        if page and not request.url.path.startswith(("/docs", "/redoc")):
            response.headers["content-security-policy"] = PAGE_POLICY
        return response

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        checks = dict(readiness())
        checks["database"] = await asyncio.to_thread(_database_answers, engine)
        ok = all(checks.values())
        return JSONResponse({"ready": ok, "checks": checks}, status_code=200 if ok else 503)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    if with_api:
        _include_api(app, engine, settings or load_settings())
    return app


def _include_api(app: FastAPI, engine: Engine, settings: Settings) -> None:
    """The routers of store, alerts and the compute view, sharing this process's engine."""
    from services.alerts import api as alerts_api
    from services.compute import api as compute_api
    from services.dashboard import build_router as dashboard_router
    from services.store import api as store_api
    from services.store.directory import load_directory

    factory = session_factory(engine)
    store = store_api.StoreContext(factory, load_directory(settings.organisations_file))
    alerts = alerts_api.AlertsContext(factory, settings)
    app.dependency_overrides[store_api.context] = lambda: store
    app.dependency_overrides[alerts_api.context] = lambda: alerts
    for router in (store_api.router, alerts_api.router, compute_api.router):
        app.include_router(router)
    app.include_router(dashboard_router(factory, settings.organisations_file))


def _database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


class _EmbeddedServer(uvicorn.Server):
    """A uvicorn server that leaves signal handling to the process (see runtime.stop_on_signals)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(app: FastAPI, port: int, stop: asyncio.Event, host: str = "127.0.0.1") -> None:
    """Serve ``app`` until ``stop`` is set."""
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="off")
    server = _EmbeddedServer(config)
    task = asyncio.create_task(server.serve())
    await stop.wait()
    server.should_exit = True
    await task
