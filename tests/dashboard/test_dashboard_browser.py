"""The dashboard in a real headless Chromium against the running pipeline on the real broker:
seeds replayed through extractor and store, then a follow-up article published while the page
is open.  Screenshots are kept under ``var/test-artifacts/dashboard/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from services.api.app import create_app, serve
from services.core.bus import Outgoing
from services.core.config import Settings
from services.dashboard import build_router
from services.replay.publish import publish_records
from services.replay.sources import read_path
from services.runtime import Runtime, running
from services.up import PIPELINE, wait_drained

from .browser import Browser, Tab, chromium, ensure_chromium
from .ledger_data import SAMSUNG_GPUS, SEEDS, follow_up_article

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]
DRAIN_TIMEOUT = 300.0  # a fresh broker on a busy machine can take minutes to settle its groups

ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "dashboard"
LAPTOP, PHONE = (1366, 900), (390, 844)


@dataclass
class Stack:
    rt: Runtime
    url: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.asynccontextmanager
async def dashboard_server(rt: Runtime) -> AsyncIterator[str]:
    """The API process's application with the dashboard, served on a free loopback port."""
    app = create_app(rt.readiness, rt.engine, with_api=False)
    app.include_router(build_router(rt.factory))
    port, stop = free_port(), asyncio.Event()
    task = asyncio.create_task(serve(app, port, stop))
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http, asyncio.timeout(30):
            while True:
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(f"{url}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.1)
        yield url
    finally:
        stop.set()
        await task


@pytest.fixture
async def stack(
    kafka_bootstrap: str, make_settings: Callable[..., Settings]
) -> AsyncIterator[Stack]:
    """Extractor and store on the real broker, fed the seed archive until drained."""
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    async with running(settings, PIPELINE, asyncio.Event()) as rt:
        await publish_records(read_path(SEEDS), rt.publisher, rt.topics, replay_id="dashboard")
        await wait_drained(rt, alerts=False, timeout=DRAIN_TIMEOUT)
        async with dashboard_server(rt) as url:
            yield Stack(rt, url)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with chromium(await asyncio.to_thread(ensure_chromium)) as opened:
        yield opened


async def ledger_keys(tab: Tab) -> list[str]:
    keys: list[str] = await tab.evaluate(
        "[...document.querySelectorAll('tr[data-key]')].map(r => r.dataset.key)"
    )
    return keys


async def assert_readable(tab: Tab, width: int) -> None:
    """Hangul drawn with a CJK font, no replacement characters, nothing wider than the screen."""
    assert await tab.evaluate("document.fonts.check('16px \"Noto Sans CJK KR\"', '삼성전자')")
    assert await tab.evaluate("document.characterSet") == "UTF-8"
    text: str = await tab.evaluate("document.body.innerText")
    assert "삼성전자" in text and "엔비디아" in text and "\ufffd" not in text
    assert await tab.evaluate("document.documentElement.scrollWidth") <= width


async def test_the_ledger_shows_the_seed_commitments_on_a_laptop_and_on_a_phone(
    stack: Stack, browser: Browser
) -> None:
    laptop = await browser.page(*LAPTOP)
    await laptop.goto(f"{stack.url}/")
    keys = await ledger_keys(laptop)
    assert {
        "supply|nvidia|korea|gpu|-",
        "gpu_commitment|kr-government|nvidia|gpu|-",
        SAMSUNG_GPUS,
        "gpu_commitment|hyundai-motor-group|nvidia|gpu|-",
    } <= set(keys)
    headline = await laptop.evaluate(
        "document.querySelector('tr[data-key=\"supply|nvidia|korea|gpu|-\"]').innerText"
    )
    assert "NVIDIA" in headline and "한국" in headline and "up to 260,000 GPUs" in headline
    total = await laptop.evaluate("document.querySelector('.total .figures').innerText")
    assert total.startswith("Total up to 260,000 GPUs · parts about 150,000 GPUs")
    assert "unallocated about 110,000 GPUs" in total  # "up to" and "at least" in the sums
    await assert_readable(laptop, LAPTOP[0])
    await laptop.screenshot(ARTIFACTS / "ledger-laptop.png")

    await laptop.goto(f"{stack.url}/?org=samsung-electronics&type=gpu_commitment")
    assert await ledger_keys(laptop) == [SAMSUNG_GPUS]

    phone = await browser.page(*PHONE, mobile=True)
    await phone.goto(f"{stack.url}/")
    assert len(await ledger_keys(phone)) == len(keys)
    assert await phone.evaluate("getComputedStyle(document.querySelector('thead')).display") == (
        "none"
    )  # rows are cards of labelled fields
    await assert_readable(phone, PHONE[0])
    await phone.screenshot(ARTIFACTS / "ledger-phone.png", full_page=False)


async def test_a_follow_up_article_appears_in_the_open_feed_and_gives_its_timeline_two_points(
    stack: Stack, browser: Browser
) -> None:
    tab = await browser.page(*LAPTOP)
    await tab.goto(f"{stack.url}/")
    await tab.evaluate("window.notReloaded = true")
    assert await tab.evaluate("document.querySelectorAll('.feed .kind-increased').length") == 0

    article = follow_up_article()
    await stack.rt.publisher.publish_many(
        [Outgoing(stack.rt.topics.articles, article.id, article.model_dump_json().encode())]
    )
    fresh = await tab.wait_for(
        "document.querySelector('.feed > li.fresh.kind-increased')?.innerText", timeout=180
    )
    assert "Samsung Electronics" in fresh and "삼성전자" in fresh
    assert "at least 50,000 GPUs" in fresh and "60,000 GPUs" in fresh and "+10,000" in fresh
    marked = await tab.evaluate("document.querySelector('.feed > li.fresh mark').innerText")
    assert marked == "6만개"
    assert await tab.evaluate("window.notReloaded") is True
    samsung_row = f"document.querySelector('tr[data-key=\"{SAMSUNG_GPUS}\"]')"
    assert await tab.evaluate(f"{samsung_row}.classList.contains('changed')")
    assert await tab.evaluate("!document.querySelector('[data-ledger-stale]').hidden")
    await tab.screenshot(ARTIFACTS / "feed-after-follow-up.png", full_page=False)

    await tab.goto(f"{stack.url}/timeline?key={quote(SAMSUNG_GPUS, safe='')}")
    points = await tab.evaluate(
        "[...document.querySelectorAll('svg.chart .point')].map(p => [p.dataset.kind,"
        " p.dataset.value, p.closest('a').getAttribute('href')])"
    )
    assert [(kind, value) for kind, value, _ in points] == [
        ("new", "50000"),
        ("increased", "60000"),
    ]
    for _, _, href in points:  # each point links to its evidence on the page
        evidence = await tab.evaluate(f"document.querySelector('{href}').innerText")
        assert "example-news" in evidence or "seed" in evidence
    assert "삼성전자, 엔비디아 GPU 6만개로 확대" in await tab.evaluate(
        f"document.querySelector('{points[1][2]}').innerText"
    )
    await assert_readable(tab, LAPTOP[0])
    await tab.screenshot(ARTIFACTS / "timeline-samsung-gpus.png")
