"""Scenarios 1 and 2: service processes killed (SIGKILL) or stopped (SIGTERM) while messages flow.

Promise: the ledger ends exactly as in the fault-free reference run and every alert arrives once.
"""

from __future__ import annotations

import random
import signal
import time
from pathlib import Path

from harness import CONSUMERS, Outcome, Run, fresh_database, run_scenario
from report import record

from services.core.localkafka import LocalKafka
from services.core.localpg import LocalPostgres
from services.core.models import ArticleV1


def test_every_service_killed_with_sigkill_at_random_moments_then_restarted(
    chaos_kafka: LocalKafka,
    chaos_pg: LocalPostgres,
    chaos_corpus: list[ArticleV1],
    reference: Outcome,
    tmp_path: Path,
) -> None:
    rng = random.Random(1)
    kills = [service for service in CONSUMERS for _ in range(2)]
    rng.shuffle(kills)
    moments = sorted(rng.sample(range(20, len(chaos_corpus) - 20), len(kills)))

    def sigkill_each_service_twice(run: Run) -> float:
        for service, moment in zip(kills, moments, strict=True):
            run.at_published(moment)
            run.pipeline.restart(service, signal.SIGKILL)
        return time.monotonic()

    result = run_scenario(
        "1. SIGKILL each service twice, restart",
        kafka=chaos_kafka.bootstrap, database_url=fresh_database(chaos_pg, "sigkill"),
        work=tmp_path, articles=chaos_corpus, reference=reference,
        fault=sigkill_each_service_twice, record=record, rate=20.0,
    )  # fmt: skip

    assert [code for _, code in result.killed_codes] == [-signal.SIGKILL] * len(kills)
    assert result.comparison.lost == 0, result.comparison.details
    assert result.comparison.duplicated == 0, result.comparison.details


def test_every_service_stopped_with_sigterm_mid_batch_then_restarted(
    chaos_kafka: LocalKafka,
    chaos_pg: LocalPostgres,
    chaos_corpus: list[ArticleV1],
    reference: Outcome,
    tmp_path: Path,
) -> None:
    moments = {"extractor": 120, "store": 260, "alerts": 400}

    def sigterm_each_service(run: Run) -> float:
        for service, moment in moments.items():
            run.at_published(moment)
            run.pipeline.wait_ready(service)  # consuming: the signal lands amid batches
            run.pipeline.restart(service, signal.SIGTERM)
        return time.monotonic()

    result = run_scenario(
        "2. SIGTERM each service mid-batch, restart",
        kafka=chaos_kafka.bootstrap, database_url=fresh_database(chaos_pg, "sigterm"),
        work=tmp_path, articles=chaos_corpus, reference=reference,
        fault=sigterm_each_service, record=record, rate=25.0,
    )  # fmt: skip

    assert result.killed_codes == [(s, 0) for s in moments], "SIGTERM must exit 0"
    assert result.comparison.lost == 0, result.comparison.details
    assert result.comparison.duplicated == 0, result.comparison.details
