"""Bad input: empty, huge, binary junk, adversarial repetitions — bounded time, no exception."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core.models import ArticleV1, stable_id
from services.extractor.extract import extract, extract_article

SECONDS_PER_MB = 2.0
FRAGMENTS = "0123456789,.만억조 개장대기여약최대이상GPU$kKbn엔비디아삼성전자는와에.\n"
SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_579068ff91aef37f.txt"


def _timed(text: str) -> float:
    """CPU seconds: the machine is shared, and the wall clock would measure the neighbours."""
    started = time.process_time()
    extract(text)
    return time.process_time() - started


@pytest.mark.parametrize(
    "text",
    [
        "1" * 10**6,
        "만" * 10**6,
        "9," * 500_000,
        "최대 " * 200_000,
        "삼성전자는 " * 100_000,
        "GPU 5만장 " * 100_000,
        "a" * 10**6,
        "Samsung, " * 110_000,
        ("엔비디아와 삼성전자는 GPU 26만장을 " * 40_000)[: 10**6],
        "$" * 10**6,
    ],
    ids=[
        "digits", "man", "commas", "qualifiers", "topics", "figures", "letters", "commas-orgs",
        "sentence-without-end", "dollars",
    ],
)
def test_one_megabyte_of_adversarial_text_extracts_in_bounded_time(text: str) -> None:
    megabytes = len(text.encode("utf-8")) / 2**20
    assert _timed(text) < SECONDS_PER_MB * max(1.0, megabytes)


def test_ten_megabytes_of_news_extract_in_bounded_time() -> None:
    seed = SEED.read_text(encoding="utf-8")
    text = "\n\n".join([seed] * (10 * 2**20 // len(seed.encode("utf-8")) + 1))
    assert _timed(text) < SECONDS_PER_MB * 10


@pytest.mark.parametrize("text", ["", " ", "\n\n\n", "\x00\x01\x02", "\ud800 surrogate", "." * 50])
def test_empty_and_junk_text_gives_no_facts(text: str) -> None:
    assert extract(text) == []


def test_binary_junk_decoded_leniently_gives_no_exception() -> None:
    junk = bytes(range(256)).decode("latin-1") * 4000 + b"\xff\xfe\x00GPU 5\xeb".decode(
        "utf-8", errors="replace"
    )
    assert isinstance(extract(junk), list)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(FRAGMENTS)), max_size=300))
def test_any_mix_of_number_and_org_fragments_never_raises(text: str) -> None:
    for fact in extract(text):
        assert text[fact.evidence.start : fact.evidence.end] == fact.evidence.sentence


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_any_unicode_text_never_raises(text: str) -> None:
    extract(text, title=text[:40])


def test_extract_article_takes_text_and_title_from_the_message() -> None:
    text = SEED.read_text(encoding="utf-8")
    article = ArticleV1(
        id=stable_id("https://example.com/seed"),
        url="https://example.com/seed",
        source="replay",
        lang="ko",
        title="엔비디아, 한국에 GPU 26만장 공급",
        fetched_at="2025-11-01T00:00:00Z",  # type: ignore[arg-type]
        text=text,
        content_hash="0" * 64,
    )
    assert extract_article(article) == extract(text, title=article.title)
