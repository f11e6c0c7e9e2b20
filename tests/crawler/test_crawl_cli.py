"""``infraledger crawl --once --emit jsonl --explain`` end to end, as a person would run it."""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from services.core.models import ArticleV1
from services.crawler.cli import add_commands

from .fakesite import FakeSite, Response
from .test_crawl_core import seed_html

HOST = "127.0.0.1"


@pytest.fixture
def site() -> Iterator[FakeSite]:
    """The fake site on its own event loop in a thread (the CLI runs ``asyncio.run``)."""
    fake = FakeSite()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(fake.start(), loop).result(5)
    try:
        yield fake
    finally:
        asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="infraledger")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


def test_crawl_once_prints_new_articles_and_then_nothing(
    site: FakeSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = site.url(HOST, "/article/1")
    site.route(HOST, "/robots.txt", Response(404))
    site.route(
        HOST,
        "/section",
        Response(200, [("Content-Type", "text/html")], b"<a href='/article/1?utm_source=x'>a</a>"),
    )
    site.route(
        HOST,
        "/article/1",
        Response(200, [("Content-Type", "text/html; charset=utf-8")], seed_html().encode()),
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n  - name: local\n    lang: ko\n    pages: [{site.url(HOST, '/section')}]\n"
        "    article_pattern: '/article/'\n",
        encoding="utf-8",
    )
    for key, value in {
        "INFRALEDGER_DATA_DIR": str(tmp_path / "var"),
        "INFRALEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite'}",
        "INFRALEDGER_ALLOW_NETWORKS": "127.0.0.0/8",
        "INFRALEDGER_CRAWL_DELAY": "50ms",
    }.items():
        monkeypatch.setenv(key, value)
    before = REGISTRY.get_sample_value("infraledger_crawler_published_total") or 0.0

    argv = ["crawl", "--once", "--emit", "jsonl", "--explain", "--sources", str(sources)]
    assert run_cli(argv) == 0
    first = capsys.readouterr()
    lines = [line for line in first.out.splitlines() if line.strip()]
    assert len(lines) == 1
    article = ArticleV1.model_validate_json(lines[0])
    assert article.url == url and article.source == "local" and "엔비디아" in article.text
    assert "[published]" in first.err and "gpu(" in first.err
    assert json.loads(first.err.strip().splitlines()[-1])["published"] == 1
    assert (REGISTRY.get_sample_value("infraledger_crawler_published_total") or 0) == before + 1

    assert run_cli(argv) == 0
    second = capsys.readouterr()
    assert second.out.strip() == ""
    assert f"[seen] local {url}?utm_source=x" in second.err
    assert json.loads(second.err.strip().splitlines()[-1])["published"] == 0


def test_a_bad_sources_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFRALEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'db.sqlite'}")
    bad = tmp_path / "sources.yaml"
    bad.write_text("sources:\n  - name: x\n", encoding="utf-8")
    assert run_cli(["crawl", "--once", "--emit", "jsonl", "--sources", str(bad)]) == 2
    assert "needs at least one feed" in capsys.readouterr().err
