"""Crawl targets on loopback for scenarios 9 and 10: a good news site and hostile servers.

Each target listens on its own loopback address (127.0.0.1 is the good site, 127.0.0.2… the
hostile ones), so the crawler's per-host politeness gate keeps them apart as it would distinct
hosts on the internet.  A raw asyncio HTTP/1.1 server in a thread: hostile handlers need to
control every byte and to notice when the client gives up.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import zlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from services.core.models import ArticleV1

Writer = asyncio.StreamWriter
Handler = Callable[["Target", str, Writer], Awaitable[None]]


@dataclass
class Target:
    name: str
    address: str
    handler: Handler
    port: int = 0
    requests: list[tuple[str, float]] = field(default_factory=list)
    closed_after: list[float] = field(default_factory=list)
    """Seconds each connection lasted until the client went away (hostile streams)."""
    bytes_sent: list[int] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://{self.address}:{self.port}{path}"

    def paths(self, prefix: str) -> list[str]:
        return [p for p, _ in self.requests if p.startswith(prefix)]


async def respond(
    writer: Writer, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    reason = {200: "OK", 302: "Found", 404: "Not Found"}.get(status, "X")
    head = [f"HTTP/1.1 {status} {reason}", f"Content-Length: {len(body)}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in (headers or {}).items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()


async def stream_until_closed(
    target: Target, writer: Writer, head: bytes, chunk: bytes, pause: float
) -> None:
    """Send ``head`` then ``chunk`` forever (every ``pause`` s) until the client hangs up."""
    began, sent = time.monotonic(), 0
    try:
        writer.write(head)
        await writer.drain()
        while True:
            writer.write(chunk)
            await writer.drain()
            sent += len(chunk)
            if writer.is_closing():
                break
            await asyncio.sleep(pause)
    except (ConnectionError, OSError):
        pass
    finally:
        target.closed_after.append(time.monotonic() - began)
        target.bytes_sent.append(sent)


def rss(links: list[tuple[str, str, datetime]]) -> bytes:
    items = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        f"<pubDate>{format_datetime(published)}</pubDate></item>"
        for title, link, published in links
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>'
        f"<link>http://127.0.0.1/</link>{items}</channel></rss>"
    ).encode()


def article_html(article: ArticleV1, charset: str = "utf-8") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in article.text.split("\n\n") if p.strip())
    published = (article.published_at or datetime.now(UTC)).isoformat()
    return (
        f'<html><head><meta charset="{charset}"><title>{article.title}</title>'
        f'<meta property="og:title" content="{article.title}">'
        f'<meta property="article:published_time" content="{published}">'
        f"</head><body><nav><a href='/'>home</a></nav><article><h1>{article.title}</h1>"
        f"{paragraphs}</article><footer>chaos news</footer></body></html>"
    )


# --------------------------------------------------------------------------- handlers


def good_site(articles: list[ArticleV1]) -> Handler:
    """``/feed`` lists every article; ``/article/<i>`` serves it."""
    pages = {f"/article/{i}": article_html(a).encode() for i, a in enumerate(articles)}

    async def handle(target: Target, path: str, writer: Writer) -> None:
        if path == "/feed":
            base = datetime(2025, 6, 1, tzinfo=UTC)
            links = [
                (f"GPU {i}", target.url(p), base + timedelta(hours=i)) for i, p in enumerate(pages)
            ]
            await respond(writer, 200, rss(links), {"Content-Type": "application/rss+xml"})
        elif path in pages:
            await respond(writer, 200, pages[path], {"Content-Type": "text/html; charset=utf-8"})
        else:
            await respond(writer, 404, b"")

    return handle


async def slowloris(target: Target, path: str, writer: Writer) -> None:
    """An endless body, one byte every half second."""
    if path == "/robots.txt":
        await respond(writer, 404, b"")
        return
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n\r\n<?xml"
    await stream_until_closed(target, writer, head, b" ", 0.5)


async def redirect_loop(target: Target, path: str, writer: Writer) -> None:
    """Every URL redirects to the next one, forever."""
    if path == "/robots.txt":
        await respond(writer, 404, b"")
        return
    hop = int(path.rsplit("/", 1)[-1]) + 1 if path.startswith("/r/") else 1
    await respond(writer, 302, b"", {"Location": f"/r/{hop}"})


def gzip_bomb(inflated_mb: int = 256) -> Handler:
    """A few hundred kilobytes that inflate to ``inflated_mb`` megabytes of zeros."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    body = b"".join(compressor.compress(block) for _ in range(inflated_mb)) + compressor.flush()

    async def handle(target: Target, path: str, writer: Writer) -> None:
        if path == "/robots.txt":
            await respond(writer, 404, b"")
            return
        headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
        await respond(writer, 200, body, headers)
        target.bytes_sent.append(len(body))

    return handle


async def hundred_megabytes(target: Target, path: str, writer: Writer) -> None:
    """A 100 MB page, announced as such, streamed until the client stops reading."""
    if path == "/robots.txt":
        await respond(writer, 404, b"")
        return
    size = 100 * 1024 * 1024
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {size}\r\n\r\n<html><body>"
    ).encode()
    await stream_until_closed(target, writer, head, b"<p>" + b"x" * 65533, 0.0)


def invalid_charset(article: ArticleV1) -> Handler:
    """Articles whose bytes do not match their declared charset (or declare a bogus one)."""
    good = article_html(article).encode()
    broken = good.replace(b"<p>", b"<p>\xff\xfe\xc3\x28", 3)
    bogus = article_html(article, charset="x-no-such-charset").encode()

    async def handle(target: Target, path: str, writer: Writer) -> None:
        if path == "/feed":
            now = datetime(2025, 6, 1, tzinfo=UTC)
            links = [("bad bytes", target.url("/a/broken"), now),
                     ("bogus charset", target.url("/a/bogus"), now)]  # fmt: skip
            await respond(writer, 200, rss(links), {"Content-Type": "application/rss+xml"})
        elif path == "/a/broken":
            await respond(writer, 200, broken, {"Content-Type": "text/html; charset=utf-8"})
        elif path == "/a/bogus":
            headers = {"Content-Type": "text/html; charset=x-no-such-charset"}
            await respond(writer, 200, bogus, headers)
        else:
            await respond(writer, 404, b"")

    return handle


def huge_feed(items: int = 100_000) -> Handler:
    """A feed of ``items`` entries, each linking to a page that does not exist."""

    async def handle(target: Target, path: str, writer: Writer) -> None:
        if path == "/feed":
            entries = "".join(
                f"<item><link>{target.url(f'/i/{n}')}</link></item>" for n in range(items)
            )
            body = (
                '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
                f"<title>t</title>{entries}</channel></rss>"
            ).encode()
            await respond(writer, 200, body, {"Content-Type": "application/rss+xml"})
        else:
            await respond(writer, 404, b"")

    return handle


# --------------------------------------------------------------------------- server


@contextlib.contextmanager
def serving(targets: list[Target]) -> Iterator[list[Target]]:
    """Serve every target from one event loop in a thread; stop them on exit."""
    loop = asyncio.new_event_loop()
    servers: list[asyncio.AbstractServer] = []
    started = threading.Event()

    def make_callback(target: Target) -> Callable[[asyncio.StreamReader, Writer], Awaitable[None]]:
        async def on_connect(reader: asyncio.StreamReader, writer: Writer) -> None:
            try:
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
                path = head.split(b" ", 2)[1].decode("latin-1")
                target.requests.append((path, time.monotonic()))
                await target.handler(target, path, writer)
            except (asyncio.IncompleteReadError, TimeoutError, ConnectionError, OSError):
                pass
            finally:
                with contextlib.suppress(Exception):
                    writer.close()

        return on_connect

    async def start() -> None:
        for target in targets:
            server = await asyncio.start_server(
                make_callback(target), host=target.address, port=target.port
            )
            target.port = int(server.sockets[0].getsockname()[1])
            servers.append(server)

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="hostile-targets", daemon=True)
    thread.start()
    started.wait(30)
    try:
        yield targets
    finally:

        async def shutdown() -> None:
            for server in servers:
                server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            loop.stop()

        asyncio.run_coroutine_threadsafe(shutdown(), loop)
        thread.join(10)
        loop.close()
