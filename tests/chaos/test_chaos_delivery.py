"""Scenarios 6 and 7: the webhook receiver is down for 60 s; extractor instances come and go.

Promise: the ledger ends exactly as in the fault-free reference run and every alert arrives once.
"""

from __future__ import annotations

import itertools
import random
import signal
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

from harness import RETRY_SCHEDULE, Outcome, Run, fresh_database, run_scenario
from report import record
from sqlalchemy import text

from services.core.config import parse_schedule
from services.core.db import make_engine
from services.core.localkafka import LocalKafka
from services.core.localpg import LocalPostgres
from services.core.models import ArticleV1

RECEIVER_DOWN_S = 60.0
JITTER = 0.1
"""The delivery worker spreads each delay by ±10 %."""


def attempts_by_delivery(database_url: str) -> dict[str, list[tuple[int, datetime, str]]]:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT webhook_id, number, attempted_at, outcome FROM alerts_attempts")
            )
            attempts: dict[str, list[tuple[int, datetime, str]]] = defaultdict(list)
            for webhook_id, number, at, outcome in rows:
                attempts[webhook_id].append((number, at, outcome))
    finally:
        engine.dispose()
    return {w: sorted(a) for w, a in attempts.items()}


def test_the_webhook_receiver_down_for_60s_gets_every_event_once_in_the_retry_schedule(
    chaos_kafka: LocalKafka,
    chaos_pg: LocalPostgres,
    chaos_corpus: list[ArticleV1],
    reference: Outcome,
    tmp_path: Path,
) -> None:
    def receiver_down_for_a_minute(run: Run) -> float:
        run.at_published(150)
        run.hooks.down()
        time.sleep(RECEIVER_DOWN_S)  # the fault itself: nobody listens for 60 s
        run.hooks.up()
        return time.monotonic()

    database = fresh_database(chaos_pg, "receiver")
    result = run_scenario(
        "6. webhook receiver down 60 s",
        kafka=chaos_kafka.bootstrap, database_url=database,
        work=tmp_path, articles=chaos_corpus, reference=reference,
        fault=receiver_down_for_a_minute, record=record, rate=25.0,
    )  # fmt: skip

    assert result.comparison.lost == 0, result.comparison.details
    assert result.comparison.duplicated == 0, result.comparison.details
    schedule = parse_schedule(RETRY_SCHEDULE)
    attempts = attempts_by_delivery(database)
    retried = {w: a for w, a in attempts.items() if len(a) > 1}
    assert retried, "the outage made no delivery wait for a retry"
    for webhook_id, tries in retried.items():
        assert [n for n, _, _ in tries] == list(range(1, len(tries) + 1)), webhook_id
        assert len(tries) <= len(schedule), webhook_id
        assert [o for _, _, o in tries][-1] == "delivered", (webhook_id, tries)
        for (number, before, _), (_, after, _) in itertools.pairwise(tries):
            gap = (after - before).total_seconds()
            # never earlier than the schedule says (less its jitter)
            assert gap >= schedule[number] * (1 - JITTER) - 0.05, (webhook_id, number, gap)


def test_a_rebalance_storm_of_extractor_instances_while_messages_flow(
    chaos_kafka: LocalKafka,
    chaos_pg: LocalPostgres,
    chaos_corpus: list[ArticleV1],
    reference: Outcome,
    tmp_path: Path,
) -> None:
    rng = random.Random(7)
    # At most three instances at a time (three partitions); removals are SIGTERM except one
    # SIGKILL; the original instance is removed too.
    storm = [
        ("add", "extractor-2"), ("add", "extractor-3"), ("remove", "extractor"),
        ("add", "extractor-4"), ("kill", "extractor-2"), ("remove", "extractor-3"),
        ("add", "extractor-5"), ("remove", "extractor-4"), ("add", "extractor-6"),
    ]  # fmt: skip
    moments = sorted(rng.sample(range(40, len(chaos_corpus) - 40), len(storm)))
    removed: list[tuple[str, int]] = []

    def storm_of_instances(run: Run) -> float:
        for (action, name), moment in zip(storm, moments, strict=True):
            run.at_published(moment)
            if action == "add":
                run.pipeline.start("extractor", name)
            elif action == "remove":
                run.pipeline.wait_ready(name)  # consuming: SIGTERM lands amid its batches
                removed.append((name, run.pipeline.kill(name, signal.SIGTERM)))
            else:
                removed.append((name, run.pipeline.kill(name, signal.SIGKILL)))
        return time.monotonic()

    result = run_scenario(
        "7. rebalance storm (extractor instances)",
        kafka=chaos_kafka.bootstrap, database_url=fresh_database(chaos_pg, "storm"),
        work=tmp_path, articles=chaos_corpus, reference=reference,
        fault=storm_of_instances, record=record, rate=12.0,
    )  # fmt: skip

    assert [code for name, code in removed if name != "extractor-2"] == [0, 0, 0]
    assert result.comparison.lost == 0, result.comparison.details
    assert result.comparison.duplicated == 0, result.comparison.details
