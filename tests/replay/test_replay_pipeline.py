"""Replays through the real pipeline (Kafka, extractor, store): idempotent, placed by publication
time, and safe to kill and start again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from services.core.config import Settings
from services.core.db import make_engine, session_factory
from services.core.models import ArticleV1, FactV1
from services.extractor.extract import extract_article
from services.extractor.service import make_handler
from services.replay.publish import publish_records
from services.replay.sources import read_path
from services.replay.stored import stored_records
from services.runtime import running
from services.store import queries
from services.store.tables import StoreArticle, StoreCommitmentVersion, StoreFact
from services.testing.corpus import generate
from services.up import wait_drained

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


def snapshot(url: str) -> dict[str, Any]:
    """Counts and the current ledger, to compare runs."""
    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            counts = {
                table.__tablename__: session.scalar(select(func.count()).select_from(table))
                for table in (StoreArticle, StoreFact, StoreCommitmentVersion)
            }
            changes = queries.changes(session, limit=1000).items
            ledger = {
                c.key: c.state.model_dump(mode="json")
                for c in queries.commitments(session, limit=1000).items
            }
    finally:
        engine.dispose()
    return {
        "counts": counts,
        "changes": sorted(c.id for c in changes),
        "kinds": {c.id: c.kind for c in changes},
        "ledger": ledger,
    }


def write_jsonl(path: Path, count: int) -> None:
    lines = [
        json.dumps(
            {
                "url": c.article.url,
                "title": c.article.title,
                "published_at": c.article.published_at.isoformat()
                if c.article.published_at
                else None,
                "lang": c.article.lang,
                "text": c.article.text,
            },
            ensure_ascii=False,
        )
        for c in generate(count, seed=5)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def replay_paths(settings: Settings, paths: list[Path]) -> None:
    stop = asyncio.Event()
    async with running(settings, ("extractor", "store"), stop) as rt:
        records = [record for path in paths for record in read_path(path)]
        summary = await publish_records(records, rt.publisher, rt.topics, replay_id="t")
        assert not summary.errors
        await wait_drained(rt, alerts=False, timeout=240)


async def test_the_same_replay_twice_adds_no_facts_changes_or_history(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    archive = tmp_path / "corpus.jsonl"
    write_jsonl(archive, 40)
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)

    await replay_paths(settings, [SEEDS, archive])
    first = snapshot(settings.database_url)
    await replay_paths(settings, [SEEDS, archive])
    second = snapshot(settings.database_url)

    assert first["counts"]["store_articles"] == 41
    assert first == second


async def test_older_article_arriving_after_a_newer_one_is_placed_by_publication_time(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    newer = {
        "url": "https://news.example.com/2025/12/samsung-more-gpus",
        "published_at": "2025-12-01T09:00:00+09:00",
        "lang": "ko",
        "text": "삼성전자는 엔비디아 GPU 도입 규모를 6만개로 늘리기로 했다고 밝혔다.",
    }
    older = {
        "url": "https://news.example.com/2025/11/samsung-gpus",
        "published_at": "2025-11-01T09:00:00+09:00",
        "lang": "ko",
        "text": "삼성전자는 엔비디아 GPU 5만개를 도입한다고 밝혔다.",
    }
    archive = tmp_path / "wrong-order.jsonl"
    archive.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in (newer, older)) + "\n")
    settings = make_settings(kafka_bootstrap=kafka_bootstrap, partitions=1)

    await replay_paths(settings, [archive])

    engine = make_engine(settings.database_url)
    try:
        with session_factory(engine)() as session:
            (current,) = queries.commitments(session, org_ids={"samsung-electronics"}).items
            versions = queries.history(session, org_ids={"samsung-electronics"})
    finally:
        engine.dispose()
    assert current.state.quantity is not None and current.state.quantity.value == 60000
    ordered = sorted(versions, key=lambda v: v.effective_at)
    assert [v.after.quantity.value for v in ordered if v.after.quantity] == [50000, 60000]
    assert [v.kind for v in ordered] == ["new", "increased"]


def test_a_replay_killed_halfway_and_started_again_ends_in_the_same_ledger(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    archive = tmp_path / "corpus.jsonl"
    write_jsonl(archive, 60)
    reference = make_settings(
        kafka_bootstrap=kafka_bootstrap, database_url=f"sqlite:///{tmp_path / 'ref.db'}"
    )
    asyncio.run(replay_paths(reference, [archive]))

    interrupted = make_settings(kafka_bootstrap=kafka_bootstrap)
    env = {
        "INFRALEDGER_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "INFRALEDGER_TOPIC_PREFIX": interrupted.topic_prefix,
        "INFRALEDGER_PARTITIONS": str(interrupted.partitions),
        "INFRALEDGER_LOG_FORMAT": "json",
    }
    command = [sys.executable, "-m", "services.cli", "replay", "jsonl", str(archive)]
    slow = subprocess.Popen(
        [*command, "--rate", "15"], env={**os.environ, **env},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        slow.wait(timeout=2.0)
    except subprocess.TimeoutExpired:
        slow.send_signal(signal.SIGKILL)
    slow.communicate(timeout=30)
    assert slow.returncode != 0, "the first replay should have been killed halfway"
    again = subprocess.run(command, env={**os.environ, **env}, capture_output=True, timeout=120)
    assert again.returncode == 0, again.stderr.decode()[-2000:]

    asyncio.run(_drain(interrupted))
    assert (
        snapshot(interrupted.database_url)["ledger"] == snapshot(reference.database_url)["ledger"]
    )
    assert (
        snapshot(interrupted.database_url)["counts"] == snapshot(reference.database_url)["counts"]
    )


async def _drain(settings: Settings) -> None:
    stop = asyncio.Event()
    async with running(settings, ("extractor", "store"), stop) as rt:
        await wait_drained(rt, alerts=False, timeout=240)


async def test_re_extraction_with_a_newer_version_changes_only_what_the_new_rules_change(
    kafka_bootstrap: str, make_settings: Callable[..., Settings], tmp_path: Path
) -> None:
    settings = make_settings(kafka_bootstrap=kafka_bootstrap)
    await replay_paths(settings, [SEEDS])
    before = snapshot(settings.database_url)

    def newer_rules(article: ArticleV1) -> list[FactV1]:
        """A 'better' extractor: it reads Samsung's commitment as 55,000 instead of 50,000."""
        facts = []
        for fact in extract_article(article):
            if fact.subject.id == "samsung-electronics" and fact.quantity is not None:
                fact = fact.model_copy(
                    update={"quantity": fact.quantity.model_copy(update={"value": 55000.0})}
                )
            facts.append(fact)
        return facts

    stop = asyncio.Event()
    async with running(settings, ("store",), stop) as rt:
        extractor = rt.consumer(
            "extractor", make_handler(rt.publisher, rt.topics, newer_rules, version="99.0.0")
        )
        rt.spawn("extractor-v99", extractor.run(stop))
        records = stored_records(settings.database_url, extractor_version_below="99.0.0")
        summary = await publish_records(records, rt.publisher, rt.topics, replay_id="re")
        assert summary.published == 1
        await wait_drained(rt, alerts=False, timeout=240)
        # A second re-extraction replay finds nothing below the new version.
        assert list(stored_records(settings.database_url, extractor_version_below="99.0.0")) == []
    after = snapshot(settings.database_url)

    new_changes = set(after["changes"]) - set(before["changes"])
    changed_keys = {k for k in after["ledger"] if after["ledger"][k] != before["ledger"].get(k)}
    assert changed_keys == {"gpu_commitment|samsung-electronics|nvidia|gpu|-"}
    # the history's new first version, and the withdrawal of the figure reported before it
    assert sorted(after["kinds"][c] for c in new_changes) == ["new", "withdrawn"]
    assert (
        after["ledger"]["gpu_commitment|samsung-electronics|nvidia|gpu|-"]["quantity"]["value"]
        == 55000
    )
