"""The HTTP face of a process: health, readiness, metrics, and (for ``up``/``api``) the API.

``/healthz``  alive (the event loop answers)
``/readyz``   200 when Kafka consumers have partitions and the database answers, else 503
``/metrics``  Prometheus text format
``/api/v1/…`` the read API of the store and the webhook API of alerts (OpenAPI at ``/docs``)
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterator

import uvicorn
from fastapi import FastAPI, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import Engine, text

Readiness = Callable[[], dict[str, bool]]


def create_app(readiness: Readiness, engine: Engine, *, with_api: bool) -> FastAPI:
    app = FastAPI(
        title="infraledger",
        version="1.0.0",
        description="The commitment ledger of AI-infrastructure news, its changes and webhooks.",
    )

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
        from services.alerts.api import router as alerts_router
        from services.compute.api import router as compute_router
        from services.store.api import router as store_router

        app.include_router(store_router)
        app.include_router(alerts_router)
        app.include_router(compute_router)
    return app


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
