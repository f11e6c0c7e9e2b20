"""Reading archives for replay: WARC (incl. non-UTF-8 Korean), JSON lines, seed manifests, and
bad archives reported with file and offset instead of stopping the replay."""

from __future__ import annotations

import gzip
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from services.core.bus import MemoryBus
from services.core.models import ArticleV1
from services.core.topics import (
    HEADER_EFFECTIVE_AT,
    HEADER_REPLAY_ALERTS,
    HEADER_REPLAY_ID,
    Topics,
)
from services.crawler.workers import ParsePool
from services.replay import publish as replay_publish
from services.replay.publish import publish_records
from services.replay.sources import ParseJob, ReplayRecord, parse_records, read_path

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEED_TEXT = (SEEDS / "000_579068ff91aef37f.txt").read_text(encoding="utf-8")
PARAGRAPHS = [p for p in SEED_TEXT.split("\n") if p.strip()]


def news_page(title: str, paragraphs: list[str], charset: str, published: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html lang="ko"><head><meta charset="{charset}"><title>{title}</title>'
        f'<meta property="article:published_time" content="{published}"></head>'
        f"<body><nav>홈 | 경제 | 스포츠</nav><article><h1>{title}</h1>{body}</article>"
        "<footer>무단 전재 금지</footer></body></html>"
    )


def write_warc(path: Path, records: list[tuple[str, bytes, str]]) -> None:
    """(url, body, content-type) as gzip WARC response records."""
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url, body, content_type in records:
            headers = StatusAndHeaders(
                "200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body), http_headers=headers,
                warc_headers_dict={"WARC-Date": "2025-11-01T00:00:00Z"},
            )  # fmt: skip
            writer.write_record(record)


def test_multi_record_warc_with_an_euc_kr_page_comes_out_as_correct_hangul(tmp_path: Path) -> None:
    korean = news_page(
        "엔비디아 GPU 26만장", PARAGRAPHS[3:8], "euc-kr", "2025-10-31T19:30:00+09:00"
    )
    sports = news_page(
        "프로야구 개막", ["야구 경기 결과입니다. " * 30], "utf-8", "2025-10-31T10:00:00+09:00"
    )
    archive = tmp_path / "mixed.warc.gz"
    write_warc(
        archive,
        [
            ("https://news.example.kr/article/1", korean.encode("cp949"), "text/html"),
            ("https://news.example.kr/sports/2", sports.encode(), "text/html; charset=utf-8"),
        ],
    )

    records = list(read_path(archive))

    assert len(records) == 2
    article = records[0].article
    assert article is not None and records[0].error is None
    assert "최대 26만개에 달하는 GPU를 우선 배치" in article.text
    assert article.published_at == datetime(2025, 10, 31, 10, 30, tzinfo=UTC)
    assert records[1].article is None and records[1].skipped is not None  # not AI infrastructure


def test_truncated_warc_is_reported_with_file_and_offset_and_earlier_records_survive(
    tmp_path: Path,
) -> None:
    page = news_page("엔비디아", PARAGRAPHS[3:8], "utf-8", "2025-10-31T19:30:00+09:00").encode()
    whole = tmp_path / "whole.warc.gz"
    write_warc(
        whole,
        [
            ("https://a.example/1", page, "text/html"),
            ("https://a.example/2", page + b" ", "text/html"),
        ],
    )
    data = whole.read_bytes()
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(data[: len(data) - 200])

    records = list(read_path(broken))

    assert records[0].article is not None
    assert records[-1].error is not None and str(broken) in records[-1].origin
    assert "truncated" in records[-1].error


@pytest.mark.parametrize(
    ("status", "headers", "body", "reason"),
    [
        ("200 OK", [("Content-Encoding", "br")], b"\x1b\x00", "unsupported content-encoding"),
        ("200 OK", [("Content-Encoding", "gzip")], b"not gzip at all", "corrupt gzip body"),
        ("OK", [], b"<html></html>", "unreadable response record"),
    ],
    ids=["an encoding it cannot decode", "a corrupt gzip body", "a status line without a number"],
)
def test_a_record_it_cannot_read_is_reported_and_the_replay_goes_on(
    tmp_path: Path, status: str, headers: list[tuple[str, str]], body: bytes, reason: str
) -> None:
    page = news_page("엔비디아", PARAGRAPHS[3:8], "utf-8", "2025-10-31T19:30:00+09:00").encode()
    archive = tmp_path / "odd.warc.gz"
    with archive.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for url, http in (
            ("https://a.example/odd", StatusAndHeaders(status, headers, protocol="HTTP/1.1")),
            ("https://a.example/fine", StatusAndHeaders("200 OK", [("Content-Type", "text/html")],
                                                        protocol="HTTP/1.1")),
        ):  # fmt: skip
            payload = body if url.endswith("odd") else page
            record = writer.create_warc_record(
                url, "response", payload=io.BytesIO(payload), length=len(payload),
                http_headers=http, warc_headers_dict={"WARC-Date": "2025-11-01T00:00:00Z"},
            )  # fmt: skip
            writer.write_record(record)

    records = list(read_path(archive))

    assert [r.error is not None for r in records] == [True, False]
    assert reason in (records[0].error or "") and str(archive) in records[0].origin
    assert records[1].article is not None


def test_json_lines_report_bad_lines_with_byte_offsets_and_keep_going(tmp_path: Path) -> None:
    good = {
        "url": "https://news.example.com/a?utm_source=x",
        "published_at": "2025-11-02T00:00:00Z",
        "lang": "en",
        "text": "Hyundai Motor Group will deploy 50,000 NVIDIA Blackwell GPUs in an AI factory.",
    }
    lines = [json.dumps(good), "{not json", json.dumps({"url": "https://x.example/b"})]
    path = tmp_path / "articles.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    records = list(read_path(path))

    assert records[0].article is not None
    assert records[0].article.url == "https://news.example.com/a"  # tracking parameter removed
    assert records[1].error is not None and records[1].origin == f"{path}:{len(lines[0]) + 1}"
    assert records[2].error is not None and "published_at" in records[2].error


def test_seed_manifest_yields_the_seed_article_with_its_publication_time() -> None:
    (record,) = list(read_path(SEEDS))
    assert record.article is not None
    assert record.article.url == "https://news.example.kr/article/579068ff91aef37f"
    assert record.article.published_at == datetime(2025, 10, 31, 10, 30, tzinfo=UTC)
    assert "26만개" in record.article.text


@pytest.mark.parametrize("alerts", [False, True])
async def test_publishing_marks_replays_and_publishes_each_article_once(alerts: bool) -> None:
    records = list(read_path(SEEDS)) * 2  # the same article twice in one replay
    bus = MemoryBus()
    topics = Topics("r.")

    summary = await publish_records(records, bus, topics, replay_id="r1", alerts=alerts)

    (message,) = bus.topics[topics.articles]
    assert summary.published == 1 and summary.duplicates == 1 and not summary.errors
    assert message.header(HEADER_REPLAY_ID) == "r1"
    assert message.header(HEADER_REPLAY_ALERTS) == ("true" if alerts else "false")
    published = datetime(2025, 10, 31, 10, 30, tzinfo=UTC)
    assert message.header(HEADER_EFFECTIVE_AT) == str(int(published.timestamp() * 1000))
    assert ArticleV1.model_validate_json(message.value).id == summary.article_ids[0]


def test_a_text_line_longer_than_any_news_article_is_skipped(tmp_path: Path) -> None:
    line = {
        "url": "https://news.example.com/huge",
        "published_at": "2025-11-02T00:00:00Z",
        "text": "Hyundai Motor Group will deploy 50,000 NVIDIA Blackwell GPUs. " * 9_000,
    }
    path = tmp_path / "articles.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    (record,) = read_path(path)
    assert record.article is None and record.skipped == "not an article (over 500,000 characters)"


async def test_an_article_too_large_for_the_broker_is_an_error_and_the_others_go_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (seed,) = read_path(SEEDS)
    assert seed.article is not None
    refused = seed.article.id
    monkeypatch.setattr(replay_publish, "fits", lambda out: out.key != refused)  # as if too large
    line = {
        "url": "https://news.example.com/a",
        "published_at": "2025-11-02T00:00:00Z",
        "text": "Hyundai Motor Group will deploy 50,000 NVIDIA Blackwell GPUs in an AI factory.",
    }
    path = tmp_path / "articles.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    bus = MemoryBus()
    topics = Topics("r.")

    summary = await publish_records([seed, *read_path(path)], bus, topics, replay_id="h")

    (message,) = bus.topics[topics.articles]
    assert summary.published == 1 and message.key_text != refused
    (error,) = summary.errors
    assert error.startswith(seed.origin) and "over the broker's limit" in error


async def test_dry_run_counts_without_publishing(tmp_path: Path) -> None:
    broken = tmp_path / "x.warc.gz"
    broken.write_bytes(gzip.compress(b"WARC/1.0\r\nnot really"))
    records = [*read_path(SEEDS), *read_path(broken)]

    summary = await publish_records(records, None, Topics(), replay_id="dry")

    assert summary.published == 1 and len(summary.errors) == 1


def _explode() -> ReplayRecord:
    raise RecursionError("maximum recursion depth exceeded")


def test_a_record_whose_parser_raises_becomes_an_error_with_its_origin() -> None:
    record = ParseJob("archive.warc.gz:1234", _explode).run()
    assert record.article is None and record.origin == "archive.warc.gz:1234"
    assert record.error is not None and "RecursionError" in record.error


async def test_worker_processes_parse_a_warc_to_the_same_records_in_the_same_order(
    tmp_path: Path,
) -> None:
    pages = [
        (f"https://news.example.kr/article/{i}",
         news_page(f"엔비디아 GPU {i}", PARAGRAPHS[i % 10 : i % 10 + 5], "utf-8",
                   "2025-10-31T19:30:00+09:00").encode(), "text/html")
        for i in range(40)
    ]  # fmt: skip
    pages[7] = ("https://news.example.kr/sports/7", b"<html>short</html>", "text/html")
    archive = tmp_path / "many.warc.gz"
    write_warc(archive, pages)
    data = archive.read_bytes()
    broken = tmp_path / "broken.warc.gz"
    broken.write_bytes(data[: len(data) - 200])

    pool = ParsePool(2)
    try:
        parallel = [r async for r in parse_records([archive, broken], pool)]
    finally:
        pool.close()

    assert parallel == [*read_path(archive), *read_path(broken)]
    assert parallel[7].skipped is not None and parallel[-1].error is not None
    assert sum(r.article is not None for r in parallel) > 40
