"""Test helpers of the alerts tests: sample changes and real HTTP receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from services.alerts import repository
from services.alerts.matching import make_filter
from services.alerts.schedule import no_jitter
from services.alerts.service import make_handler, run_delivery_worker
from services.core.bus import Message
from services.core.config import Settings
from services.core.db import transaction, utcnow
from services.core.models import (
    ChangeEvidence,
    ChangeV1,
    CommitmentState,
    Delta,
    OrgRef,
    Quantity,
    stable_id,
)

Factory = sessionmaker[Session]
MakeSettings = Callable[..., Settings]
"""The ``make_settings`` fixture: settings isolated to one test."""


def make_change(n: int = 0, **overrides: Any) -> ChangeV1:
    """A valid ``ChangeV1``; keyword arguments override fields (``n`` varies the id)."""
    values: dict[str, Any] = {
        "id": stable_id("change", str(n)),
        "kind": "increased",
        "key": "gpu_commitment|nvidia|samsung",
        "type": "gpu_commitment",
        "subject": OrgRef(id="nvidia", name="NVIDIA"),
        "counterparty": OrgRef(id="samsung", name="Samsung Electronics"),
        "before": CommitmentState(
            quantity=Quantity(value=50000, unit="gpu", qualifier="about", text="5만개")
        ),
        "after": CommitmentState(
            quantity=Quantity(value=60000, unit="gpu", qualifier="about", text="6만개")
        ),
        "delta": Delta(absolute=10000, relative=0.2),
        "evidence": ChangeEvidence(
            article_id=stable_id("article", str(n)),
            url=f"https://news.example/a/{n}",
            title="Samsung to buy more GPUs",
            source="example",
            sentence="삼성전자는 엔비디아 GPU 6만개를 도입한다.",
            start=0,
            end=24,
        ),
        "effective_at": datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        "recorded_at": datetime(2026, 3, 1, 9, 5, tzinfo=UTC),
    }
    values.update(overrides)
    return ChangeV1(**values)


# --------------------------------------------------------------------------- receivers


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: bytes = b"ok"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0
    """Seconds to wait before answering (a slow receiver)."""


@dataclass(frozen=True)
class Received:
    at: float
    """``time.monotonic()`` when the request arrived."""
    headers: dict[str, str]
    body: bytes

    @property
    def webhook_id(self) -> str:
        return self.headers["webhook-id"]


Behaviour = Callable[["Receiver", Received], Awaitable[Reply] | Reply]


@dataclass
class Receiver:
    """A real HTTP/1.1 server on 127.0.0.1 recording every request (``Connection: close``)."""

    behaviour: Behaviour
    requests: list[Received] = field(default_factory=list)
    arrived: asyncio.Condition = field(default_factory=asyncio.Condition)
    port: int = 0
    _server: asyncio.Server | None = None
    _handlers: set[asyncio.Task[None]] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._handlers):
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """The first ``count`` requests, waiting for them at most ``timeout`` seconds."""
        async with asyncio.timeout(timeout), self.arrived:
            await self.arrived.wait_for(lambda: len(self.requests) >= count)
        return self.requests[:count]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")[1:]
            headers = {
                k.strip().lower(): v.strip()
                for k, v in (line.split(":", 1) for line in lines if ":" in line)
            }
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request = Received(time.monotonic(), headers, body)
            async with self.arrived:
                self.requests.append(request)
                self.arrived.notify_all()
            reply = self.behaviour(self, request)
            if not isinstance(reply, Reply):
                reply = await reply
            if reply.delay:
                await asyncio.sleep(reply.delay)
            extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers)
            writer.write(
                f"HTTP/1.1 {reply.status} X\r\ncontent-length: {len(reply.body)}\r\n"
                f"connection: close\r\n{extra}\r\n".encode("latin-1")
                + reply.body
            )
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._handlers.discard(task)


StartReceiver = Callable[[Behaviour], Awaitable[Receiver]]


def always(reply: Reply) -> Behaviour:
    return lambda _receiver, _request: reply


def script(*replies: Reply) -> Behaviour:
    """The n-th request gets the n-th reply; later ones get the last."""
    return lambda receiver, _request: replies[min(len(receiver.requests), len(replies)) - 1]


@asynccontextmanager
async def running_worker(
    factory: sessionmaker[Session], settings: Settings, **options: Any
) -> AsyncIterator[asyncio.Event]:
    """A delivery worker task for the duration of the block; yields its ``wake`` event."""
    stop, wake = asyncio.Event(), asyncio.Event()
    options.setdefault("jitter", no_jitter)
    options.setdefault("poll_interval", 0.05)
    task = asyncio.create_task(run_delivery_worker(factory, settings, stop, wake=wake, **options))
    try:
        yield wake
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=30)


def subscribe(factory: sessionmaker[Session], url: str, **rule: Any) -> tuple[str, str]:
    """A new endpoint for ``url``; returns its id and secret."""
    with transaction(factory) as session:
        endpoint, secret = repository.create_endpoint(
            session, url, make_filter(**rule), utcnow(), ("127.0.0.0/8",)
        )
    return endpoint.id, secret


async def publish(factory: sessionmaker[Session], settings: Settings, *changes: ChangeV1) -> None:
    """Hand ``changes`` to the consumer handler as one batch of ``ledger.changes.v1``."""
    handler = make_handler(factory, settings)
    await handler(
        [
            Message("ledger.changes.v1", 0, i, c.key.encode(), c.model_dump_json().encode())
            for i, c in enumerate(changes)
        ]
    )


def delivery_of(
    factory: sessionmaker[Session], webhook_id: str
) -> tuple[repository.DeliveryView, list[repository.AttemptView]]:
    with transaction(factory) as session:
        return repository.get_delivery(session, webhook_id)


def endpoint_of(factory: sessionmaker[Session], endpoint_id: str) -> repository.EndpointView:
    with transaction(factory) as session:
        return repository.get_endpoint(session, endpoint_id)


class _RecordingHandler(BaseHTTPRequestHandler):
    server: _RecordingServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", "0")))
        self.server.requests.append(
            Received(time.monotonic(), {k.lower(): v for k, v in self.headers.items()}, body)
        )
        self.send_response(self.server.status)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _RecordingServer(ThreadingHTTPServer):
    def __init__(self, status: int) -> None:
        super().__init__(("127.0.0.1", 0), _RecordingHandler)
        self.status = status
        self.requests: list[Received] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@contextmanager
def threaded_receiver(status: int = 200) -> Iterator[_RecordingServer]:
    """A receiver in its own thread, for synchronous callers (CLI, ``TestClient``)."""
    server = _RecordingServer(status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
