"""The whole crawler against a fake news site on 127.0.0.1.

Hosts (all resolved to 127.0.0.1 by an injected resolver): ``news.test`` (RSS, Atom, sitemap
index + news sitemap, section page, robots.txt), ``www.news.test`` (the same article under
another host name), ``wire.test`` (a syndicated copy) and ``bad.test`` (hostile endpoints).
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from warcio.archiveiterator import ArchiveIterator

from services.core.bus import MemoryBus
from services.core.config import Settings
from services.core.models import ArticleV1
from services.core.polling import header_time
from services.core.topics import Topics
from services.crawler.crawler import CrawlStats, Decision, run_crawler
from services.crawler.sources import parse_sources
from services.crawler.warc import read_response

from .fakesite import FakeSite, Request, Response

DELAY = 0.2
SEED = (Path(__file__).resolve().parents[2] / "seeds" / "000_579068ff91aef37f.txt").read_text(
    encoding="utf-8"
)
HBM_KO = """SK하이닉스가 엔비디아에 6세대 고대역폭메모리(HBM4) 12단 제품을 공급한다고 31일 밝혔다.
회사는 내년 상반기까지 HBM4 양산 체제를 갖추고 AI 데이터센터용 GPU에 탑재될 물량을 확대할 계획이다.
업계는 AI 반도체 수요가 늘면서 메모리 공급 부족이 내년까지 이어질 것으로 본다.
SK하이닉스는 청주 M15X 공장에 20조원을 투자해 HBM 생산 능력을 두 배로 늘린다."""
ENGLISH = """Microsoft signed a multi-year agreement to deploy 100,000 Nvidia GB200 GPUs in Texas.
The new AI data center will add compute capacity for OpenAI and other customers of Azure.
The facility will draw 300 MW of power and is due to come online in the second half of next year.
Analysts said the deal shows hyperscalers are still racing to secure accelerators and power."""
SITEMAP_EN = """Samsung Electronics will supply HBM3E memory for AMD's next Instinct accelerators.
The company is also in talks to provide HBM4 to Nvidia, a person familiar with the plan said.
The AI chip boom keeps memory makers' fabs running at capacity as hyperscale customers expand.
Samsung plans to raise its HBM output by half next year at its Pyeongtaek campus."""
SECTION_KO = """네이버클라우드가 국가 AI 컴퓨팅센터에 엔비디아 블랙웰 GPU 1만장을 도입한다.
데이터센터는 40MW 규모로 세종에 구축되며 공공기관에 GPU 자원을 제공한다.
정부는 이번 사업에 1조원 이상을 투입해 국내 AI 연구자들의 연산 자원 부족을 해소할 방침이다.
네이버는 하이퍼클로바X 학습에도 새 클러스터의 일부를 활용할 계획이라고 설명했다."""
LIMITED_KO = """리벨리온과 퓨리오사AI가 국산 AI 가속기(NPU)를 데이터센터에 공급하는 사업을 확대한다.
정부는 AI 반도체 실증 사업에 예산을 투입해 국산 NPU 기반 AI 인프라를 구축할 계획이다.
두 회사는 올해 안에 통신사 데이터센터 세 곳에 NPU 서버 수천 대를 설치하기로 했다.
업계는 국산 칩이 엔비디아 GPU 의존도를 낮추는 계기가 될 것으로 기대한다."""
SPORTS_KO = """손흥민이 프리미어리그 경기에서 멀티골을 터뜨리며 팀의 3대1 승리를 이끌었다.
전반 12분 선제골을 넣은 그는 후반 30분 추가골로 시즌 10호 골을 기록했다.
축구 팬들은 경기장에서 환호했고 감독은 선수들의 투혼을 칭찬했다.
팀은 주말 홈 경기에서 리그 선두 자리를 지키기 위해 다시 나선다."""
INVALID_EN = """Rebellions and SK Telecom will build an AI data center in Seoul with 10,000 NPUs.
The site will also host Nvidia H200 GPUs, expanding sovereign AI infrastructure in Korea.
The partners said the first phase of 20 MW will open next spring near Gasan Digital Complex.
Rebellions will supply its Rebel chips under a three-year contract worth about 300 billion won."""
SECRET = "엔비디아 GPU 비밀 기사. " * 30


def page(title: str, text: str, *, charset: str = "utf-8", head: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n") if p.strip())
    return (
        f'<html><head><meta charset="{charset}"><title>{title} | 뉴스</title>'
        f'<meta property="og:title" content="{title}">'
        '<meta property="article:published_time" content="2025-10-31T10:00:00+09:00">'
        f"{head}</head><body><nav><a href='/'>home</a></nav><article><h1>{title}</h1>"
        f"{paragraphs}</article><footer>Copyright news.test</footer></body></html>"
    )


def html(
    body: str | bytes, charset: str = "utf-8", extra: list[tuple[str, str]] | None = None
) -> Response:
    data = body.encode(charset) if isinstance(body, str) else body
    return Response(200, [("Content-Type", f"text/html; charset={charset}"), *(extra or [])], data)


@dataclass
class Env:
    site: FakeSite
    settings: Settings
    state: dict[str, Any]

    def u(self, host: str, path: str) -> str:
        return self.site.url(host, path)


def build_site(site: FakeSite) -> dict[str, Any]:
    state: dict[str, Any] = {"429_served": False, "429_at": None}
    n, w, b = "news.test", "wire.test", "bad.test"
    u = site.url
    site.route(
        n,
        "/robots.txt",
        Response(200, [("Content-Type", "text/plain")], b"User-agent: *\nDisallow: /private/\n"),
    )
    for host in (w, b, "www.news.test"):
        site.route(host, "/robots.txt", Response(404, [], b""))
    rss = f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>n</title>
<item><title>GPU 26만장</title><link>{u(n, "/article/1?utm_source=rss&amp;utm_medium=feed")}</link>
<pubDate>Fri, 31 Oct 2025 10:00:00 +0900</pubDate></item>
<item><title>HBM4</title><link>{u(n, "/article/2")}</link>
<pubDate>Fri, 31 Oct 2025 09:00:00 +0900</pubDate></item>
<item><title>secret</title><link>{u(n, "/private/secret")}</link>
<pubDate>Fri, 31 Oct 2025 08:00:00 +0900</pubDate></item>
<item><title>sports</title><link>{u(n, "/article/3")}</link>
<pubDate>Fri, 31 Oct 2025 07:00:00 +0900</pubDate></item>
</channel></rss>""".encode()

    def rss_handler(request: Request) -> Response:
        if request.headers.get("if-none-match") == '"rss-v1"':
            return Response(304, [("ETag", '"rss-v1"')])
        return Response(200, [("Content-Type", "application/rss+xml"), ("ETag", '"rss-v1"')], rss)

    site.route(n, "/rss.xml", rss_handler)
    atom = f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>n</title><id>urn:n</id><updated>2025-10-31T00:00:00Z</updated>
<entry><title>GB200 deal</title><link href="{u(n, "/article/4")}"/><id>urn:4</id>
<updated>2025-10-31T03:00:00Z</updated></entry>
<entry><title>same as 1</title><link href="{u("www.news.test", "/article/1#top")}"/><id>urn:1w</id>
<updated>2025-10-31T02:00:00Z</updated></entry>
<entry><title>wire copy</title><link href="{u(w, "/story/100")}"/><id>urn:w100</id>
<updated>2025-10-31T01:00:00Z</updated></entry>
</feed>""".encode()
    last_modified = "Fri, 31 Oct 2025 03:00:00 GMT"

    def atom_handler(request: Request) -> Response:
        if request.headers.get("if-modified-since") == last_modified:
            return Response(304, [])
        return Response(
            200, [("Content-Type", "application/atom+xml"), ("Last-Modified", last_modified)], atom
        )

    site.route(n, "/atom.xml", atom_handler)
    site.route(
        n,
        "/sitemap_index.xml",
        Response(
            200,
            [("Content-Type", "application/xml")],
            f"""
<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>http://10.0.0.1/sitemap.xml</loc></sitemap>
<sitemap><loc>{u(n, "/news-sitemap.xml.gz")}</loc><lastmod>2025-10-31</lastmod></sitemap>
</sitemapindex>""".strip().encode(),  # a child at a private address: refused, the rest read
        ),
    )
    news_sitemap = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>{u(n, "/article/5")}</loc><news:news><news:publication><news:name>n</news:name>
<news:language>en</news:language></news:publication><news:title>HBM3E</news:title>
<news:publication_date>2025-10-31T11:00:00+09:00</news:publication_date></news:news></url>
<url><loc>{u(n, "/article/4?utm_campaign=x")}</loc></url>
</urlset>""".encode()
    site.route(
        n,
        "/news-sitemap.xml.gz",
        Response(200, [("Content-Type", "application/x-gzip")], gzip.compress(news_sitemap)),
    )
    site.route(
        n,
        "/section/it",
        html(
            "<html><body><a href='/article/6'>NPU</a> <a href='/article/1?fbclid=zzz'>again</a>"
            "<a href='/about'>about</a> <a href='/article/7'>limited</a>"
            f"<a href='{u('other.test', '/article/8')}'>elsewhere</a></body></html>"
        ),
    )
    site.route(
        n,
        "/article/1",
        html(
            page(
                "엔비디아, 한국에 GPU 26만장 공급",
                SEED,
                head=(f'<link rel="canonical" href="{u("www.news.test", "/article/1")}">'),
            )
        ),
    )
    site.route("www.news.test", "/article/1", html(page("엔비디아, 한국에 GPU 26만장 공급", SEED)))
    site.route(
        n,
        "/article/2",
        html(page("SK하이닉스 HBM4 공급", HBM_KO, charset="euc-kr"), charset="euc-kr"),
    )
    site.route(n, "/article/3", html(page("손흥민 멀티골", SPORTS_KO)))
    site.route(n, "/article/4", html(page("Microsoft to deploy 100,000 GB200 GPUs", ENGLISH)))
    site.route(n, "/article/5", html(page("Samsung HBM3E for AMD", SITEMAP_EN)))
    site.route(n, "/article/6", html(page("네이버클라우드 블랙웰 1만장", SECTION_KO)))
    site.route(n, "/private/secret", html(page("비밀", SECRET)))

    def limited(request: Request) -> Response:
        if not state["429_served"]:
            state["429_served"] = True
            state["429_at"] = request.at
            return Response(429, [("Retry-After", "1")], b"slow down")
        return html(page("국산 NPU 데이터센터", LIMITED_KO))

    site.route(n, "/article/7", limited)
    syndicated = "(Wire) " + ENGLISH + "\nReporting by Wire staff."
    site.route(w, "/story/100", html(page("Wire: Microsoft GB200 GPUs", syndicated)))

    async def trickle() -> AsyncIterator[bytes]:
        for _ in range(100):
            await asyncio.sleep(0.3)
            yield b"<p>"

    async def huge() -> AsyncIterator[bytes]:
        chunk = b"<p>" + b"x" * 65533
        for _ in range(800):  # 50 MB
            yield chunk

    bad_feed = (
        "".join(
            f"<item><title>{p}</title><link>{u(b, p)}</link></item>"
            for p in ("/slow", "/huge", "/bomb", "/loop", "/invalid")
        )
        + "<item><title>m</title><link>http://169.254.169.254/latest/meta-data/</link></item>"
    )
    site.route(
        b,
        "/feed.xml",
        Response(
            200,
            [("Content-Type", "application/rss+xml")],
            f"<rss><channel>{bad_feed}</channel></rss>".encode(),
        ),
    )
    site.route(b, "/slow", Response(200, [("Content-Type", "text/html")], stream=trickle))
    site.route(b, "/huge", Response(200, [("Content-Type", "text/html")], stream=huge))
    site.route(
        b,
        "/bomb",
        Response(
            200,
            [("Content-Type", "text/html"), ("Content-Encoding", "gzip")],
            gzip.compress(b" " * (16 * 1024 * 1024), 9),
        ),
    )
    site.route(b, "/loop", Response(302, [("Location", "/loop-2")]))
    site.route(b, "/loop-2", Response(302, [("Location", "/loop")]))
    broken = (
        page("Rebellions AI data center", INVALID_EN)
        .encode()
        .replace(b"<p>", b"<p>\xff\xfe\xc3", 2)
    )
    site.route(b, "/invalid", Response(200, [("Content-Type", "text/html; charset=utf-8")], broken))
    return state


def sources_for(site: FakeSite) -> Any:
    u = site.url
    return parse_sources(
        {
            "sources": [
                {
                    "name": "news",
                    "lang": "ko",
                    "feeds": [u("news.test", "/rss.xml"), u("news.test", "/atom.xml")],
                    "sitemaps": [u("news.test", "/sitemap_index.xml")],
                    "pages": [u("news.test", "/section/it")],
                    "article_pattern": r"/article/\d+",
                    "poll_every": "5m",
                },
                {
                    "name": "hostile",
                    "lang": "en",
                    "feeds": [u("bad.test", "/feed.xml")],
                    "poll_every": "5m",
                },
            ]
        }
    )


@pytest.fixture
async def env(make_settings: Callable[..., Settings], tmp_path: Path) -> AsyncIterator[Env]:
    async with FakeSite() as site:
        state = build_site(site)
        settings = make_settings(
            crawl_delay=DELAY,
            fetch_timeout=0.5,
            max_body_bytes=1024 * 1024,
            archive_dir=tmp_path / "warc",
        )
        yield Env(site, settings, state)


async def crawl(env: Env, bus: MemoryBus, decisions: list[Decision] | None = None) -> CrawlStats:
    return await run_crawler(
        env.settings,
        bus,
        asyncio.Event(),
        once=True,
        sources=sources_for(env.site),
        resolver=env.site.resolve,
        explain=decisions.append if decisions is not None else None,
    )


def archived_records(directory: Path) -> list[tuple[str, str]]:
    """(record type, target URI) of every record in the WARC files of ``directory``."""
    records: list[tuple[str, str]] = []
    for path in sorted(directory.glob("*.warc.gz")):
        with open(path, "rb") as handle:
            records += [
                (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"))
                for r in ArchiveIterator(handle)
            ]
    return records


def published(bus: MemoryBus, settings: Settings) -> list[ArticleV1]:
    topic = Topics(settings.topic_prefix).articles
    return [ArticleV1.model_validate_json(m.value) for m in bus.topics.get(topic, [])]


async def test_one_crawl_publishes_exactly_the_new_relevant_articles_once(env: Env) -> None:
    bus = MemoryBus()
    decisions: list[Decision] = []
    stats = await crawl(env, bus, decisions)
    articles = published(bus, env.settings)
    n = env.site.url
    by_url = {a.url: a for a in articles}
    assert sorted(by_url) == sorted(
        [
            n("news.test", "/article/1"),
            n("news.test", "/article/2"),
            n("news.test", "/article/4"),
            n("news.test", "/article/5"),
            n("news.test", "/article/6"),
            n("news.test", "/article/7"),
            n("bad.test", "/invalid"),
        ]
    )
    assert len(articles) == len(by_url)
    # Korean pages come out as Hangul, EUC-KR included; messages carry the contract fields.
    assert "26만개에 달하는 GPU" in by_url[n("news.test", "/article/1")].text
    euc = by_url[n("news.test", "/article/2")]
    assert "고대역폭메모리" in euc.text and euc.lang == "ko" and euc.title == "SK하이닉스 HBM4 공급"
    assert by_url[n("news.test", "/article/4")].lang == "en"
    for article in articles:
        assert article.warc is not None and article.published_at is not None
        record = read_response(env.settings.warc_dir, article.warc)
        assert record.status == 200 and record.body
    messages = bus.topics[Topics(env.settings.topic_prefix).articles]
    assert [m.key_text for m in messages] == [a.id for a in articles]
    # each in its place in the news: the consumers take their polls in event time
    assert [header_time(m) for m in messages] == [
        int(a.published_at.timestamp() * 1000) for a in articles if a.published_at
    ]
    # What was dropped, and why.
    outcomes = {(d.url.split(":", 2)[-1].split("/", 1)[-1], d.outcome) for d in decisions}
    assert ("article/3", "irrelevant") in outcomes
    assert ("story/100", "duplicate_near") in outcomes
    assert stats.irrelevant == 1 and stats.duplicates["near"] == 1
    assert stats.duplicates["url"] >= 2  # www./tracking variants of article 1 and 4
    for kind in ("timeout", "too_large", "decompression_bomb", "redirects", "blocked_address"):
        assert stats.errors[kind] >= 1, (kind, stats.errors)
    # The server saw no forbidden path, no request to www. or other.test, polite spacing …
    paths = env.site.paths()
    assert "/private/secret" not in paths
    assert env.site.paths("www.news.test") == [] and env.site.paths("other.test") == []
    for host in ("news.test", "bad.test"):
        times = env.site.times(host)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= DELAY * 0.9, (host, gaps)
        assert env.site.max_in_flight[host] == 1
    # … and the 429's Retry-After was honoured before the retry.
    retry = [r.at for r in env.site.requests if r.path == "/article/7"]
    assert len(retry) == 2 and retry[1] - retry[0] >= 1.0


async def test_a_second_crawl_publishes_nothing_and_sends_conditional_requests(env: Env) -> None:
    bus = MemoryBus()
    await crawl(env, bus)
    first = len(published(bus, env.settings))
    seen_before = len(env.site.requests)
    stats = await crawl(env, bus)
    assert len(published(bus, env.settings)) == first and stats.published == 0
    later = env.site.requests[seen_before:]
    rss = [r for r in later if r.path == "/rss.xml"]
    atom = [r for r in later if r.path == "/atom.xml"]
    assert rss[0].headers.get("if-none-match") == '"rss-v1"'
    assert atom[0].headers.get("if-modified-since") == "Fri, 31 Oct 2025 03:00:00 GMT"
    assert stats.not_modified == 2
    refetched = {r.path for r in later if r.host == "news.test"}
    assert not any(p.startswith("/article/") for p in refetched), refetched


async def test_a_listing_polled_unchanged_is_archived_again_as_a_revisit_not_in_full(
    env: Env,
) -> None:
    for _ in range(2):
        await crawl(env, MemoryBus())
    records = archived_records(env.settings.warc_dir)
    for listing in ("/sitemap_index.xml", "/news-sitemap.xml.gz"):  # no ETag, no Last-Modified
        url = env.site.url("news.test", listing)
        assert records.count(("response", url)) == records.count(("revisit", url)) == 1, url
    rss = env.site.url("news.test", "/rss.xml")  # answered 304 the second time: no body
    assert records.count(("response", rss)) == 2 and ("revisit", rss) not in records


async def test_a_restart_with_a_pending_claim_republishes_it(env: Env) -> None:
    class Crashing(MemoryBus):
        async def publish_many(self, messages: Any) -> None:
            raise ConnectionError("broker down")

    crashed = await crawl(env, Crashing())  # claims are made, publishing fails
    assert crashed.published == 0 and crashed.errors["ConnectionError"] >= 1
    bus = MemoryBus()
    stats = await crawl(env, bus)
    ids = [a.id for a in published(bus, env.settings)]
    assert stats.republished >= 1 and len(ids) == len(set(ids)) >= 7


async def test_an_article_its_topic_refuses_as_too_large_is_counted_and_the_rest_go_out(
    env: Env,
) -> None:
    def counted() -> float:
        sample = REGISTRY.get_sample_value(
            "infraledger_crawler_errors_total", {"kind": "message_too_large"}
        )
        return sample or 0.0

    bus = MemoryBus(max_message_bytes=4_000)  # a topic made elsewhere, under the seed's message
    before = counted()
    stats = await crawl(env, bus)
    urls = {a.url for a in published(bus, env.settings)}
    assert env.site.url("news.test", "/article/1") not in urls and len(urls) == 6  # of 7
    assert stats.errors["message_too_large"] == 1 and stats.published == len(urls)
    assert counted() == before + 1


async def test_explain_lists_the_relevance_reasons(env: Env) -> None:
    decisions: list[Decision] = []
    await crawl(env, MemoryBus(), decisions)
    sports = next(d for d in decisions if d.outcome == "irrelevant")
    assert sports.verdict is not None and "sports" in sports.verdict.explain()
    kept = next(d for d in decisions if d.outcome == "published")
    assert kept.verdict is not None and kept.verdict.relevant
    assert json.dumps([d.outcome for d in decisions])


@pytest.mark.parametrize("status", [404, 403])
async def test_an_article_not_there_yet_is_fetched_again_at_a_later_poll(
    make_settings: Callable[..., Settings], tmp_path: Path, status: int
) -> None:
    """The feed announced it before the page went up (404), or a firewall turned a burst away
    (403): the next poll that still lists it fetches it again."""
    async with FakeSite() as site:
        host = "early.test"
        site.route(host, "/robots.txt", Response(404, [], b""))
        feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>e</title>
<item><title>GPU</title><link>{site.url(host, "/article/1")}</link></item>
</channel></rss>""".encode()
        site.route(host, "/rss.xml", Response(200, [("Content-Type", "application/rss+xml")], feed))
        site.route(host, "/article/1", Response(status, [], b"not yet"))
        settings = make_settings(crawl_delay=DELAY, fetch_timeout=0.5, archive_dir=tmp_path)
        sources = parse_sources(
            {"sources": [{"name": "early", "lang": "ko", "feeds": [site.url(host, "/rss.xml")]}]}
        )
        bus = MemoryBus()

        async def poll() -> CrawlStats:
            return await run_crawler(
                settings, bus, asyncio.Event(), once=True, sources=sources, resolver=site.resolve
            )

        first = await poll()
        site.route(host, "/article/1", html(page("엔비디아, 한국에 GPU 26만장 공급", SEED)))
        second = await poll()

    assert (first.published, first.errors[f"http_{status}"]) == (0, 1)
    assert second.published == 1
    assert [a.url for a in published(bus, settings)] == [site.url(host, "/article/1")]
