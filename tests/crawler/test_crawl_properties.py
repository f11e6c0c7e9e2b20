"""Properties of the pure core under arbitrary input: nothing a server sends makes it crash."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import ipaddress
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.core.netguard import BlockedAddress, check_address
from services.crawler import _minhash
from services.crawler.decode import decode_document
from services.crawler.discover import DiscoveryError, parse_feed, parse_sitemap, section_links
from services.crawler.fingerprint import (
    EMPTY,
    NUM_PERM,
    SHINGLE,
    encode_signature,
    minhash,
    parts_similarity,
    signature_parts,
    similarity,
)
from services.crawler.parse import parse_response
from services.crawler.relevance import (
    default_rules,
    fold,
    judge,
    lowered,
    needles,
    term_counts,
    term_scanner,
    views,
)
from services.crawler.urls import UrlError, canonicalize

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

url_parts = st.tuples(
    st.sampled_from(["http", "https", "HTTP"]),
    st.sampled_from(
        [
            "news.example",
            "www.news.example",
            "m.News.Example",
            "amp.news.example",
            "뉴스.한국",
            "news.example:8080",
            "news.example:443",
        ]
    ),
    st.lists(st.text(alphabet="abc가나/._-%~ 1", min_size=0, max_size=8), max_size=4),
    st.lists(
        st.tuples(
            st.sampled_from(["utm_source", "id", "page", "fbclid", "q", "amp"]),
            st.text(alphabet="xyz12가", max_size=4),
        ),
        max_size=4,
    ),
    st.text(alphabet="frag", max_size=4),
)


@FAST
@given(url_parts)
def test_canonicalisation_is_idempotent_and_drops_tracking(parts: tuple) -> None:  # type: ignore[type-arg]
    scheme, host, segments, query, fragment = parts
    qs = "&".join(f"{k}={v}" for k, v in query)
    url = (
        f"{scheme}://{host}/{'/'.join(segments)}"
        + (f"?{qs}" if qs else "")
        + (f"#{fragment}" if fragment else "")
    )
    try:
        once = canonicalize(url)
    except UrlError:
        return
    assert canonicalize(once) == once
    assert "utm_source" not in once and "fbclid" not in once and "#" not in once
    assert "://www." not in once and "://m." not in once


@FAST
@given(st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)))
def test_the_guard_only_ever_blocks_or_passes(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address,
) -> None:
    try:
        check_address(str(ip), ())
    except BlockedAddress:
        return
    assert ip.is_global and not ip.is_multicast


@FAST
@given(
    st.binary(max_size=3000),
    st.sampled_from(
        [
            None,
            "text/html",
            "text/html; charset=euc-kr",
            "text/html; charset=bogus",
            "text/html; charset=utf-16",
        ]
    ),
)
def test_decoding_and_parsing_never_crash(body: bytes, content_type: str | None) -> None:
    decoded = decode_document(body, content_type)
    assert isinstance(decoded.text, str)
    headers = {"Content-Type": content_type} if content_type else {}
    parse_response(
        "https://n.example/a/1",
        headers,
        b"<html><body><p>" + body + b"</p>",
        lang_hint="ko",
        source="s",
    )


@FAST
@given(st.binary(max_size=2000))
def test_discovery_never_crashes_on_garbage(body: bytes) -> None:
    with contextlib.suppress(DiscoveryError):
        parse_feed(body, "https://n.example/rss")
    with contextlib.suppress(DiscoveryError):
        parse_sitemap(body, "https://n.example/sitemap.xml")
    section_links(body.decode("utf-8", "replace"), "https://n.example/", None)


_PIECES = ["HBM", "hbm3e", "hİgh", "high", " bandwidth memory", "ſocamm", "CXL", "AI", "aı",
           " data center", "데이터센터", "고대역폭", " 메모리", "computing", " cluster", "100",
           " MW", "전력망", "power grid", "K", "ſ", "İ", " ", "x", "-"]  # fmt: skip


@FAST
@given(
    st.lists(st.sampled_from(_PIECES), max_size=30),
    st.lists(st.sampled_from(_PIECES), max_size=6),
)
def test_relevance_prefilter_never_changes_a_verdict(body: list[str], head: list[str]) -> None:
    rules = default_rules()
    always = dataclasses.replace(
        rules,
        rules=tuple(dataclasses.replace(r, needles=(None,) * len(r.patterns)) for r in rules.rules),
    )
    text, title = "".join(body), "".join(head)
    assert judge(title, text, rules) == judge(title, text, always)


def _counted_by_find(folded: str, term: str) -> int:
    """The definition :func:`term_counts` keeps: each occurrence found by ``str.find`` (one
    character on from the last), unless a Latin letter on either side continues a Latin word."""

    def latin(char: str) -> bool:
        return "a" <= char <= "z" or "A" <= char <= "Z"

    count, start = 0, folded.find(term)
    while start != -1:
        end = start + len(term)
        inside = (latin(term[0]) and start > 0 and latin(folded[start - 1])) or (
            latin(term[-1]) and end < len(folded) and latin(folded[end])
        )
        count += not inside
        start = folded.find(term, start + 1)
    return count


_TERM_PIECES = ["gpu", "gpus", "gpu를", "nvidia", "엔비디아", "엔비디아가", "ai", "aı",
                "data center", "데이터센터", "데이터 센터", "hbm", "x", "s", " ", "  ", "-", "1",
                "é", "😀", "\ud800"]  # fmt: skip


@FAST
@given(st.lists(st.sampled_from(_TERM_PIECES), max_size=40))
def test_one_scan_counts_every_term_as_a_find_per_term_does(pieces: list[str]) -> None:
    rules = default_rules()
    folded = fold("".join(pieces))
    counts = term_counts(folded, term_scanner(rules.terms))
    assert counts == {
        term: n for term in rules.terms if (n := _counted_by_find(folded, term))
    }


_PATTERN_PIECES = ["a", "b", "K", "s", "i", " ", "가", "|", "(", ")", "(?:", "(?=a)", "(?<!b)",
                   "?", "*", "+", "{2}", "\\d", "\\s", "[ab]", "[]|)]", "."]  # fmt: skip
_TEXT_PIECES = ["a", "A", "b", "B", "k", "K", "\u212a", "s", "S", "\u017f", "i", "I", "\u0130",
                "\u0131", " ", "가", "1", "|", ")", "."]  # fmt: skip


@FAST
@given(
    st.lists(st.sampled_from(_PATTERN_PIECES), min_size=1, max_size=10),
    st.lists(st.sampled_from(_TEXT_PIECES), max_size=20),
)
def test_a_pattern_matches_only_where_one_of_its_needles_occurs(
    pieces: list[str], chars: list[str]
) -> None:
    pattern, text = "".join(pieces), "".join(chars)
    try:
        regex = re.compile(pattern, re.IGNORECASE)
    except re.error:
        return
    found = needles(pattern)
    if found is not None and regex.search(text):
        assert any(needle in lowered(text) for needle in found), (pattern, text, found)


_CASED_PIECES = [*_TEXT_PIECES, "\n", "\t ", "\u00a0", "Σ", "ẞ", "Ǆ"]


@FAST
@given(st.lists(st.sampled_from(_CASED_PIECES), max_size=40))
def test_both_lower_cased_views_are_what_their_definitions_give(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert views(text) == (fold(text), lowered(text))


_SHINGLE_TEXT = st.text(alphabet="GPU 엔비디아 반도체 abc", max_size=120)
_ANY_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("GPU gpu_엔비디아 반도체 é\u0301İ😀𝔘\ud800.,-\n")), st.characters()
    ),
    max_size=60,
)


def _signature_by_definition(
    text: str, shingle: int = SHINGLE, bins: int = NUM_PERM
) -> tuple[int, ...]:
    """:func:`minhash` as its docstring defines it, one hashlib BLAKE2b per distinct shingle."""
    compact = re.sub(r"[\W_]+", "", text.lower())
    runs = range(max(1, len(compact) - shingle + 1)) if compact else range(0)
    mins = [EMPTY] * bins
    for run in {compact[i : i + shingle] for i in runs}:
        h = int.from_bytes(hashlib.blake2b(run.encode("utf-8"), digest_size=8).digest(), "big")
        mins[h % bins] = min(mins[h % bins], h >> (bins.bit_length() - 1))
    return tuple(mins)


@settings(max_examples=400, deadline=None)
@given(_ANY_TEXT)
def test_the_c_signature_is_the_defined_one(text: str) -> None:
    """The C hashing computes the signature the fingerprints stored by earlier versions were
    made with: short texts, characters of one to four UTF-8 bytes, combining marks, case
    foldings that lengthen a text, lone surrogates (removed with the punctuation)."""
    assert minhash(text) == _signature_by_definition(text)


@FAST
@given(_ANY_TEXT, st.sampled_from([1, 2, 7, 32]), st.sampled_from([1, 2, 16, 1024]))
def test_the_c_signature_holds_for_any_shingle_and_bin_count(
    text: str, shingle: int, bins: int
) -> None:
    """Up to 32 characters a shingle (128 UTF-8 bytes: one BLAKE2b block) and 1,024 bins."""
    compact = re.sub(r"[\W_]+", "", text.lower())
    signature = _minhash.signature(compact, shingle, bins, EMPTY)
    assert signature == _signature_by_definition(text, shingle, bins)


@FAST
@given(_SHINGLE_TEXT, _SHINGLE_TEXT)
def test_signatures_split_once_compare_as_the_signatures_themselves(a: str, b: str) -> None:
    """The claim path splits each stored signature once and compares the parts: the score is
    the signatures' own similarity, short texts' empty bins included."""
    x, y = minhash(a), minhash(b)
    parts_x, parts_y = signature_parts(encode_signature(x)), signature_parts(encode_signature(y))
    assert len(parts_x) == len(x)
    assert parts_similarity(parts_x, parts_y) == similarity(x, y)
    assert parts_similarity(parts_x, parts_x) == similarity(x, x)
