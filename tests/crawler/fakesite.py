"""A tiny, hostile-capable HTTP/1.1 server on 127.0.0.1 for crawler tests.

Virtual hosts by the ``Host`` header (tests resolve ``news.test``, ``www.news.test``,
``wire.test``, ``bad.test`` to 127.0.0.1 through an injected resolver).  Every request is
recorded with its arrival time and headers; the server also tracks how many requests per host
were in flight at once.  Handlers can stream bodies slowly or without end.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from services.core.netguard import Resolver


@dataclass(frozen=True)
class Request:
    host: str
    path: str
    headers: dict[str, str]
    at: float


@dataclass
class Response:
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: Callable[[], AsyncIterator[bytes]] | None = None
    """A close-delimited streamed body (no Content-Length)."""
    delay: float = 0.0
    """Seconds to wait before sending anything."""


Handler = Callable[[Request], Awaitable[Response] | Response]
REASONS = {
    200: "OK",
    301: "Moved",
    302: "Found",
    304: "Not Modified",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Server Error",
    503: "Unavailable",
}


class FakeSite:
    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Handler | Response] = {}
        self.requests: list[Request] = []
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ set-up

    def route(self, host: str, path: str, handler: Handler | Response) -> None:
        self.routes[(host, path)] = handler

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"

    async def resolver(self, host: str, port: int) -> list[str]:
        return ["127.0.0.1"]

    @property
    def resolve(self) -> Resolver:
        return self.resolver

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> FakeSite:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ queries

    def paths(self, host: str | None = None) -> list[str]:
        return [r.path for r in self.requests if host is None or r.host == host]

    def times(self, host: str) -> list[float]:
        return [r.at for r in self.requests if r.host == host]

    # ------------------------------------------------------------------ serving

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        host = ""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            _method, target, _version = lines[0].split(" ", 2)
            headers: dict[str, str] = {}
            for line in lines[1:]:
                if ":" in line:
                    key, value = line.split(":", 1)
                    headers[key.strip().lower()] = value.strip()
            host = headers.get("host", "").rsplit(":", 1)[0]
            request = Request(host, target, headers, time.monotonic())
            self.requests.append(request)
            self.in_flight[host] = self.in_flight.get(host, 0) + 1
            self.max_in_flight[host] = max(self.max_in_flight.get(host, 0), self.in_flight[host])
            handler = self.routes.get((host, target)) or self.routes.get(
                (host, target.split("?", 1)[0])
            )
            if handler is None:
                response = Response(404, [("Content-Type", "text/plain")], b"not found")
            elif isinstance(handler, Response):
                response = handler
            else:
                produced = handler(request)
                response = await produced if not isinstance(produced, Response) else produced
            if response.delay:
                await asyncio.sleep(response.delay)
            status_line = f"HTTP/1.1 {response.status} {REASONS.get(response.status, 'X')}\r\n"
            out_headers = [*list(response.headers), ("Connection", "close")]
            if response.stream is None:
                out_headers.append(("Content-Length", str(len(response.body))))
            blob = status_line + "".join(f"{k}: {v}\r\n" for k, v in out_headers) + "\r\n"
            writer.write(blob.encode("latin-1"))
            if response.stream is None:
                writer.write(response.body)
                await writer.drain()
            else:
                async for chunk in response.stream():
                    writer.write(chunk)
                    await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            if host:
                self.in_flight[host] -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            self._tasks.discard(task)
