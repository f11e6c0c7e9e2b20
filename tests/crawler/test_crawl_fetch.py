"""The bounded fetch against hostile endpoints on 127.0.0.1: every case ends quickly with a
clear error kind."""

from __future__ import annotations

import asyncio
import gzip
import time
import zlib
from collections.abc import AsyncIterator

import pytest

from services.core.httpfetch import (
    BadUrl,
    BodyTooLarge,
    DecompressionBomb,
    Fetcher,
    FetchLimits,
    FetchTimeout,
    TooManyRedirects,
    decode_content,
    error_kind,
)
from services.core.netguard import BlockedAddress

from .fakesite import FakeSite, Response

LIMITS = FetchLimits(
    connect_timeout=1.0,
    read_timeout=0.5,
    total_timeout=1.5,
    max_body_bytes=1024 * 1024,
    max_decoded_bytes=2 * 1024 * 1024,
    max_redirects=3,
)


BOMB = gzip.compress(b"\0" * (16 * 1024 * 1024), 9)  # 16 KiB on the wire, 16 MiB inflated


async def _forever() -> AsyncIterator[bytes]:
    chunk = b"x" * 65536
    for _ in range(50 * 16):  # 50 MB
        yield chunk


async def _trickle() -> AsyncIterator[bytes]:
    for _ in range(100):
        await asyncio.sleep(0.2)
        yield b"."


@pytest.fixture
async def site() -> AsyncIterator[FakeSite]:
    async with FakeSite() as fake:
        h = "a.test"
        fake.route(h, "/ok", Response(200, [("Content-Type", "text/html")], b"<p>hello</p>"))
        fake.route(
            h, "/gz", Response(200, [("Content-Encoding", "gzip")], gzip.compress(b"hello " * 1000))
        )
        raw_deflate = zlib.compressobj(wbits=-15)
        fake.route(
            h,
            "/deflate",
            Response(
                200,
                [("Content-Encoding", "deflate")],
                raw_deflate.compress(b"abc" * 100) + raw_deflate.flush(),
            ),
        )
        fake.route(h, "/huge", Response(200, [], stream=_forever))
        fake.route(h, "/huge-declared", Response(200, [], b"y" * (2 * 1024 * 1024)))
        fake.route(h, "/bomb", Response(200, [("Content-Encoding", "gzip")], BOMB))
        fake.route(h, "/slow", Response(200, [], b"late", delay=5))
        fake.route(h, "/trickle", Response(200, [], stream=_trickle))
        fake.route(h, "/loop1", Response(302, [("Location", "/loop2")]))
        fake.route(h, "/loop2", Response(302, [("Location", "/loop1")]))
        for i in range(6):
            fake.route(h, f"/chain{i}", Response(302, [("Location", f"/chain{i + 1}")]))
        fake.route(h, "/hop", Response(302, [("Location", "/ok")]))
        for i in range(3):  # three slow hops to a slow page: 1.6 s on the network in all
            fake.route(h, f"/slow-hop{i}", Response(302, [("Location", f"/slow-hop{i + 1}")],
                                                    delay=0.4))  # fmt: skip
        fake.route(h, "/slow-hop3", Response(200, [], b"there", delay=0.4))
        fake.route(h, "/login", Response(200, [("Set-Cookie", "session=s1; Path=/")], b"in"))
        fake.route(h, "/to-metadata", Response(302, [("Location", "http://169.254.169.254/")]))
        fake.route(h, "/to-no-url", Response(302, [("Location", "http://[x")]))
        fake.route(h, "/to-no-port", Response(302, [("Location", "http://a.test:99999/")]))
        yield fake


def _fetcher(site: FakeSite, allow: tuple[str, ...] = ("127.0.0.0/8",)) -> Fetcher:
    return Fetcher(user_agent="t/1", limits=LIMITS, allow_networks=allow, resolver=site.resolve)


async def test_plain_gzip_and_raw_deflate_bodies_are_decoded(site: FakeSite) -> None:
    async with _fetcher(site) as f:
        ok = await f.get(site.url("a.test", "/ok"))
        gz = await f.get(site.url("a.test", "/gz"))
        de = await f.get(site.url("a.test", "/deflate"))
    assert ok.status == 200 and ok.body == b"<p>hello</p>" and ok.header("content-type")
    assert gz.body == b"hello " * 1000 and gz.raw != gz.body
    assert de.body == b"abc" * 100


async def test_requests_carry_the_crawler_headers_and_the_cookies_the_site_set(
    site: FakeSite,
) -> None:
    async with _fetcher(site) as f:
        await f.get(site.url("a.test", "/ok"))
        await f.get(site.url("a.test", "/login"))
        await f.get(site.url("a.test", "/ok"), {"If-None-Match": '"v1"'})
    first, _, last = site.requests
    assert first.headers["user-agent"] == "t/1" and first.headers["accept"] == "*/*"
    assert first.headers["accept-encoding"] == "gzip, deflate" and "cookie" not in first.headers
    assert last.headers["cookie"] == "session=s1" and last.headers["if-none-match"] == '"v1"'


async def test_the_cookie_jar_stays_bounded_over_many_sites(
    site: FakeSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("services.core.httpfetch.MAX_COOKIES", 3)
    for n in range(6):
        site.route(f"s{n}.test", "/login", Response(200, [("Set-Cookie", f"id={n}; Path=/")]))
    async with _fetcher(site) as f:
        for n in range(6):
            await f.get(site.url(f"s{n}.test", "/login"))
            assert len(f._cookies.jar) <= 3
        await f.get(site.url("s5.test", "/login"))  # the site sets its cookie again
        assert any(c.domain.startswith("s5.test") for c in f._cookies.jar)


@pytest.mark.parametrize(
    ("path", "error", "kind"),
    [
        ("/huge", BodyTooLarge, "too_large"),
        ("/huge-declared", BodyTooLarge, "too_large"),
        ("/bomb", DecompressionBomb, "decompression_bomb"),
        ("/slow", FetchTimeout, "timeout"),
        ("/trickle", FetchTimeout, "timeout"),
        ("/loop1", TooManyRedirects, "redirects"),
        ("/chain0", TooManyRedirects, "redirects"),
        ("/to-metadata", BlockedAddress, "blocked_address"),
        ("/to-no-url", BadUrl, "bad_url"),  # once a ValueError that ended the whole poll
        ("/to-no-port", BadUrl, "bad_url"),  # once an OverflowError from the connect
    ],
)
async def test_hostile_endpoints_fail_fast_with_a_clear_kind(
    site: FakeSite, path: str, error: type[Exception], kind: str
) -> None:
    started = time.monotonic()
    async with _fetcher(site) as f:
        with pytest.raises(error) as caught:
            await f.get(site.url("a.test", path))
    assert error_kind(caught.value) == kind
    assert time.monotonic() - started < 3.0


async def test_redirects_are_followed_and_recorded(site: FakeSite) -> None:
    async with _fetcher(site) as f:
        result = await f.get(site.url("a.test", "/hop"))
    assert result.final_url == site.url("a.test", "/ok")
    assert result.redirects == (site.url("a.test", "/hop"),)


async def test_waiting_for_the_redirect_targets_turn_does_not_count_against_the_deadline(
    site: FakeSite,
) -> None:
    """A host with a long Crawl-delay: its turn comes after the whole deadline has passed."""
    waited: list[str] = []

    async def crawl_delay(url: str) -> None:
        waited.append(url)
        await asyncio.sleep(LIMITS.total_timeout + 0.5)

    async with _fetcher(site) as f:
        result = await f.get(site.url("a.test", "/hop"), before_hop=crawl_delay)
    assert waited == [site.url("a.test", "/ok")]
    assert result.status == 200 and result.body == b"<p>hello</p>"


async def test_the_deadline_still_bounds_the_network_time_of_all_hops_together(
    site: FakeSite,
) -> None:
    async def no_delay(url: str) -> None:
        await asyncio.sleep(0)

    started = time.monotonic()
    async with _fetcher(site) as f:
        with pytest.raises(FetchTimeout):
            await f.get(site.url("a.test", "/slow-hop0"), before_hop=no_delay)
    assert time.monotonic() - started < 3.0


async def test_loopback_is_refused_without_the_allow_list(site: FakeSite) -> None:
    async with _fetcher(site, allow=()) as f:
        with pytest.raises(BlockedAddress):
            await f.get(site.url("a.test", "/ok"))
    assert site.requests == []


async def test_only_http_urls_are_fetched(site: FakeSite) -> None:
    async with _fetcher(site) as f:
        with pytest.raises(BadUrl):
            await f.get("file:///etc/passwd")


def test_decode_content_caps_output() -> None:
    with pytest.raises(DecompressionBomb):
        decode_content(gzip.compress(b"\0" * 10_000_000), "gzip", 1_000_000)
    assert decode_content(b"plain", None, 10) == b"plain"


async def test_a_name_resolving_to_a_private_address_is_refused_before_connecting() -> None:
    async def rebinding(host: str, port: int) -> list[str]:
        return ["10.0.0.7"]  # never contacted: the guard refuses before connect

    async with Fetcher(
        user_agent="t/1", limits=LIMITS, allow_networks=("127.0.0.0/8",), resolver=rebinding
    ) as f:
        with pytest.raises(BlockedAddress):
            await f.get("http://internal.test/admin")
