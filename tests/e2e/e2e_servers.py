"""Real HTTP servers on 127.0.0.1 for end-to-end tests: a news site and a webhook receiver."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SEED_HTML = Path(__file__).resolve().parents[2] / "seeds" / "articles" / "579068ff91aef37f.html"


@dataclass
class Page:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200


@dataclass
class Site:
    """Pages by path; records every request path it saw."""

    pages: dict[str, Page]
    requests: list[str] = field(default_factory=list)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@dataclass
class Received:
    path: str
    headers: Mapping[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver answering ``status`` and keeping every request."""

    status: int = 200
    received: list[Received] = field(default_factory=list)
    port: int = 0
    arrived: threading.Event = field(default_factory=threading.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/infraledger"


@contextmanager
def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def news_site(pages: dict[str, Page]) -> Iterator[Site]:
    site = Site(pages)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            site.requests.append(self.path)
            page = site.pages.get(self.path.split("?", 1)[0])
            if page is None:
                self.send_error(404)
                return
            self.send_response(page.status)
            self.send_header("Content-Type", page.content_type)
            self.send_header("Content-Length", str(len(page.body)))
            self.end_headers()
            self.wfile.write(page.body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    with _serve(Handler) as port:
        site.port = port
        yield site


@contextmanager
def webhook_receiver(status: int = 200) -> Iterator[Receiver]:
    receiver = Receiver(status)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            receiver.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(receiver.status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            receiver.arrived.set()

        def log_message(self, format: str, *args: object) -> None:
            pass

    with _serve(Handler) as port:
        receiver.port = port
        yield receiver


def rss_feed(items: list[tuple[str, str, datetime]]) -> bytes:
    """An RSS 2.0 feed of (title, link, published) items."""
    entries = "".join(
        f"<item><title>{title}</title><link>{link}</link>"
        f"<pubDate>{format_datetime(published)}</pubDate></item>"
        for title, link, published in items
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Example News IT</title><link>http://127.0.0.1/</link>{entries}"
        "</channel></rss>"
    ).encode()


def seed_site_pages(seed_path: str = "/article/579068ff91aef37f") -> dict[str, Page]:
    """The seed article and an RSS feed that links to it (canonical URL rewritten to this site)."""
    html = SEED_HTML.read_text(encoding="utf-8")
    return {
        seed_path: Page(html.encode("utf-8")),
        "/robots.txt": Page(b"User-agent: *\nAllow: /\n", "text/plain"),
    }
