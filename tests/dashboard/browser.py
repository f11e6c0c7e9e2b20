"""A headless Chromium driven over the DevTools protocol, without Node or a websocket library.

Chromium is started with ``--remote-debugging-pipe``: it reads protocol messages (JSON, each
ended by a NUL byte) from file descriptor 3 and writes its replies and events to descriptor 4.
Only what the dashboard's tests need: open a page at a size, evaluate JavaScript, wait for a
condition, take a screenshot.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fcntl
import itertools
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
ENSURE = Path(__file__).with_name("ensure_chromium.sh")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    "--remote-debugging-pipe",
)


class BrowserError(RuntimeError):
    pass


def ensure_chromium() -> Path:
    """Install Debian's Chromium and Noto CJK fonts when missing; fail loudly if impossible."""
    result = subprocess.run(["bash", str(ENSURE)], capture_output=True, text=True, check=False)
    if result.returncode != 0 or not CHROMIUM.exists():
        raise BrowserError(f"cannot install Chromium: {result.stderr.strip() or result.stdout}")
    return CHROMIUM


class Browser:
    """One Chromium process; ``await browser.page(width, height)`` opens a tab."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.WriteTransport) -> None:
        self._reader = reader
        self._writer = writer
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._pump = asyncio.create_task(self._read_replies())

    async def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> dict[str, Any]:
        ident = next(self._ids)
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session is not None:
            message["sessionId"] = session
        reply = asyncio.get_running_loop().create_future()
        self._waiting[ident] = reply
        self._writer.write(json.dumps(message).encode() + b"\0")
        return await asyncio.wait_for(reply, 30)

    async def _read_replies(self) -> None:
        try:
            while True:
                raw = await self._reader.readuntil(b"\0")
                message = json.loads(raw[:-1])
                reply = self._waiting.pop(message.get("id", -1), None)
                if reply is None or reply.done():
                    continue  # an event; the tests poll the page instead
                if "error" in message:
                    reply.set_exception(BrowserError(f"{message['error']}"))
                else:
                    reply.set_result(message.get("result", {}))
        except (asyncio.IncompleteReadError, ConnectionError):
            for reply in self._waiting.values():
                if not reply.done():
                    reply.set_exception(BrowserError("Chromium closed the pipe"))

    async def page(self, width: int, height: int, *, mobile: bool = False) -> Tab:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send(
            "Target.attachToTarget", {"targetId": target["targetId"], "flatten": True}
        )
        tab = Tab(self, attached["sessionId"])
        await tab.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
        )
        await tab.call("Page.enable")
        return tab

    async def close(self) -> None:
        with contextlib.suppress(BrowserError, asyncio.TimeoutError):
            await self.send("Browser.close")
        self._pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pump
        self._writer.close()


class Tab:
    def __init__(self, browser: Browser, session: str) -> None:
        self._browser = browser
        self._session = session

    async def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return await self._browser.send(method, params, self._session)

    async def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (awaited if it is a promise)."""
        result = await self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, timeout: float = 30.0) -> Any:
        """Poll until the expression is truthy; its value."""
        async with asyncio.timeout(timeout):
            while True:
                value = await self.evaluate(expression)
                if value:
                    return value
                await asyncio.sleep(0.2)

    async def goto(self, url: str) -> None:
        """Navigate and wait until the document, its stylesheet and fonts are loaded."""
        navigated = await self.call("Page.navigate", {"url": url})
        if navigated.get("errorText"):
            raise BrowserError(f"cannot open {url}: {navigated['errorText']}")
        await self.wait_for(
            f"location.href === {json.dumps(url)} && document.readyState === 'complete'"
        )
        await self.evaluate("document.fonts.ready.then(() => true)")

    async def screenshot(self, path: Path, *, full_page: bool = True) -> Path:
        """The whole page (or only what the screen shows) as PNG."""
        shot = await self.call(
            "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": full_page}
        )
        await asyncio.to_thread(_write, path, base64.b64decode(shot["data"]))
        return path


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _high_fd(fd: int) -> int:
    """A copy of ``fd`` above 9, so that the shell's ``3<&n 4>&m`` cannot clobber it."""
    copy = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return copy


@contextlib.asynccontextmanager
async def chromium(executable: Path = CHROMIUM) -> AsyncIterator[Browser]:
    """A headless Chromium with a fresh profile, reachable only by its pipe; closed on exit."""
    profile = tempfile.mkdtemp(prefix="infraledger-chromium-")
    to_browser_r, to_browser_w = (_high_fd(fd) for fd in os.pipe())
    from_browser_r, from_browser_w = (_high_fd(fd) for fd in os.pipe())
    process = await asyncio.create_subprocess_exec(
        "bash",
        "-c",
        f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}',
        str(executable),
        *FLAGS,
        f"--user-data-dir={profile}",
        "about:blank",
        pass_fds=(to_browser_r, from_browser_w),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(to_browser_r)
    os.close(from_browser_w)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=256 * 1024 * 1024)
    read_transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(from_browser_r, "rb", 0)
    )
    write_transport, _ = await loop.connect_write_pipe(
        asyncio.BaseProtocol, os.fdopen(to_browser_w, "wb", 0)
    )
    browser = Browser(reader, write_transport)
    try:
        yield browser
    finally:
        await browser.close()
        try:
            await asyncio.wait_for(process.wait(), 10)
        except TimeoutError:
            process.kill()
            await process.wait()
        read_transport.close()
        shutil.rmtree(profile, ignore_errors=True)
