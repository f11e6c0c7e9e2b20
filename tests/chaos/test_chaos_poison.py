"""Scenario 8: poison messages on every topic, and the operator's ``infraledger dlq`` tool.

On ``articles.v1``, ``facts.v1`` and ``ledger.changes.v1``: invalid JSON, valid JSON violating
the schema, a 5 MB payload, and a message under the wrong key.  Each lands in its consumer's
dead-letter topic with the reason and its original bytes; the corpus flowing meanwhile is
processed exactly as in the reference; ``dlq list|show|retry`` finds, shows and re-drives them.
"""

from __future__ import annotations

import asyncio
import base64
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from harness import (
    REPO_ROOT,
    Outcome,
    Pipeline,
    Run,
    change_json,
    fresh_database,
    publish,
    run_scenario,
)
from report import record
from sqlalchemy import text

from services.core.bus import Outgoing
from services.core.db import make_engine
from services.core.localkafka import LocalKafka
from services.core.localpg import LocalPostgres
from services.core.models import ArticleV1, ExtractionV1
from services.dlq.reader import read_dead_letters
from services.extractor.extract import extract_article

FIVE_MB = 5 * 1024 * 1024
CONSUMER_OF = {"articles": "extractor", "facts": "store", "changes": "alerts"}


def poison(topic: str, sample: bytes) -> dict[str, tuple[str, bytes]]:
    """The poison messages of one topic: name → (key, value)."""
    padding = "가" * (FIVE_MB // 3)  # three bytes each in UTF-8
    big = json.dumps({"id": "f" * 32, "padding": padding}, ensure_ascii=False).encode()
    assert len(big) >= FIVE_MB
    return {
        f"{topic}/invalid-json": ("poison-1", b'{"id": "unterminated'),
        f"{topic}/schema-violation": ("poison-2", json.dumps({"id": 42, "lang": None}).encode()),
        f"{topic}/five-megabytes": ("poison-3", big),
        f"{topic}/wrong-key": ("not-the-right-key", sample),
    }


def dlq(pipeline: Pipeline, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "services.cli", "dlq", *args],
        env=pipeline.env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def listed(pipeline: Pipeline) -> list[str]:
    return [line for line in dlq(pipeline, "list").splitlines() if " from " in line]


def test_poison_messages_on_every_topic_are_dead_lettered_and_the_pipeline_keeps_going(
    chaos_kafka: LocalKafka,
    chaos_pg: LocalPostgres,
    chaos_corpus: list[ArticleV1],
    reference: Outcome,
    tmp_path: Path,
) -> None:
    article = chaos_corpus[10]
    extraction = ExtractionV1(
        article=article, extractor_version="1.0.0", facts=tuple(extract_article(article)),
        extracted_at=datetime.now(UTC),
    )  # fmt: skip
    injected: dict[str, tuple[str, str, bytes]] = {}

    def inject_poison(run: Run) -> float:
        run.at_published(200)
        topics = run.pipeline.topics
        change = run.pipeline.count  # a real change, re-sent under a wrong key below
        run_until = time.monotonic() + 120
        while change("SELECT count(*) FROM store_changes") == 0:
            assert time.monotonic() < run_until, "no change recorded yet"
            time.sleep(0.2)
        real_change = first_change(run.pipeline)
        samples = {
            "articles": article.model_dump_json().encode(),
            "facts": extraction.model_dump_json().encode(),
            "changes": real_change,
        }
        messages = []
        for base, sample in samples.items():
            topic = getattr(topics, base)
            for name, (key, value) in poison(base, sample).items():
                injected[name] = (topic, key, value)
                messages.append(Outgoing(topic, key, value))
        publish(run.pipeline.settings, messages)
        return time.monotonic()

    result = run_scenario(
        "8. poison messages on every topic",
        kafka=chaos_kafka.bootstrap, database_url=fresh_database(chaos_pg, "poison"),
        work=tmp_path, articles=chaos_corpus, reference=reference,
        fault=inject_poison, record=record, rate=25.0,
    )  # fmt: skip
    pipeline = result.pipeline

    assert result.comparison.lost == 0, result.comparison.details
    assert result.comparison.duplicated == 0, result.comparison.details

    entries = asyncio.run(read_dead_letters(pipeline.settings))
    by_original = {
        (e.record.topic, base64.b64decode(e.record.value_b64)): e for e in entries if e.record
    }
    lines = listed(pipeline)
    assert len(lines) == len(entries)
    refused_key = []
    for name, (topic, _key, value) in injected.items():
        entry = by_original.get((topic, value))
        if name.endswith("wrong-key"):
            if entry is None:
                refused_key.append(name)
            continue
        assert entry is not None, f"{name} is not in the dead-letter topic"
        assert entry.record is not None and entry.record.error.reason, name
        assert entry.record.error.service == CONSUMER_OF[name.split("/")[0]], name
        if name.endswith("five-megabytes"):  # what an operator sees, for one per topic
            shown = json.loads(dlq(pipeline, "show", entry.ref))
            assert shown["error"]["reason"] == entry.record.error.reason
            assert shown["value_b64"] == base64.b64encode(value).decode()

    # The operator re-drives them: still poison, each is dead-lettered again, nothing else moves.
    before = len(entries)
    pipeline.start_all()
    try:
        out = dlq(pipeline, "retry", "--all")
        assert f"re-published {before} message(s)" in out
        deadline = time.monotonic() + 120
        while len(asyncio.run(read_dead_letters(pipeline.settings))) < 2 * before:
            pipeline.check_alive()
            assert time.monotonic() < deadline, "re-driven messages were not dead-lettered again"
            time.sleep(0.5)
    finally:
        codes = pipeline.stop_all()
    assert set(codes.values()) == {0}, codes
    assert pipeline.count("SELECT count(*) FROM store_articles") == len(reference.articles)

    assert not refused_key, (
        f"a message under the wrong key was consumed instead of dead-lettered: {refused_key}"
    )


def first_change(pipeline: Pipeline) -> bytes:
    engine = make_engine(pipeline.database_url)
    try:
        with engine.connect() as conn:
            column = change_json(conn)
            value = conn.execute(text(f"SELECT {column} FROM store_changes LIMIT 1")).scalar_one()
    finally:
        engine.dispose()
    return json.dumps(value if not isinstance(value, str) else json.loads(value)).encode()
