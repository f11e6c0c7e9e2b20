"""``infraledger replay warc|jsonl|seeds|stored|offsets``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import AsyncIterable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from services.core.config import Settings, load_settings
from services.core.errors import ConfigError
from services.core.topics import Topics
from services.crawler.workers import ParsePool
from services.replay.publish import Progress, ReplaySummary, new_replay_id, publish_records

if TYPE_CHECKING:
    from services.replay.sources import ReplayRecord


def _parse_time(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO time: {text!r}") from exc
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give a time zone, e.g. {text}Z")
    return value


async def _publish(
    settings: Settings,
    records: Iterable[ReplayRecord] | AsyncIterable[ReplayRecord],
    args: argparse.Namespace,
    label: str,
) -> ReplaySummary:
    topics = Topics(settings.topic_prefix)
    replay_id = new_replay_id([label])
    progress = Progress()
    if args.dry_run:
        return await publish_records(records, None, topics, replay_id=replay_id,
                                     progress=progress)  # fmt: skip
    if not settings.kafka_bootstrap:
        raise ConfigError("INFRALEDGER_KAFKA_BOOTSTRAP: needed to publish a replay")
    from services.core.kafka import ensure_topics, kafka_publisher

    await ensure_topics(settings)
    async with kafka_publisher(settings) as publisher:
        return await publish_records(
            records, publisher, topics, replay_id=replay_id, alerts=args.alerts,
            rate=args.rate, progress=progress,
        )  # fmt: skip


def _report(summary: ReplaySummary) -> int:
    for error in summary.errors:
        sys.stderr.write(f"skipped: {error}\n")
    print(summary.line())
    return 1 if summary.errors else 0


def cmd_archive(args: argparse.Namespace) -> int:
    settings = load_settings()
    paths = [Path(p) for p in args.paths]
    # HTML-to-text in worker processes on every core, in order, while this process reads the
    # archives and publishes.  The pool's fork server imports the parsers while this process
    # does (the import is the first half second of a replay).
    pool = ParsePool(preload=("services.replay.sources",))
    try:
        from services.replay.sources import parse_records

        records = parse_records(paths, pool)
        return _report(asyncio.run(_publish(settings, records, args, " ".join(args.paths))))
    finally:
        pool.close()


def cmd_stored(args: argparse.Namespace) -> int:
    from services.replay.stored import stored_records

    settings = load_settings()
    records = stored_records(
        settings.database_url, since=args.since, until=args.until, source=args.source,
        extractor_version_below=args.extractor_version_below,
    )  # fmt: skip
    return _report(asyncio.run(_publish(settings, records, args, "stored")))


def cmd_offsets(args: argparse.Namespace) -> int:
    from services.replay.offsets import apply_rewind, plan_rewind, render_plan

    settings = load_settings()
    if not settings.kafka_bootstrap:
        raise ConfigError("INFRALEDGER_KAFKA_BOOTSTRAP: needed to rewind a consumer group")

    async def run() -> int:
        plan = await plan_rewind(settings, args.group, args.to_time)
        print(render_plan(args.group, plan))
        if not args.dry_run:
            await apply_rewind(settings, args.group, plan)
            print("applied")
        return 0

    return asyncio.run(run())


def _publishing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--alerts", action="store_true", help="deliver webhooks for its changes")
    parser.add_argument("--rate", type=float, default=None, help="articles per second at most")
    parser.add_argument("--dry-run", action="store_true", help="count what would be published")


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    replay = sub.add_parser("replay", help="push archived articles back through the pipeline")
    kinds = replay.add_subparsers(dest="kind", required=True, metavar="SOURCE")
    for name, text in (
        ("warc", "WARC / WARC.gz files (the crawler's own or third-party, e.g. CC-NEWS)"),
        ("jsonl", "JSON lines: {url, title?, published_at, lang?, text | html}"),
        ("seeds", "seed directories or manifests (seeds/seeds.yaml)"),
    ):
        parser = kinds.add_parser(name, help=text)
        parser.add_argument("paths", nargs="+", metavar="PATH")
        _publishing_options(parser)
        parser.set_defaults(func=cmd_archive)

    stored = kinds.add_parser("stored", help="re-publish stored articles (e.g. to re-extract)")
    stored.add_argument("--since", type=_parse_time)
    stored.add_argument("--until", type=_parse_time)
    stored.add_argument("--source")
    stored.add_argument("--extractor-version-below", metavar="V")
    _publishing_options(stored)
    stored.set_defaults(func=cmd_stored)

    offsets = kinds.add_parser("offsets", help="rewind a consumer group to a time")
    offsets.add_argument("--group", required=True)
    offsets.add_argument("--to-time", required=True, type=_parse_time)
    offsets.add_argument("--dry-run", action="store_true", help="print the plan only")
    offsets.set_defaults(func=cmd_offsets)
