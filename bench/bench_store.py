"""Store throughput: facts/s through the ``facts.v1`` consumer path into PostgreSQL.

    python bench/bench_store.py [--quick | --full] [--articles N]

Issue #10 item 3 (and the store half of item 7).  A fresh PostgreSQL (fsync off, as in the
tests) is started under a temporary directory and stopped at the end.  The synthetic corpus
(``services.testing.corpus``) is extracted beforehand (not timed) into ``facts.v1`` messages,
which are handed to the store's real batch handler (``services.store.service.make_handler``:
parse, diff, history, change log, outbox, consumed positions, one transaction, commit) the way
the consumer loop hands them over:

- ``partitioned``: keyed by article id over 6 partitions, one partition's slice of a 500-record
  ``getmany`` per batch (≈83 messages) — how a per-partition consumer loop hands them over;
- ``whole poll``: the same, but each 500-record ``getmany`` (6 slices) handed over as one batch
  — how the store service consumed ``facts.v1`` until session 13;
- ``event-time poll``: 500 records a poll taken 16 at a time from the partition furthest
  behind in the articles' time (``services.core.polling.EventTimeMerge`` on the
  ``infraledger-effective-at`` header) — how the store service consumes ``facts.v1``
  (``ConsumerLoop(whole_poll=True, event_time=…)``);
- ``in order``: one partition, 500 messages a batch — every batch extends the histories at
  their end (the store's append path), the best case.

Within one run the partitioned rate of the first poll is compared with the last full poll's
(whole polls: a poll's later slices re-fold the keys its earlier slices wrote, so single batches
cost differently by their position in the poll).

Growth (item 7): the partitioned measurement after preloading 10k, 100k and 1M stored facts
(and their articles, history versions, change log, published outbox) on other commitment keys
— indexes doing their job show as a flat rate.  At each size :data:`results.GROWTH_REPEATS`
runs of new articles (each 40 % of the corpus's size, each later than the one before) follow
one another on the same database, and the row is their median.  The 10k runs are made again
after the 1M ones (on a fresh database) and the rows compare with the mean of the two medians,
as the host's speed drifts within minutes.  ``--quick`` runs a tenth.  Until session 15 a size
had one run, of the corpus's first 40 %.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import shutil
import sys
import tempfile
import time
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from results import (  # noqa: E402
    GROWTH_REPEATS,
    entry,
    growth_rows,
    machine,
    print_table,
    record,
    stop_on_sigterm,
)

from services.core.bus import Message  # noqa: E402
from services.core.db import make_engine, session_factory  # noqa: E402
from services.core.kafka import ConsumerLoop  # noqa: E402
from services.core.localpg import LocalPostgres  # noqa: E402
from services.core.models import ArticleV1, ExtractionV1  # noqa: E402
from services.core.polling import EventTimeMerge, effective_at_header, header_time  # noqa: E402
from services.core.topics import Topics  # noqa: E402
from services.testing.corpus import generate  # noqa: E402
from services.testing.polls import poll_in_event_time  # noqa: E402

TARGET_FACTS_PER_S = 5000.0
PARTITIONS = 6
POLL_RECORDS = 500  # ConsumerLoop.batch_size: max_poll_records of one getmany
EXTRACTOR_VERSION = "bench"


# --------------------------------------------------------------------------- database


@contextlib.contextmanager
def postgres(root: Path) -> Iterator[LocalPostgres]:
    """A private PostgreSQL under ``root``; stopped even when the benchmark fails."""
    server = LocalPostgres(root / "pg")
    try:
        server.start()
        yield server
    finally:
        with contextlib.suppress(Exception):
            server.stop("immediate")


@contextlib.contextmanager
def scratch(prefix: str) -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield root
    finally:
        shutil.rmtree(root, ignore_errors=True)


def prepare_database(url: str) -> list[str]:
    """Migrate ``url`` to head; add model columns the migrations lack (reported, not hidden)."""
    from alembic.migration import MigrationContext
    from alembic.operations import Operations
    from sqlalchemy import inspect

    from services.core.migrate import target_metadata, upgrade

    upgrade(url)
    added = []
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            present = inspect(connection)
            operations = Operations(MigrationContext.configure(connection))
            for table in target_metadata().sorted_tables:
                if not present.has_table(table.name):
                    continue
                have = {c["name"] for c in present.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in have:
                        operations.add_column(table.name, column._copy())
                        added.append(f"{table.name}.{column.name}")
    finally:
        engine.dispose()
    if added:
        print(f"WARNING: the migrations lack model columns, added for this run: {added}")
    return added


# Background rows: (table, {column: SQL expression of g}) cloned from one real template row.
# Keys 'bg|…' and URLs 'https://bg.example/…' never meet the measured corpus.
_A = "md5('bg-a-' || ((g + 1) / 2))"
_WHEN = "timestamptz '2000-01-01 00:00:00+00' + g * interval '1 minute'"
_BACKGROUND: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("store_articles", "articles", {
        "id": "md5('bg-a-' || g)", "url": "'https://bg.example/' || g",
        "published_at": _WHEN, "fetched_at": _WHEN, "effective_at": _WHEN,
    }),
    ("store_facts", "facts", {
        "id": "md5('bg-f-' || g)", "article_id": _A, "key": "'bg|' || (g % 5000)",
        "subject_id": "'bg-' || (g % 5000)",
    }),
    ("store_commitment_versions", "facts", {
        "id": "md5('bg-v-' || g)", "key": "'bg|' || (g % 5000)", "seq": "g / 5000",
        "article_id": _A, "fact_id": "md5('bg-f-' || g)", "effective_at": _WHEN,
    }),
    ("store_changes", "facts", {
        "id": "md5('bg-c-' || g)", "key": "'bg|' || (g % 5000)", "article_id": _A,
        "subject_id": "'bg-' || (g % 5000)", "effective_at": _WHEN, "recorded_at": _WHEN,
    }),
    ("store_outbox", "facts", {
        "change_id": "md5('bg-c-' || g)", "key": "'bg|' || (g % 5000)",
        "published_at": _WHEN,
    }),
    ("store_consumed", "partitions", {
        "topic": "'bg.facts.v1'", "partition": "g - 1", "offset": "1000000",
        "article_id": "md5('bg-a-' || g)",
    }),
    ("store_commitments", "keys", {
        "key": "'bg|' || g", "subject_id": "'bg-' || g", "last_version_id": "md5('bg-k-' || g)",
    }),
)  # fmt: skip
_CLEANUP = (
    "DELETE FROM store_outbox WHERE change_id IN "
    "(SELECT id FROM store_changes WHERE key NOT LIKE 'bg|%')",
    "DELETE FROM store_changes WHERE key NOT LIKE 'bg|%'",
    "DELETE FROM store_commitment_versions WHERE key NOT LIKE 'bg|%'",
    "DELETE FROM store_commitments WHERE key NOT LIKE 'bg|%'",
    "DELETE FROM store_facts WHERE key NOT LIKE 'bg|%'",
    "DELETE FROM store_consumed WHERE topic <> 'bg.facts.v1'",
    "DELETE FROM store_articles WHERE url NOT LIKE 'https://bg.example/%'",
)


def preload(url: str, facts: int, *, first: int = 0, warm: bool = True) -> float:
    """Add ``facts`` background facts (and everything that comes with them) to ``url``.

    Every table needs a real template row: with ``warm`` a few corpus articles go through the
    real store first and are deleted afterwards; without, the rows already there serve.  The
    clones differ only in ids, keys, URLs and times; ``first`` is the number of background
    facts already loaded (their ids are not reused).  Returns the seconds it took.
    """
    from sqlalchemy import text

    started = time.perf_counter()
    if warm:
        corpus = generate(20, seed=99)
        apply_messages(url, deliveries(extract_all([c.article for c in corpus]), partitions=1))
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            for table, size, overrides in _BACKGROUND:
                if size in ("keys", "partitions") and first:
                    continue
                count = {"articles": (facts + 1) // 2, "facts": facts, "keys": 5000,
                         "partitions": PARTITIONS}[size]  # fmt: skip
                start = first // 2 if size == "articles" else first
                columns = connection.execute(
                    text(
                        "SELECT column_name, column_default FROM information_schema.columns "
                        "WHERE table_name = :t ORDER BY ordinal_position"
                    ),
                    {"t": table},
                ).all()
                names = [n for n, default in columns if not str(default).startswith("nextval")]
                values = [overrides.get(n, f'tpl."{n}"') for n in names]
                quoted = ", ".join(f'"{n}"' for n in names)
                connection.execute(
                    text(
                        f"INSERT INTO {table} ({quoted}) SELECT {', '.join(values)} "
                        f"FROM (SELECT * FROM {table} LIMIT 1) tpl "
                        f"CROSS JOIN generate_series({start + 1}, {start + count}) g"
                    )
                )
            for statement in _CLEANUP if warm else ():
                connection.execute(text(statement))
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
    finally:
        engine.dispose()
    return time.perf_counter() - started


def stored_facts(url: str) -> int:
    from sqlalchemy import text

    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM store_facts")).scalar_one())
    finally:
        engine.dispose()


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class Extracted:
    article_id: str
    value: bytes
    facts: int
    headers: tuple[tuple[str, bytes], ...]


def extract_all(articles: Sequence[ArticleV1]) -> list[Extracted]:
    """``facts.v1`` values of ``articles`` by the real extractor (not part of any timing)."""
    from services.extractor.extract import extract_article

    now = datetime.now(UTC)
    out = []
    for article in articles:
        facts = tuple(extract_article(article))
        extraction = ExtractionV1(
            article=article, extractor_version=EXTRACTOR_VERSION, facts=facts, extracted_at=now
        )
        headers = tuple((k, v.encode()) for k, v in effective_at_header(article).items())
        out.append(
            Extracted(article.id, extraction.model_dump_json().encode(), len(facts), headers)
        )
    return out


def partition_of(key: str, partitions: int) -> int:
    return zlib.crc32(key.encode()) % partitions


def deliveries(
    items: Sequence[Extracted],
    *,
    partitions: int = PARTITIONS,
    poll: int = POLL_RECORDS,
    whole_poll: bool = False,
    in_event_time: bool = False,
    first_offset: int = 0,
) -> list[list[Message]]:
    """The batches a consumer loop hands the handler for ``items`` published in order: one
    partition's slice of a poll each, or (``whole_poll``) every slice of a poll together, or
    (``in_event_time``) whole polls taken as ``ConsumerLoop._poll_in_event_time`` takes them.
    Each partition's offsets start at ``first_offset``: the store skips a position at or below
    the one it recorded, so items handed to a database after others need offsets above theirs."""
    logs: dict[int, list[Message]] = {p: [] for p in range(partitions)}
    for item in items:
        p = partition_of(item.article_id, partitions)
        log = logs[p]
        key = item.article_id.encode()
        log.append(Message("facts.v1", p, first_offset + len(log), key, item.value, item.headers))
    batches = []
    if in_event_time:
        merge: EventTimeMerge[int, Message] = EventTimeMerge(header_time)
        while any(logs.values()):
            polled_in_time = poll_in_event_time(merge, logs, poll, ConsumerLoop.merge_step)
            batches.append([m for records in polled_in_time.values() for m in records])
        return batches
    share = max(1, poll // partitions)
    cursor = dict.fromkeys(logs, 0)
    while any(cursor[p] < len(logs[p]) for p in logs):
        polled = []
        for p, log in logs.items():
            batch = log[cursor[p] : cursor[p] + share]
            cursor[p] += len(batch)
            if batch:
                polled.append(batch)
        batches += [[m for batch in polled for m in batch]] if whole_poll else polled
    return batches


# --------------------------------------------------------------------------- measurement


@dataclass(frozen=True)
class StoreRun:
    seconds: float
    facts: int
    messages: int
    batches: int
    first_poll: float
    """facts/s over the first poll's batches (``last_poll``: the last full poll's)."""
    last_poll: float

    @property
    def rate(self) -> float:
        return self.facts / self.seconds

    @property
    def batch_size(self) -> float:
        return self.messages / self.batches


def apply_messages(url: str, batches: Sequence[Sequence[Message]]) -> StoreRun:
    """Hand ``batches`` to the store's real handler, one after the other, and time it."""
    from services.runtime import settled_interpreter
    from services.store.service import make_handler

    engine = make_engine(url)
    try:
        handler = make_handler(session_factory(engine), Topics())
        counts = [
            sum(ExtractionV1.model_validate_json(m.value).facts.__len__() for m in b)
            for b in batches
        ]
        took: list[float] = []

        async def run() -> None:
            for batch in batches:
                started = time.perf_counter()
                await handler(batch)
                took.append(time.perf_counter() - started)

        with settled_interpreter():  # as services.runtime.running does once they are up
            asyncio.run(run())
    finally:
        engine.dispose()
    polls = _polls(batches)
    sizes = [sum(len(batches[i]) for i in poll) for poll in polls]
    full = [poll for poll, size in zip(polls, sizes, strict=True) if size == max(sizes)]
    first, last = full[0], full[-1]
    return StoreRun(
        seconds=sum(took),
        facts=sum(counts),
        messages=sum(len(b) for b in batches),
        batches=len(batches),
        first_poll=sum(counts[i] for i in first) / sum(took[i] for i in first),
        last_poll=sum(counts[i] for i in last) / sum(took[i] for i in last),
    )


def _polls(batches: Sequence[Sequence[Message]]) -> list[list[int]]:
    """The batch indexes of each poll: a poll's slices come in ascending partition order, so a
    batch starts a new poll when its partition is not above the previous batch's.  Within a
    poll, a later partition's slice re-folds the keys the earlier slices just wrote (its facts
    are older), so batches of one poll cost differently by position: compare whole polls."""
    polls: list[list[int]] = []
    previous = -1
    for index, batch in enumerate(batches):
        if not polls or batch[0].partition <= previous:
            polls.append([])
        polls[-1].append(index)
        previous = batch[-1].partition
    return polls


def fresh_database(server: LocalPostgres, name: str, background: int = 0) -> str:
    """A new database ``name`` at the head migration, with ``background`` facts preloaded."""
    url = server.create_database(name)
    prepare_database(url)
    if background:
        seconds = preload(url, background)
        print(f"  preloaded {stored_facts(url):,} background facts in {seconds:.0f}s")
    return url


def timed(url: str, name: str, batches: Sequence[Sequence[Message]]) -> StoreRun:
    """:func:`apply_messages`, checked: a fact the store did not keep (a position it took for a
    redelivery, say) would make the rate of work it did not do.  Every article handed over must
    be new to the database, as the benchmark's are: a copy would rightly not be kept again."""
    before = stored_facts(url)
    run = apply_messages(url, batches)
    kept = stored_facts(url) - before
    if kept != run.facts:
        raise SystemExit(f"{name}: the store kept {kept:,} of the {run.facts:,} facts handed over")
    print(
        f"  {name}: {run.facts:,} facts in {run.seconds:.1f}s = {run.rate:,.0f} facts/s "
        f"(batch {run.batch_size:.0f} msgs; first poll {run.first_poll:,.0f}/s, "
        f"last full poll {run.last_poll:,.0f}/s)"
    )
    return run


def measure(server: LocalPostgres, name: str, batches: Sequence[Sequence[Message]]) -> StoreRun:
    return timed(fresh_database(server, name), name, batches)


def growth_runs(
    server: LocalPostgres, name: str, runs: Sequence[Sequence[Sequence[Message]]], background: int
) -> list[StoreRun]:
    """Each of ``runs``, one after the other on one database with ``background`` facts
    preloaded (item 7)."""
    url = fresh_database(server, name, background)
    return [timed(url, f"{name} run {n}", batches) for n, batches in enumerate(runs, 1)]


def corpus_slice(count: int, phase: int) -> list[ArticleV1]:
    """``count`` corpus articles of their own seed, later than every earlier phase."""
    start = datetime(2030 + 3 * phase, 1, 1, tzinfo=UTC)
    return [c.article for c in generate(count, seed=1000 + phase, start=start)]


def growth_corpus(articles: int) -> list[list[list[Message]]]:
    """The batches of :data:`GROWTH_REPEATS` runs of ``articles`` new corpus articles each; each
    run's articles are later than the previous run's, so no run re-folds another's facts, and
    its offsets follow the previous run's, so the store takes none for a redelivery."""
    return [
        deliveries(extract_all(corpus_slice(articles, run)), first_offset=run * articles)
        for run in range(GROWTH_REPEATS)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    stop_on_sigterm()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="a tenth of the size")
    size.add_argument("--full", action="store_true", help="the issue's sizes (default already)")
    parser.add_argument("--articles", type=int, default=None, help="corpus size (≈2 facts each)")
    parser.add_argument("--no-growth", action="store_true", help="skip item 7")
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    articles = args.articles or int(2500 * scale)
    growth = [int(n * scale) for n in (10_000, 100_000, 1_000_000)]

    print(f"store benchmark: {articles} articles, machine {machine()}")
    corpus = generate(articles, seed=7)
    started = time.perf_counter()
    extracted = extract_all([c.article for c in corpus])
    print(f"  extracted {sum(e.facts for e in extracted):,} facts beforehand "
          f"in {time.perf_counter() - started:.0f}s (not timed)")  # fmt: skip
    partitioned = deliveries(extracted)
    whole_poll = deliveries(extracted, whole_poll=True)
    event_time_poll = deliveries(extracted, in_event_time=True)
    in_order = deliveries(extracted, partitions=1)
    growth_batches = growth_corpus(articles * 2 // 5)

    rows: list[dict[str, Any]] = []
    with scratch("bench-store-") as root, postgres(root) as server:
        main_run = measure(server, "store_partitioned", partitioned)
        whole_run = measure(server, "store_whole_poll", whole_poll)
        event_time_run = measure(server, "store_event_time_poll", event_time_poll)
        order_run = measure(server, "store_in_order", in_order)
        rows += [
            entry("store.facts_per_s", main_run.rate, "facts/s", target=TARGET_FACTS_PER_S,
                  note=f"6 partitions, batch ≈{main_run.batch_size:.0f} messages, "
                       f"{main_run.facts} facts, empty database"),
            entry("store.facts_per_s.whole_poll", whole_run.rate, "facts/s",
                  target=TARGET_FACTS_PER_S,
                  note=f"6 partitions, a whole poll per batch ≈{whole_run.batch_size:.0f} "
                       "messages (how the store service consumed until session 13)"),
            entry("store.facts_per_s.event_time_poll", event_time_run.rate, "facts/s",
                  target=TARGET_FACTS_PER_S,
                  note=f"6 partitions, a whole poll taken in the articles' time per batch "
                       f"≈{event_time_run.batch_size:.0f} messages (how the store service "
                       "consumes since session 13)"),
            entry("store.facts_per_s.in_order", order_run.rate, "facts/s",
                  target=TARGET_FACTS_PER_S,
                  note=f"1 partition, batch {order_run.batch_size:.0f} messages (append path)"),
            entry("store.facts_per_s.last_poll_vs_first", main_run.last_poll, "facts/s",
                  ceiling=main_run.first_poll, target=0.8, target_is_ratio=True,
                  note="same run, 6 partitions: the last full poll vs the first (history per "
                       "key grows through the run; flat means ≥ 0.8)"),
        ]  # fmt: skip
        if not args.no_growth:
            series = []
            for background in growth:
                runs = growth_runs(server, f"store_growth_{background}", growth_batches, background)
                facts = "/".join(f"{run.facts:,}" for run in runs)
                stored = f"{background:,} background facts, runs of {facts} facts"
                series.append((background, stored, [run.rate for run in runs]))
            # the smallest size again, after the largest: the host's speed drifts within
            # minutes, so the baseline is the mean of its runs before and after the others
            again = growth_runs(server, f"store_growth_{growth[0]}_after", growth_batches,
                                growth[0])  # fmt: skip
            rows += growth_rows("store.growth.facts_per_s", "facts/s", series,
                                [run.rate for run in again])  # fmt: skip
    print_table(rows, "store (issue #10 items 3 and 7)")
    record(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
