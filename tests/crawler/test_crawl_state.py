"""Durable dedup state on SQLite and PostgreSQL: publish-once is a database constraint."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event
from sqlalchemy import text as sql

from services.core.db import make_engine, session_factory, utcnow
from services.core.migrate import upgrade
from services.core.models import stable_id
from services.core.retention import prune
from services.crawler.fingerprint import BANDS, NUM_PERM, lsh_keys, minhash
from services.crawler.state import (
    BAND_CAP,
    ClaimRequest,
    CrawlState,
    Remembered,
    Validators,
    forget_fingerprints,
    prune_parse_timeouts,
)
from services.crawler.tables import FINGERPRINTED_INDEX, LIVE_CONTENT_INDEX

from .claims import article, distinct_words

SEED = (Path(__file__).resolve().parents[2] / "seeds" / "000_579068ff91aef37f.txt").read_text(
    encoding="utf-8"
)


COPY_OF_SEED = "[통신] " + SEED.replace("(사진=연합뉴스)", "") + "\n\n제공: 와이어"
"""A wire service's lightly edited copy of the seed article: a near-duplicate of it."""


def test_claim_publish_and_recover_pending(engine: Engine) -> None:
    state = CrawlState(engine)
    first = article("https://n.example/a/1", SEED)
    assert state.claim(first, minhash(first.text), ["https://n.example/a/1?x=1"]).kind == "claimed"
    assert [a.id for a in state.pending()] == [first.id]  # a crash here → re-published
    state.mark_published([first.id])
    assert state.pending() == []
    assert state.status_of("https://n.example/a/1") == "published"
    assert state.known([first.id, stable_id("https://n.example/a/1?x=1"), "0" * 32]) == {
        first.id,
        stable_id("https://n.example/a/1?x=1"),
    }


def test_a_published_article_leaves_no_payload_behind_and_the_migration_clears_older_ones(
    db_url: str,
) -> None:
    upgrade(db_url, "0005")
    engine = make_engine(db_url)
    try:
        state = CrawlState(engine)
        old = article("https://n.example/a/1", SEED)
        new = article("https://n.example/a/2", "삼성전자는 엔비디아 GPU를 더 들여오기로 했다.")
        for published in (old, new):
            state.claim(published, minhash(published.text))
        with engine.begin() as connection:  # published as the crawler did before 0006
            connection.execute(
                sql("UPDATE crawler_urls SET status = 'published' WHERE id = :id"), {"id": old.id}
            )
        upgrade(db_url)
        state.mark_published([new.id])
        with engine.connect() as connection:
            payloads = connection.execute(sql("SELECT id, payload FROM crawler_urls")).all()
        assert dict(payloads) == {old.id: None, new.id: None}
        assert state.status_of(old.url) == state.status_of(new.url) == "published"
    finally:
        engine.dispose()


def test_duplicates_by_url_exact_text_and_near_text(engine: Engine) -> None:
    state = CrawlState(engine)
    original = article("https://n.example/a/1", SEED)
    state.claim(original, minhash(original.text))
    assert state.claim(original, minhash(original.text)).kind == "duplicate_url"
    same_text = article("https://mirror.example/x", SEED)
    exact = state.claim(same_text, minhash(same_text.text))
    assert (exact.kind, exact.other_id) == ("duplicate_exact", original.id)
    copy = article("https://wire.example/s/9", COPY_OF_SEED)
    near = state.claim(copy, minhash(copy.text))
    assert (near.kind, near.other_id) == ("duplicate_near", original.id)
    other = article("https://n.example/a/2", "완전히 다른 HBM 기사입니다. " * 40)
    assert state.claim(other, minhash(other.text)).kind == "claimed"


def test_two_instances_racing_publish_once(engine: Engine, db_url: str) -> None:
    second_engine = make_engine(db_url)
    try:
        states = [CrawlState(engine), CrawlState(second_engine)]
        items = [article(f"https://n.example/r/{i}", f"기사 {i} GPU " * 60) for i in range(10)]

        def claim_all(state: CrawlState) -> list[str]:
            return [state.claim(a, minhash(a.text)).kind for a in items]

        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(claim_all, states))
        claimed = sum(kind == "claimed" for run in results for kind in run)
        assert claimed == len(items)
    finally:
        second_engine.dispose()


def test_validators_sources_and_remembered_urls(engine: Engine) -> None:
    state = CrawlState(engine)
    assert state.validators("https://n.example/rss") is None
    state.save_validators("https://n.example/rss", Validators('"v1"', "Fri, 31 Oct 2025", "h"))
    state.save_validators("https://n.example/rss", Validators('"v2"', None, "h2"))
    assert state.validators("https://n.example/rss") == Validators('"v2"', None, "h2")
    due = datetime(2026, 1, 1, tzinfo=UTC)
    state.save_source("s", due, 2, "boom")
    state.save_source("s", due + timedelta(minutes=5), 0, None)
    saved = state.source_state("s")
    assert (
        saved is not None
        and saved.failures == 0
        and saved.next_poll_at == due + timedelta(minutes=5)
    )
    assert state.remember("https://n.example/sports/1", "s", "irrelevant")
    assert not state.remember("https://n.example/sports/1", "s", "irrelevant")
    assert state.remember_many(
        [
            Remembered("https://n.example/sports/2", "s", "irrelevant"),
            Remembered("https://n.example/sports/1", "s", "irrelevant"),  # known: one at a time
            Remembered("https://n.example/login", "s", "not_article"),
        ]
    ) == [True, False, True]
    assert state.status_of("https://n.example/login") == "not_article"


def test_a_batch_of_claims_checks_each_against_the_stored_and_its_own_earlier_ones(
    engine: Engine,
) -> None:
    state = CrawlState(engine)
    stored = article("https://n.example/a/0", "이미 저장된 데이터센터 기사입니다. " * 40)
    state.claim(stored, minhash(stored.text))
    original = article("https://n.example/a/1", SEED)
    batch = [
        ClaimRequest(original, minhash(SEED), ("https://n.example/a/1?x=1",)),
        ClaimRequest(original, minhash(SEED)),
        ClaimRequest(article("https://mirror.example/x", SEED), minhash(SEED)),
        ClaimRequest(article("https://wire.example/s/9", COPY_OF_SEED), minhash(COPY_OF_SEED)),
        ClaimRequest(article("https://n.example/b/0", stored.text), minhash(stored.text)),
        ClaimRequest(article("https://n.example/a/2", "다른 HBM 기사. " * 40),
                     minhash("다른 HBM 기사. " * 40)),
    ]  # fmt: skip
    claims = state.claim_many(batch)
    assert [(c.kind, c.other_id) for c in claims] == [
        ("claimed", original.id),
        ("duplicate_url", original.id),
        ("duplicate_exact", original.id),
        ("duplicate_near", original.id),
        ("duplicate_exact", stored.id),
        ("claimed", batch[-1].article.id),
    ]
    assert {a.id for a in state.pending()} == {stored.id, original.id, batch[-1].article.id}
    assert state.status_of("https://n.example/a/1?x=1") == "alias"


def test_a_batch_of_claims_costs_the_same_few_statements_however_big_it_is(
    engine: Engine,
) -> None:
    """Dedup is per batch, by index: the per-page queries and the status-index scans that made
    the crawler slower as its table grew are gone."""
    state = CrawlState(engine)
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        for size in (1, 40):
            statements.clear()
            items = [article(f"https://n.example/n/{size}/{i}", f"기사 {size} {i} GPU " * 60)
                     for i in range(size)]  # fmt: skip
            kinds = {c.kind for c in state.claim_many([ClaimRequest(a, minhash(a.text))
                                                       for a in items])}  # fmt: skip
            assert kinds == {"claimed"}
            assert len(statements) <= 8, statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_on_sqlite_the_content_hash_check_uses_the_live_content_index_for_a_whole_batch(
    engine: Engine,
) -> None:
    """SQLite's planner, given more than two hashes, would walk the status index over every live
    row on each claim (slower as the table grows); the check names the partial unique index.
    (SQLite only: ``INDEXED BY`` is SQLite's, and PostgreSQL plans with its statistics.)"""
    state = CrawlState(engine)
    items = [article(f"https://n.example/p/{i}", f"기사 {i} 엔비디아 GPU " * 40) for i in range(8)]
    claims = state.claim_many([ClaimRequest(a, minhash(a.text)) for a in items])
    assert {c.kind for c in claims} == {"claimed"}
    plans: list[str] = []

    def explain(conn: Any, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        if "content_hash IN" in statement and statement.startswith("SELECT"):
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.extend(str(row[-1]) for row in rows)

    event.listen(engine, "before_cursor_execute", explain)
    try:
        later = [article(f"https://n.example/q/{i}", f"다른 기사 {i} HBM " * 40) for i in range(8)]
        state.claim_many([ClaimRequest(a, minhash(a.text)) for a in later])
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    assert plans and all(LIVE_CONTENT_INDEX in plan for plan in plans), plans


def _template_signature(n: int) -> tuple[int, ...]:
    """Article ``n`` of a source whose boilerplate won the first band's four bins: that band
    key is every such article's, nothing else is shared (similarity 4/64 between any two)."""
    return (1, 2, 3, 4, *(10_000 * n + i for i in range(4, NUM_PERM)))


def test_a_band_key_that_every_article_of_a_source_shares_stops_growing_at_its_cap(
    engine: Engine,
) -> None:
    state = CrawlState(engine)
    boilerplate = lsh_keys(_template_signature(0))[0]
    count = BAND_CAP + 40
    items = [article(f"https://t.example/a/{n}", f"템플릿 기사 {n} " * 30) for n in range(count)]
    for start in range(0, count, 8):
        claims = state.claim_many(
            [ClaimRequest(a, _template_signature(n)) for n, a in enumerate(items)][start:start + 8]
        )
        assert {c.kind for c in claims} == {"claimed"}  # alike in boilerplate only

    with engine.connect() as connection:
        indexed = connection.execute(
            sql("SELECT count(*) FROM crawler_lsh WHERE band_key = :k"), {"k": boilerplate}
        ).scalar_one()
        last_keys = connection.execute(
            sql("SELECT count(*) FROM crawler_lsh WHERE url_id = :u"), {"u": items[-1].id}
        ).scalar_one()
    assert indexed == BAND_CAP  # not one per article of the source
    assert last_keys == BANDS - 1  # the later ones under their own bands only

    copy = list(_template_signature(count - 1))
    copy[10:20] = range(7, 17)  # a lightly edited copy of the last article: 54 of 64 bins equal
    original = items[-1]
    [claim] = state.claim_many(
        [ClaimRequest(article("https://mirror.example/x", original.text + " 수정"), tuple(copy))]
    )
    assert (claim.kind, claim.other_id) == ("duplicate_near", original.id)

    with session_factory(engine).begin() as session:  # the retention forgets them all
        assert forget_fingerprints(session, utcnow() + timedelta(seconds=1), 2 * count) == count
    assert _band_rows(engine, original.id) == 0
    later = article("https://t.example/a/later", "템플릿 기사 later " * 30)
    assert state.claim(later, _template_signature(count)).kind == "claimed"
    assert _band_rows(engine, later.id) == BANDS  # the boilerplate key indexes articles again


def _claimed_days_ago(engine: Engine, article_id: str, days: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            sql("UPDATE crawler_urls SET created_at = :at WHERE id = :id"),
            {"at": utcnow() - timedelta(days=days), "id": article_id},
        )


def _band_rows(engine: Engine, article_id: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sql("SELECT count(*) FROM crawler_lsh WHERE url_id = :id"), {"id": article_id}
            ).scalar_one()
        )


async def test_the_retention_forgets_old_articles_fingerprints_but_not_their_url_or_text(
    engine: Engine,
) -> None:
    state = CrawlState(engine)
    old = article("https://n.example/a/1", SEED)
    recent = article("https://n.example/a/2", distinct_words("최근 데이터센터"))
    older = [article(f"https://n.example/o/{i}", distinct_words(f"HBM {i}")) for i in range(3)]
    short = article("https://n.example/s/1", "짧은 GPU 기사")  # too short for most bands' keys
    assert len(lsh_keys(minhash(short.text))) < BANDS
    for each in (old, recent, *older, short):
        assert state.claim(each, minhash(each.text)).kind == "claimed"
    alias = "https://n.example/a/1?from=rss"
    duplicate = article("https://other.example/a/1", SEED)
    state.claim(old, minhash(SEED), [alias])  # an alias row, and
    state.claim(duplicate, minhash(SEED))  # a duplicate's: neither has a fingerprint
    for each in (old, *older, short, duplicate):
        _claimed_days_ago(engine, each.id, 100)
    _claimed_days_ago(engine, stable_id(alias), 100)
    assert _band_rows(engine, old.id) == BANDS

    forgotten = await prune(
        session_factory(engine), forget_fingerprints, utcnow() - timedelta(days=90),
        asyncio.Event(), batch=2,
    )  # fmt: skip

    assert forgotten == 5  # in batches of two: the seed's, the three older ones, the short one
    assert [_band_rows(engine, each.id) for each in (old, *older, short)] == [0] * 5
    assert _band_rows(engine, recent.id) == len(set(lsh_keys(minhash(recent.text))))
    with engine.connect() as connection:
        signed = connection.execute(
            sql("SELECT id FROM crawler_urls WHERE signature IS NOT NULL")
        ).scalars()
        assert list(signed) == [recent.id]
    assert state.claim(old, minhash(old.text)).kind == "duplicate_url"  # however old
    same_text = state.claim(article("https://mirror.example/x", SEED), minhash(SEED))
    assert (same_text.kind, same_text.other_id) == ("duplicate_exact", old.id)
    copy = article("https://wire.example/s/9", COPY_OF_SEED)
    assert state.claim(copy, minhash(copy.text)).kind == "claimed"  # a copy months later: news
    recent_copy = article("https://wire.example/s/10", "[통신] " + recent.text)
    near = state.claim(recent_copy, minhash(recent_copy.text))
    assert (near.kind, near.other_id) == ("duplicate_near", recent.id)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_on_sqlite_the_retention_finds_the_oldest_fingerprints_by_their_partial_index(
    engine: Engine,
) -> None:
    """Only the rows that still have a signature are in the index, so a prune does not walk
    the rows forgotten before.  (SQLite's plan; PostgreSQL plans with its statistics.)"""
    plans: list[str] = []

    def explain(conn: Any, _cursor: object, statement: str, parameters: Any, *_: object) -> None:
        if statement.startswith("SELECT") and "signature IS NOT NULL" in statement:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            plans.extend(str(row[-1]) for row in rows)

    event.listen(engine, "before_cursor_execute", explain)
    try:
        with session_factory(engine).begin() as session:
            forget_fingerprints(session, utcnow(), 10)
    finally:
        event.remove(engine, "before_cursor_execute", explain)
    assert plans and any(FINGERPRINTED_INDEX in plan for plan in plans), plans


# --------------------------------------------------------------------------- parse timeouts


def test_a_url_whose_parse_overruns_is_counted_and_given_up_at_the_limit(engine: Engine) -> None:
    state, url = CrawlState(engine), "https://n.example/a/slow"
    assert [state.parse_timed_out(url, "news", "parse_timeout", 3) for _ in range(2)] == [1, 2]
    assert state.parse_timeouts() == {stable_id(url)} and state.status_of(url) is None
    assert state.parse_timed_out(url, "news", "parse_timeout: 30s", 3) == 3
    assert state.parse_timeouts() == set()  # given up: remembered instead of counted
    assert state.status_of(url) == "not_article"


def test_a_url_settled_meanwhile_is_not_counted(engine: Engine) -> None:
    """Another source's poll, or another crawler, claimed it while this parse overran."""
    state = CrawlState(engine)
    claimed = article("https://n.example/a/1", SEED)
    state.claim(claimed, minhash(claimed.text), ["https://n.example/a/1?from=rss"])
    for url in ("https://n.example/a/1", "https://n.example/a/1?from=rss"):
        assert state.parse_timed_out(url, "news", "parse_timeout", 3) is None
    assert state.parse_timeouts() == set()


async def test_counts_no_listing_names_any_more_are_pruned_after_the_retention(
    engine: Engine,
) -> None:
    state = CrawlState(engine)
    state.parse_timed_out("https://n.example/a/gone", "news", "parse_timeout", 3)
    factory = session_factory(engine)
    kept = await prune(factory, prune_parse_timeouts, utcnow() - timedelta(days=1), asyncio.Event())
    assert kept == 0 and len(state.parse_timeouts()) == 1
    pruned = await prune(factory, prune_parse_timeouts, utcnow() + timedelta(seconds=1),
                         asyncio.Event())  # fmt: skip
    assert pruned == 1 and state.parse_timeouts() == set()
