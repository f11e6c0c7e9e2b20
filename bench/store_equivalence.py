"""Do two checkouts of the store write the same rows for the same ``facts.v1`` stream?

    python bench/store_equivalence.py OTHER_CHECKOUT [--articles N]

A store optimisation must not change what is stored.  This feeds the benchmark's corpus to the
store's real batch handler (``services.store.service.make_handler``) in each checkout — this one
and ``OTHER_CHECKOUT`` (e.g. a ``git worktree`` of ``main``) — for the three delivery patterns of
``bench_store.py`` (one partition's slice per batch, a whole poll per batch, one partition in
order), each stream delivered twice (the second time is a redelivery: nothing may change), and
compares every row of the store's tables: articles, facts, commitments, versions, changes,
outbox and consumed positions.  The store's clock is fixed (one tick per batch) so that the
recorded times are comparable.  Exit status 0 when every table is identical.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PATTERNS = ("partitioned", "whole_poll", "in_order")
TABLES = {
    "store_articles": "id",
    "store_facts": "id",
    "store_commitments": "key",
    "store_commitment_versions": "key, seq",
    "store_changes": "seq",
    "store_outbox": "seq",
    "store_consumed": "topic, partition",
}


def dump(articles: int) -> dict[str, dict[str, list[list[str]]]]:
    """Every pattern's tables after the stream was delivered twice (in this checkout)."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    import bench_store
    from bench_store import deliveries, extract_all, generate, postgres, prepare_database, scratch
    from sqlalchemy import text

    import services.store.repository as repository
    from services.core.bus import Message
    from services.core.db import make_engine, session_factory
    from services.core.topics import Topics
    from services.store.service import make_handler

    class Clock(datetime):
        @classmethod
        def now(cls, tz: object = None) -> Clock:
            return cls(2026, 5, 1, tzinfo=UTC)

    bench_store.datetime = Clock  # type: ignore[misc]  # the extraction time, as in the other
    extracted = extract_all([c.article for c in generate(articles, seed=7)])
    streams = {
        "partitioned": deliveries(extracted),
        "whole_poll": deliveries(extracted, whole_poll=True),
        "in_order": deliveries(extracted, partitions=1),
    }
    tick = [datetime(2026, 6, 1, tzinfo=UTC)]
    repository.utcnow = lambda: tick[0]  # type: ignore[attr-defined]
    out: dict[str, dict[str, list[list[str]]]] = {}
    with scratch("store-equivalence-") as root, postgres(root) as server:
        for pattern, batches in streams.items():
            url = server.create_database(pattern)
            prepare_database(url)
            engine = make_engine(url)
            handler = make_handler(session_factory(engine), Topics())

            async def deliver(handler: Any, batches: list[list[Message]]) -> None:
                for batch in [*batches, *batches]:
                    tick[0] += timedelta(seconds=1)
                    await handler(batch)

            asyncio.run(deliver(handler, batches))
            with engine.connect() as connection:
                out[pattern] = {
                    table: [
                        [str(value) for value in row]
                        for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY {by}"))
                    ]
                    for table, by in TABLES.items()
                }
            engine.dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("other", type=Path, help="the checkout to compare with")
    parser.add_argument("--articles", type=int, default=1200)
    args = parser.parse_args()
    dumps = []
    for checkout in (HERE.parent, args.other.resolve()):
        target = Path(f"/tmp/store-equivalence-{abs(hash(str(checkout)))}.json")
        subprocess.run(
            [sys.executable, "-c", _RUNNER, str(checkout), str(HERE), str(args.articles),
             str(target)],
            check=True,
        )  # fmt: skip
        dumps.append(json.loads(target.read_text()))
        target.unlink()
    differ = 0
    for pattern in PATTERNS:
        for table in TABLES:
            ours, theirs = dumps[0][pattern][table], dumps[1][pattern][table]
            same = ours == theirs
            differ += not same
            print(f"{pattern:12} {table:26} {len(ours):6} rows  {'same' if same else 'DIFFERENT'}")
    print("identical" if not differ else f"{differ} tables differ")
    return 1 if differ else 0


_RUNNER = """
import sys
from pathlib import Path
from typing import Any
checkout, here, articles, target = sys.argv[1:]
sys.path[:0] = [checkout + "/bench", checkout, here]
import store_equivalence
Path(target).write_text(__import__("json").dumps(store_equivalence.dump(int(articles))))
"""
"""Runs :func:`dump` with ``checkout``'s services and benchmark helpers (this file's own code)."""


if __name__ == "__main__":
    sys.exit(main())
