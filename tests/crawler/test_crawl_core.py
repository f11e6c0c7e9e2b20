"""The pure core of the crawler: canonical URLs, decoding, parsing, fingerprints, relevance,
discovery, schedules, politeness, robots.txt and the WARC round trip."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import random
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from prometheus_client import REGISTRY
from warcio.archiveiterator import ArchiveIterator

from services.core.bus import MAX_MESSAGE_BYTES
from services.core.models import ArticleV1, stable_id
from services.core.polling import article_outgoing
from services.crawler import _minhash
from services.crawler import parse as parse_module
from services.crawler.decode import decode_document
from services.crawler.discover import (
    MAX_LINKS,
    DiscoveryError,
    parse_feed,
    parse_sitemap,
    section_links,
)
from services.crawler.errors import HostDeferred, SourcesError
from services.crawler.fingerprint import (
    EMPTY,
    content_hash,
    encode_signature,
    is_near_duplicate,
    lsh_keys,
    minhash,
    parts_similarity,
    signature_parts,
    similarity,
)
from services.crawler.parse import MAX_TEXT_CHARS, parse_response
from services.crawler.politeness import FORGET_AFTER, HostGate, parse_retry_after
from services.crawler.relevance import Rule, RuleSet, default_rules, judge, load_rules, needles
from services.crawler.robots import (
    RobotsCache,
    RobotsRules,
    parse_robots,
    rules_for_status,
)
from services.crawler.schedule import (
    backoff_seconds,
    first_due,
    next_after_failure,
    next_after_success,
)
from services.crawler.sources import load_sources, parse_sources
from services.crawler.sweep import SWEEP_MIN
from services.crawler.urls import canonicalize, plausible_canonical
from services.crawler.warc import WarcWriter, iter_responses, read_response, scan

ROOT = Path(__file__).resolve().parents[2]
SEED = (ROOT / "seeds" / "000_579068ff91aef37f.txt").read_text(encoding="utf-8")


def seed_html(charset: str = "utf-8", extra_head: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in SEED.split("\n") if p.strip())
    return (
        f'<html lang="ko"><head><meta charset="{charset}"><title>사이트</title>'
        '<meta property="og:title" content="엔비디아, 한국에 GPU 26만장 공급">'
        f"{extra_head}</head><body><nav><a href='/'>홈</a> <a href='/it'>IT</a></nav>"
        f"<article>{paragraphs}</article><footer>무단전재 및 재배포 금지</footer></body></html>"
    )


# --------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    "variant",
    [
        "https://news.example/article/1",
        "https://www.news.example/article/1",
        "https://m.news.example/article/1",
        "HTTPS://WWW.News.Example:443/article/1#comments",
        "https://news.example/article/1?utm_source=rss&utm_medium=feed&fbclid=abc",
        "https://news.example/article/1/amp",
        "https://amp.news.example/article/1?amp=1",
        "https://news.example//article/./1/",
    ],
)
def test_url_variants_share_one_canonical_form(variant: str) -> None:
    assert canonicalize(variant) == "https://news.example/article/1"


def test_canonical_urls_keep_meaningful_query_sorted() -> None:
    assert (
        canonicalize("http://news.example/view.php?idxno=5&cat=it&utm_campaign=x")
        == "http://news.example/view.php?cat=it&idxno=5"
    )
    assert canonicalize("/a?b=1", base="http://news.example:8080/x/y") == (
        "http://news.example:8080/a?b=1"
    )


TRACKING_ONLY = {
    # ad networks' click ids
    "fbclid": "Facebook",
    "gclid": "Google Ads",
    "dclid": "Google Display",
    "gbraid": "Google Ads (iOS)",
    "wbraid": "Google Ads (iOS)",
    "msclkid": "Microsoft Ads",
    "yclid": "Yandex",
    "igshid": "Instagram share",
    "__twitter_impression": "Twitter",
    # mailing and analytics tools
    "mc_cid": "Mailchimp",
    "mc_eid": "Mailchimp",
    "_ga": "Google Analytics linker",
    "_gl": "Google Analytics linker",
    "_hsenc": "HubSpot (_hs*)",
    "hsa_cam": "HubSpot ads (hsa_*)",
    "utm_source": "Google Analytics campaign (utm_*)",
    "mtm_campaign": "Matomo (mtm_*)",
    "pk_campaign": "Piwik",
    "vero_id": "Vero (vero_*)",
    "oly_enc_id": "Omeda (oly_*)",
}
"""Parameters that only ever track, whoever uses them: named after the tool that sets them."""
AMBIGUOUS = ("ref", "ref_src", "referrer", "from", "src", "source", "cmpid", "ncid", "ocid",
             "sr_share", "share", "spm", "ito", "utm", "rss", "feed", "rssfeed", "output",
             "mobile", "sns", "t_src", "pk_id")  # fmt: skip
"""Names news sites also use for content (``?source=12`` an article, ``?from=20`` a listing's
page, ``?feed=rss2`` WordPress's feed): they may tell two pages apart, so they are kept."""


@pytest.mark.parametrize(("name", "tool"), TRACKING_ONLY.items())
def test_tracking_only_parameters_are_removed(name: str, tool: str) -> None:
    assert canonicalize(f"https://n.example/view?id=5&{name}=x") == "https://n.example/view?id=5"


@pytest.mark.parametrize("name", AMBIGUOUS)
def test_parameters_sites_also_use_for_content_keep_two_pages_apart(name: str) -> None:
    one, other = (canonicalize(f"https://n.example/view?{name}={v}") for v in ("1", "2"))
    assert one == f"https://n.example/view?{name}=1" and one != other


def test_only_the_amp_values_of_amp_parameters_are_removed() -> None:
    amp = ("amp", "amp=1", "amp=true", "outputType=amp", "output=amp")
    assert {canonicalize(f"https://n.example/a/1?{q}") for q in amp} == {"https://n.example/a/1"}
    assert canonicalize("https://n.example/a/1?output=print") == "https://n.example/a/1?output=print"


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        # a title in EUC-KR: its bytes kept (decoded as UTF-8, every title was the same U+FFFDs)
        ("https://k.example/news/%B1%E2%BB%E7.html", "https://k.example/news/%B1%E2%BB%E7.html"),
        ("https://k.example/news/%b1%e2.html", "https://k.example/news/%B1%E2.html"),
        ("https://k.example/news/기사", "https://k.example/news/%EA%B8%B0%EC%82%AC"),
        ("https://k.example/news/%EA%B8%B0%EC%82%AC", "https://k.example/news/%EA%B8%B0%EC%82%AC"),
        ("https://k.example/a%2Fb", "https://k.example/a%2Fb"),  # data, not a separator
        ("https://k.example/%61rticle/1", "https://k.example/article/1"),  # unreserved: decoded
        ("https://k.example/view?title=%B1%E2", "https://k.example/view?title=%B1%E2"),
        ("https://k.example/view?q=기사", "https://k.example/view?q=%EA%B8%B0%EC%82%AC"),
    ],
)
def test_escaped_bytes_are_kept_whatever_their_charset(url: str, canonical: str) -> None:
    assert canonicalize(url) == canonical


def test_two_euc_kr_titles_are_two_articles() -> None:
    first, second = ("기사", "속보")
    assert canonicalize(f"https://k.example/{quote(first, encoding='cp949')}") != canonicalize(
        f"https://k.example/{quote(second, encoding='cp949')}"
    )


# --------------------------------------------------------------------------- decoding


def test_euc_kr_pages_come_out_as_hangul_by_meta_and_by_detection() -> None:
    body = seed_html("euc-kr").encode("cp949")
    by_meta = decode_document(body, "text/html")
    assert by_meta.encoding == "cp949" and "엔비디아" in by_meta.text
    no_meta = seed_html("").replace('<meta charset="">', "").encode("cp949")
    detected = decode_document(no_meta, None)
    assert "엔비디아" in detected.text
    by_header = decode_document(no_meta, "text/html; charset=ks_c_5601-1987")
    assert by_header.evidence == "header" and "젠슨 황" in by_header.text


def test_a_wrong_header_charset_loses_to_the_document() -> None:
    body = seed_html("euc-kr").encode("cp949")
    assert "엔비디아" in decode_document(body, "text/html; charset=utf-8").text
    assert "엔비디아" in decode_document(body, "text/html; charset=iso-8859-1").text


def test_a_utf_16_header_on_a_page_without_zero_bytes_is_not_believed() -> None:
    page = seed_html("utf-8").encode()
    decoded = decode_document(page, "text/html; charset=utf-16")
    assert "엔비디아" in decoded.text and decoded.encoding == "utf-8"
    really = seed_html("utf-16").encode("utf-16-le")  # no BOM, but a zero in every ASCII char
    assert "엔비디아" in decode_document(really, "text/html; charset=utf-16le").text


def test_bom_and_invalid_bytes() -> None:
    assert decode_document("\ufeff안녕".encode("utf-16-le"), None).text == "안녕"
    broken = "<p>GPU 공급 계약</p>".encode() * 50 + b"\xff\xfe"
    decoded = decode_document(broken, "text/html; charset=utf-8")
    assert decoded.encoding == "utf-8" and "공급" in decoded.text


# --------------------------------------------------------------------------- parsing


def test_parse_extracts_text_metadata_and_canonical_url() -> None:
    head = (
        '<link rel="canonical" href="https://www.news.example/article/1?utm_source=x">'
        '<script type="application/ld+json">{"@context":"https://schema.org","@type":'
        '"NewsArticle","headline":"h","datePublished":"2025-10-31T10:00:00+09:00",'
        '"dateModified":"2025-10-31T12:30:00+09:00","author":{"@type":"Person","name":"김기자"}}'
        "</script>"
    )
    parsed = parse_response(
        "https://m.news.example/article/1?utm_medium=main",
        {"Content-Type": "text/html; charset=euc-kr"},
        seed_html("euc-kr", head).encode("cp949"),
        lang_hint=None,
        source="example",
    )
    assert parsed is not None
    assert parsed.url == "https://news.example/article/1"
    assert parsed.title == "엔비디아, 한국에 GPU 26만장 공급"
    assert parsed.lang == "ko" and parsed.author == "김기자"
    assert parsed.published_at == datetime(2025, 10, 31, 1, 0, tzinfo=UTC)
    assert parsed.updated_at == datetime(2025, 10, 31, 3, 30, tzinfo=UTC)
    assert "26만개에 달하는 GPU" in parsed.text and "무단전재" not in parsed.text
    assert "\n\n" in parsed.text
    article = parsed.to_article(fetched_at=datetime.now(UTC))
    assert article.content_hash == content_hash(parsed.text) and len(article.id) == 32


@pytest.mark.parametrize(
    ("declared", "fetched", "believed"),
    [
        ("https://news.example/article/1", "https://news.example/amp/article/1", True),
        ("https://news.example/article/1", "https://news.example/article/1", True),
        ("https://news.example/view.php?idxno=5", "https://news.example/view.php?idxno=5", True),
        ("https://news.example/", "https://news.example/", True),
        ("https://news.example/", "https://news.example/article/1", False),  # the home page
        ("https://news.example/news/", "https://news.example/news/123", False),  # its section
        ("https://news.example/news", "https://news.example/news/123", False),
        ("https://news.example/view.php", "https://news.example/view.php?idxno=5", False),
    ],
)
def test_a_canonical_naming_the_home_page_a_section_or_the_bare_script_is_not_believed(
    declared: str, fetched: str, believed: bool
) -> None:
    assert plausible_canonical(declared, fetched) is believed


def test_articles_declaring_their_section_as_canonical_keep_their_own_urls() -> None:
    html = seed_html(extra_head='<link rel="canonical" href="https://news.example/it/">')
    pages = [f"https://news.example/it/{n}" for n in (1, 2)]
    parsed = [
        parse_response(url, {}, html.encode(), lang_hint="ko", source="s") for url in pages
    ]
    assert [p.url if p is not None else None for p in parsed] == pages


def test_parse_ignores_cross_site_canonicals_and_non_html() -> None:
    html = seed_html(extra_head='<link rel="canonical" href="https://evil.example/x">')
    parsed = parse_response(
        "https://wire.example/s/9",
        {"content-type": "text/html"},
        html.encode(),
        lang_hint="ko",
        source="w",
    )
    assert parsed is not None and parsed.url == "https://wire.example/s/9"
    assert (
        parse_response(
            "https://x.example/a.png",
            {"Content-Type": "image/png"},
            b"\x89PNG",
            lang_hint=None,
            source="s",
        )
        is None
    )
    assert (
        parse_response(
            "https://x.example/",
            {"Content-Type": "text/html"},
            b"<html><body><p>short</p></body></html>",
            lang_hint=None,
            source="s",
        )
        is None
    )


def test_a_main_text_longer_than_any_news_article_is_not_an_article(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    page = seed_html().encode()
    headers = {"Content-Type": "text/html; charset=utf-8"}
    parsed = parse_response("https://n.example/a/1", headers, page, lang_hint="ko", source="s")
    assert parsed is not None
    monkeypatch.setattr(parse_module, "MAX_TEXT_CHARS", len(parsed.text) - 1)
    too_long = parse_response("https://n.example/a/1", headers, page, lang_hint="ko", source="s")
    assert too_long is None


def test_the_longest_article_allowed_leaves_the_broker_room_for_its_facts() -> None:
    widest = "\x01" * MAX_TEXT_CHARS  # the widest character in JSON: escaped, 6 bytes
    article = ArticleV1(
        id="0" * 32, url="https://n.example/a/1", source="s", lang="ko", title="t" * 500,
        fetched_at=datetime.now(UTC), text=widest, content_hash=content_hash(widest),
    )  # fmt: skip
    assert len(article_outgoing("articles.v1", article).value) < MAX_MESSAGE_BYTES / 2


def test_visible_dates_are_found_without_metadata() -> None:
    html = seed_html().replace(
        "<article>", "<article><span class='date'>입력 2025.10.31 14:05</span>"
    )
    parsed = parse_response(
        "https://n.example/a/1",
        {"content-type": "text/html"},
        html.encode(),
        lang_hint="ko",
        source="s",
    )
    assert parsed is not None and parsed.published_at is not None
    assert parsed.published_at.date().isoformat() in ("2025-10-31", "2025-10-30")


# --------------------------------------------------------------------------- fingerprints


def test_syndicated_copies_are_near_duplicates_and_other_stories_are_not() -> None:
    original = SEED
    copy = "[와이어] " + SEED.replace("(사진=연합뉴스)", "(사진=뉴스1)") + "\n\n기자 홍길동"
    half = SEED[len(SEED) // 2 :]
    other = "삼성전자가 평택에 새 반도체 공장을 짓는다. " * 3 + "HBM 생산을 늘린다."
    assert content_hash(original) == content_hash("  " + original.replace("\n", " \n "))
    a, b = minhash(original), minhash(copy)
    assert is_near_duplicate(a, b) and similarity(a, b) > 0.8
    assert set(lsh_keys(a)) & set(lsh_keys(b))
    assert similarity(a, minhash(other)) < 0.1
    assert not is_near_duplicate(a, minhash(half))  # half a story is not the story
    short = minhash("짧은 글")  # mostly empty bins: those count only where one side uses them
    for x, y in ((a, b), (a, minhash(other)), (a, short), (short, short)):
        encoded_x, encoded_y = encode_signature(x), encode_signature(y)
        assert parts_similarity(signature_parts(encoded_x), signature_parts(encoded_y)) == (
            similarity(x, y)
        )
    assert minhash("") == minhash("!!!")


@pytest.mark.parametrize(("shingle", "bins"), [(0, 64), (33, 64), (5, 0), (5, 48), (5, 2048)])
def test_a_signature_of_impossible_shape_is_refused(shingle: int, bins: int) -> None:
    with pytest.raises(ValueError, match="power of two"):
        _minhash.signature("엔비디아 GPU", shingle, bins, EMPTY)


@pytest.mark.parametrize("empty", [-1, 1 << 64])
def test_an_empty_value_beyond_64_bits_is_refused(empty: int) -> None:
    with pytest.raises(OverflowError):
        _minhash.signature("엔비디아 GPU", 5, 64, empty)


# --------------------------------------------------------------------------- relevance


def test_the_seed_article_is_relevant_and_sports_and_celebrity_are_not() -> None:
    verdict = judge("엔비디아, 한국에 GPU 26만장", SEED)
    assert verdict.relevant and any(r.startswith("gpu(") for r in verdict.reasons)
    sports = judge(
        "손흥민 멀티골", "손흥민이 프리미어리그 경기에서 두 골을 넣었다. 축구 팬들은 " * 5
    )
    celeb = judge(
        "아이돌 열애설", "걸그룹 멤버와 배우의 열애설이 불거졌다. 소속사는 드라마 촬영 " * 5
    )
    english = judge(
        "Microsoft signs compute deal for Nvidia GB200 GPUs",
        "Microsoft will deploy 100,000 Nvidia GB200 GPUs in a new AI data center in Texas "
        "under a multi-year compute capacity agreement. " * 3,
    )
    assert not sports.relevant and not celeb.relevant and english.relevant
    assert "sports" in sports.explain()


def test_users_extend_the_rules_with_a_file(tmp_path: Path) -> None:
    extra = tmp_path / "mine.yaml"
    extra.write_text(
        "threshold: 2\nrules:\n  - name: quantum\n    group: core\n    weight: 3\n"
        "    terms: [quantum computer, 양자컴퓨터]\n",
        encoding="utf-8",
    )
    rules = load_rules([extra])
    assert judge("양자컴퓨터 도입", "연구소가 양자컴퓨터를 도입한다.", rules).relevant
    assert not judge("양자컴퓨터 도입", "연구소가 양자컴퓨터를 도입한다.").relevant


def test_a_rule_skips_its_patterns_when_no_literal_they_require_occurs() -> None:
    # Wherever a case-insensitive pattern matches, one of these (lower-cased) occurs.
    assert needles(r"(?<![A-Za-z])HBM\d?E?(?![A-Za-z])") == ("hbm",)
    assert needles("전력망|power grid|전력 수급") == ("전력망", "power grid", "전력 수급")
    assert needles(r"AI data ?cent(er|re)s?") == ("ai data",)  # " ?": the space is optional
    assert needles(r"(컴퓨팅|computing)\s?(센터|center)") == ("컴퓨팅", "computing")
    assert needles(r"\d+(\.\d+)?\s?(MW|GW)(?![A-Za-z])") == ("mw", "gw")  # past \d+ and (…)?
    assert needles(r"[Hh]BM|x(a|)y") == ("bm", "x")
    assert needles(r"a[|)]b|c") == ("a", "c")  # a "|" inside a class does not split
    # Of the literals an alternative cannot lack, the one whose shortest text is longest.
    assert needles("high[- ]bandwidth memory") == ("bandwidth memory",)  # not "high"
    assert needles(r"AI\s?(인프라|infrastructure)") == ("인프라", "infrastructure")
    assert needles(r"ab?(cd|ef)+g") == ("cd", "ef")  # "a" and "g" are shorter
    assert needles(r"x(a|)yz") == ("yz",)  # "(a|)" may match nothing: not a candidate
    # An alternative without a literal it cannot lack: the pattern always runs.
    for pattern in (r"\d+\s?", "[Hh]", "(ab)?", "a*b?", "(?x) a b", "a|", "(a|)"):
        assert needles(pattern) is None, pattern


def test_skipping_patterns_changes_no_verdict() -> None:
    # İ ı ſ K match i i s k case-insensitively: "hİgh bandwidth memory" is an HBM hit.
    texts = [
        "SK hynix ships HBM3E and hİgh bandwidth memory to the AI ſupercomputer; ſocamm, "
        "cxl 2.0, 5.5 GW of power grid capacity.",
        "AI데이터센터와 고대역폭 메모리, 하이퍼스케일 컴퓨팅 클러스터, 100MW 전력망",
        "Nvidia GB200 racks with hİgh bandwidth memory and ſOCAMM2 modules.",
        "Nvidia GPUs for training; no pattern of the rules starts here.",
        "",
    ]
    rules = default_rules()
    always = dataclasses.replace(
        rules,
        rules=tuple(dataclasses.replace(r, needles=(None,) * len(r.patterns)) for r in rules.rules),
    )
    assert any(found for r in rules.rules for found in r.needles)
    for text in texts:
        for title in ("", text[:40]):
            assert judge(title, text, rules) == judge(title, text, always)


def _with_rules(tmp_path: Path, text: str) -> RuleSet:
    extra = tmp_path / "mine.yaml"
    extra.write_text(text, encoding="utf-8")
    return load_rules([extra])


def test_patterns_that_number_each_others_groups_are_matched_as_one_alternation(
    tmp_path: Path,
) -> None:
    # "(?(1)…)" asks about group 1, the first pattern's: leaving that pattern out (its needle
    # "nvidia" is absent) would renumber the groups and change what matches.
    rule = Rule(
        name="paired", group="core", weight=3.0, patterns=("(nvidia)", "(gpu)?(?(1)s|z)x"),
        needles=(("nvidia",), None), separable=False,
    )  # fmt: skip
    whole = re.compile("(?:(nvidia))|(?:(gpu)?(?(1)s|z)x)", re.IGNORECASE)
    assert rule.hits("gpusx", "gpusx", {}, 3) == len(whole.findall("gpusx")) == 0
    loaded = _with_rules(
        tmp_path, "rules:\n  - name: paired\n    patterns: ['(nvidia)', '(gpu)?(?(1)s|z)x']\n"
    )
    assert [r.separable for r in loaded.rules if r.name == "paired"] == [False]


def test_a_rule_of_blank_terms_loads_and_matches_nothing(tmp_path: Path) -> None:
    rules = _with_rules(tmp_path, "rules:\n  - name: blank\n    terms: ['  ']\n")
    blank = next(r for r in rules.rules if r.name == "blank")
    assert blank.terms == ()
    assert "blank" not in " ".join(judge("  ", "a  b", rules).reasons)


# --------------------------------------------------------------------------- discovery

RSS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>
<item><title>old</title><link>https://news.example/article/1</link>
<pubDate>Thu, 30 Oct 2025 10:00:00 +0900</pubDate></item>
<item><title>new</title><link>https://news.example/article/2?utm_source=rss</link>
<pubDate>Fri, 31 Oct 2025 10:00:00 +0900</pubDate></item></channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>t</title><entry><title>a</title><link rel="alternate" href="/article/9"/>
<id>tag:x,2025:9</id><updated>2025-10-31T00:00:00Z</updated></entry></feed>"""
INDEX = b"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>https://news.example/news-sitemap.xml</loc><lastmod>2025-10-31</lastmod></sitemap>
</sitemapindex>"""
NEWS = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>
<loc>https://news.example/article/5</loc><news:news><news:title>GPU deal</news:title>
<news:publication_date>2025-10-31T09:00:00+09:00</news:publication_date></news:news></url>
</urlset>"""
XXE = b"""<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>&x;</loc></url></urlset>"""


def test_feeds_and_sitemaps_yield_links_newest_first() -> None:
    rss = parse_feed(RSS, "https://news.example/rss")
    assert [link.title for link in rss] == ["new", "old"]
    atom = parse_feed(ATOM, "https://news.example/atom.xml")
    assert atom[0].url == "https://news.example/article/9"
    index = parse_sitemap(INDEX, "https://news.example/sitemap.xml")
    assert [c.url for c in index.children] == ["https://news.example/news-sitemap.xml"]
    news = parse_sitemap(gzip.compress(NEWS), "https://news.example/news-sitemap.xml")
    assert news.links[0].title == "GPU deal"
    assert news.links[0].published == datetime(2025, 10, 31, 0, 0, tzinfo=UTC)
    assert parse_sitemap(XXE, "https://x.example/").links == ()
    with pytest.raises(DiscoveryError):
        parse_sitemap(b"<html></html>", "https://x.example/")


def test_a_sitemap_listed_oldest_first_gives_its_newest_links() -> None:
    urls = "".join(
        f"<url><loc>https://news.example/article/{n}</loc>"
        f"<lastmod>{date(2020, 1, 1) + timedelta(days=n):%Y-%m-%d}</lastmod></url>"
        for n in range(MAX_LINKS + 1000)
    )
    body = f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    links = parse_sitemap(body.encode(), "https://news.example/sitemap.xml").links
    assert len(links) == MAX_LINKS
    assert links[0].url == f"https://news.example/article/{MAX_LINKS + 999}"  # the newest


def test_an_undated_sitemap_index_gives_its_last_children_first() -> None:
    children = "".join(
        f"<sitemap><loc>https://b.example/wp-sitemap-posts-post-{n}.xml</loc></sitemap>"
        for n in range(1, 9)
    )
    xmlns = "http://www.sitemaps.org/schemas/sitemap/0.9"
    body = f'<sitemapindex xmlns="{xmlns}">{children}</sitemapindex>'
    index = parse_sitemap(body.encode(), "https://b.example/wp-sitemap.xml")
    assert index.children[0].url.endswith("post-8.xml")  # WordPress numbers the newest last


def test_section_pages_yield_same_site_article_links() -> None:
    import re

    html = (
        "<a href='/article/1?utm_source=s'>one</a><a href='https://www.news.example/article/2'>"
        "two</a><a href='https://other.example/article/3'>x</a><a href='/about'>about</a>"
        "<a href='javascript:void(0)'>j</a><a href='/article/1'>dup</a>"
    )
    links = section_links(html, "https://news.example/section/it", re.compile(r"/article/\d+"))
    assert [link.url for link in links] == [
        "https://news.example/article/1?utm_source=s",
        "https://www.news.example/article/2",
    ]


# --------------------------------------------------------------------------- sources


def test_sources_file_is_validated(tmp_path: Path) -> None:
    ok = parse_sources(
        {
            "sources": [
                {
                    "name": "a",
                    "lang": "ko",
                    "feeds": ["https://a.example/rss"],
                    "poll_every": "5m",
                    "article_pattern": r"/\d+",
                }
            ]
        }
    )
    assert ok[0].poll_every == 300 and ok[0].wants("https://a.example/123")
    bad: Any
    for bad in (
        {"sources": [{"name": "a"}]},
        {"sources": [{"name": "a", "feeds": ["ftp://x"]}]},
        {"sources": [{"name": "a", "feeds": ["https://x"], "typo": 1}]},
        {"sources": [{"name": "a", "feeds": ["https://x"], "article_pattern": "("}]},
        {"nope": []},
    ):
        with pytest.raises(SourcesError):
            parse_sources(bad)


def test_the_default_sources_file_loads() -> None:
    sources = load_sources(ROOT / "seeds" / "sources.yaml")
    assert len(sources) >= 10
    assert {s.lang for s in sources} >= {"ko", "en"}


# --------------------------------------------------------------------------- schedule


def test_schedule_spreads_sources_and_backs_off() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    starts = {first_due(f"s{i}", now, 300) for i in range(20)}
    assert len(starts) == 20 and all(now <= s < now + timedelta(seconds=60) for s in starts)
    assert first_due("s1", now, 300) == first_due("s1", now, 300)
    persisted = now + timedelta(hours=1)
    assert first_due("s1", now, 300, persisted) == persisted
    rng = random.Random(1)
    nxt = next_after_success(now, 300, rng)
    assert timedelta(seconds=270) <= nxt - now <= timedelta(seconds=330)
    delays = [backoff_seconds(n, random.Random(2), jitter=0) for n in range(1, 6)]
    assert delays == [60, 120, 240, 480, 960]
    assert next_after_failure(now, 300, 1, rng) - now >= timedelta(seconds=300)
    assert backoff_seconds(100, rng, jitter=0) == 6 * 3600


# --------------------------------------------------------------------------- politeness


async def test_host_gate_serialises_and_spaces_requests() -> None:
    clock = [0.0]
    starts: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        clock[0] += seconds
        await asyncio.sleep(0)

    gate = HostGate(2.0, clock=lambda: clock[0], sleep=fake_sleep)

    async def one() -> None:
        async with gate.slot("a.example"):
            starts.append(clock[0])
            await asyncio.sleep(0)

    await asyncio.gather(one(), one(), one())
    assert starts == [0.0, 2.0, 4.0]
    gate.defer("a.example", 30)
    assert gate.wait_time("a.example") == pytest.approx(30.0)
    with pytest.raises(HostDeferred):
        async with gate.slot("a.example", max_wait=10):
            pass
    gate.set_delay("b.example", 0.5)
    assert gate.delay_of("b.example") == 2.0  # never below the default
    gate.set_delay("b.example", 10_000)
    assert gate.delay_of("b.example") == 60.0


async def test_a_redirect_hop_waits_its_hosts_delay_but_not_a_deferral_beyond_the_limit() -> None:
    """A redirect's wait for its target's turn is outside the fetch's deadline, so it has its
    own bound: as a turn of the host's own, a deferral longer than ``max_wait`` is refused."""
    clock = [0.0]

    async def fake_sleep(seconds: float) -> None:
        clock[0] += seconds

    gate = HostGate(2.0, clock=lambda: clock[0], sleep=fake_sleep)
    gate.set_delay("slow.example", 45)
    await gate.pause("slow.example", max_wait=120)
    assert clock[0] == 45.0
    gate.defer("busy.example", 600)
    with pytest.raises(HostDeferred):
        await gate.pause("busy.example", max_wait=120)
    assert clock[0] == 45.0


async def _turns(gate: HostGate, hosts: range) -> None:
    for n in hosts:
        async with gate.slot(f"h{n}.example"):
            pass


async def test_idle_hosts_are_forgotten_so_a_months_long_crawl_tracks_only_recent_ones() -> None:
    clock = [0.0]
    gate = HostGate(1.0, clock=lambda: clock[0])
    for n in range(5000):  # a feed linking to a new host every minute for three and a half days
        clock[0] = 60.0 * n
        await _turns(gate, range(n, n + 1))

    assert len(gate) <= SWEEP_MIN  # the last two hours' 120 hosts and some not yet swept


async def test_a_deferred_host_a_held_one_and_one_with_a_recent_turn_outlast_idle_ones() -> None:
    clock = [0.0]
    gate = HostGate(1.0, clock=lambda: clock[0])
    gate.defer("away.example", 6 * 3600)  # Retry-After: six hours
    await _turns(gate, range(1000))
    clock[0] = FORGET_AFTER + 10
    gate.set_delay("slow.example", 30)  # robots.txt's Crawl-delay
    async with gate.slot("slow.example"):
        pass

    async with gate.slot("h0.example"):  # idle for two hours, now held through the sweeps
        await _turns(gate, range(1000, 2000))

    assert len(gate) == 1000 + 3  # the other 999 of the first thousand are forgotten
    assert gate.delay_of("slow.example") == 30.0
    assert gate.wait_time("away.example") == pytest.approx(6 * 3600 - FORGET_AFTER - 10)


async def test_robots_rules_are_fetched_once_per_ttl_and_expired_ones_swept_out() -> None:
    clock = [0.0]
    fetched: list[str] = []

    async def fetch(url: str) -> tuple[RobotsRules, float]:
        fetched.append(url)
        return RobotsRules(parser=None, allow_all=True), 3600.0

    cache = RobotsCache(fetch, clock=lambda: clock[0])
    await asyncio.gather(*(cache.rules("https://a.example/x") for _ in range(5)))
    assert fetched == ["https://a.example/robots.txt"]
    for n in range(10_000):  # a new site every ten seconds for a day
        clock[0] = 10.0 * n
        await cache.rules(f"https://s{n}.example/article/1")

    assert len(cache) <= 2 * 360 + SWEEP_MIN  # the last hour's sites (and some not yet swept)
    await cache.rules("https://s9999.example/other")  # still cached
    clock[0] += 3600
    await cache.rules("https://s9999.example/other")  # expired: asked again
    assert fetched[-2:] == ["https://s9999.example/robots.txt"] * 2
    assert len(fetched) == 1 + 10_000 + 1


def test_retry_after_accepts_seconds_and_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("7") == 7
    assert parse_retry_after("Thu, 01 Jan 2026 00:00:30 GMT", now) == 30
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_robots_rules_and_status_handling() -> None:
    rules = parse_robots("User-agent: *\nDisallow: /private/\nCrawl-delay: 3\n")
    assert not rules.allowed("infraledger", "https://a.example/private/x")
    assert rules.allowed("infraledger", "https://a.example/article/1")
    assert rules.crawl_delay("infraledger") == 3
    grouped = parse_robots(
        "User-agent: infraledger\nCrawl-delay: 0.5\nDisallow: /x\n\n"
        "User-agent: *\nCrawl-delay: 10\n"
    )
    assert grouped.crawl_delay("infraledger") == 0.5 and grouped.crawl_delay("other") == 10
    assert rules_for_status(404, b"")[0].allowed("x", "https://a.example/private/x")
    assert not rules_for_status(503, b"")[0].allowed("x", "https://a.example/")


@pytest.mark.parametrize(
    ("robots", "path", "allowed"),
    [
        ("Disallow: /*?print=", "/article/1?print=1", False),  # wildcards in paths
        ("Disallow: /*.pdf$", "/files/report.pdf", False),
        ("Disallow: /*.pdf$", "/files/report.pdf?x=1", True),  # $ ends the path
        ("Allow: /\nDisallow: /private/", "/private/1", False),  # the longest rule wins,
        ("Disallow: /\nAllow: /news/", "/news/1", True),  # not the first that matches
        ("Disallow: /\nAllow: /news/", "/sports/1", False),
    ],
)
def test_robots_rules_match_as_rfc_9309_says(robots: str, path: str, allowed: bool) -> None:
    rules = parse_robots(f"User-agent: *\n{robots}\n")
    assert rules.allowed("infraledger", f"https://a.example{path}") is allowed


# --------------------------------------------------------------------------- WARC


def test_a_failing_archive_says_so_for_a_minute_after_its_last_refused_record(
    tmp_path: Path,
) -> None:
    clock = [0.0]

    def gauge() -> float | None:
        return REGISTRY.get_sample_value("infraledger_crawler_archive_writable")

    blocked = tmp_path / "warc"
    blocked.write_bytes(b"")  # a file where the directory should be: every write fails
    writer = WarcWriter(blocked, clock=lambda: clock[0])
    assert writer.writable() and gauge() == 1

    with pytest.raises(FileExistsError):
        writer.write_response("https://n.example/a/1", 200, [], b"<p>x</p>")
    assert not writer.writable() and gauge() == 0

    blocked.unlink()  # room again: a record fits, as a small one might on a nearly full disk
    clock[0] = 30.0
    writer.write_response("https://n.example/a/1", 200, [], b"<p>x</p>")
    assert not writer.writable()  # no flicker: still failing within the minute
    clock[0] = 61.0
    assert writer.writable() and gauge() == 1
    writer.close()


def test_warc_records_round_trip_exactly(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path, max_bytes=1)  # rotate after every record
    raw = gzip.compress(seed_html("euc-kr").encode("cp949"))
    headers = [
        ("content-type", "text/html; charset=euc-kr"),
        ("content-encoding", "gzip"),
        ("transfer-encoding", "chunked"),
    ]
    refs = [writer.write_response(f"https://n.example/a/{i}", 200, headers, raw) for i in range(2)]
    writer.close()
    assert refs[0].filename != refs[1].filename
    back = read_response(tmp_path, refs[1])
    assert back.url == "https://n.example/a/1" and back.raw == raw
    assert "transfer-encoding" not in back.headers
    parsed = parse_response(back.url, back.headers, back.body, lang_hint="ko", source="r")
    assert parsed is not None and "엔비디아" in parsed.text
    listed = [r for path in sorted(tmp_path.glob("*.warc.gz")) for r in iter_responses(path)]
    assert [r.ref for r in listed] == refs


def test_an_unchanged_body_is_archived_again_as_a_small_revisit_of_the_first(
    tmp_path: Path,
) -> None:
    writer = WarcWriter(tmp_path)
    loc = "<url><loc>https://n.example/a/{}</loc></url>"
    urls = "".join(loc.format(stable_id(str(i))) for i in range(500))
    listing = f"<urlset>{urls}</urlset>"
    raw, headers = listing.encode(), [("content-type", "application/xml")]
    first = writer.write_response("https://n.example/sitemap.xml", 200, headers, raw)
    again = writer.write_response("https://n.example/sitemap.xml", 200, headers, raw, revisit=True)
    writer.close()
    assert again.length < 600 and first.length > 10_000
    [path] = tmp_path.glob("*.warc.gz")
    with open(path, "rb") as handle:
        records = {r.rec_type: r.rec_headers for r in ArchiveIterator(handle)}
    revisit = records["revisit"]
    assert revisit.get_header("WARC-Payload-Digest") == records["response"].get_header(
        "WARC-Payload-Digest"
    )
    assert revisit.get_header("WARC-Refers-To-Target-URI") == "https://n.example/sitemap.xml"
    assert revisit.get_header("WARC-Profile").endswith("/revisit/identical-payload-digest")
    # readers (replay among them) see the one response, and no defect in the revisit
    assert [r.ref for r in scan(path)] == [first]
