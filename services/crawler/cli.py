"""``infraledger crawl [--once] [--sources FILE] [--emit kafka|jsonl] [--explain]``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from services.core.bus import Outgoing, Publisher
from services.core.config import load_settings
from services.core.errors import InfraledgerError
from services.crawler.crawler import CrawlStats, Decision, run_crawler
from services.crawler.relevance import load_rules, rules_from_environment


class JsonlPublisher:
    """Prints each article value as one JSON line instead of publishing it."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def publish_many(self, messages: Sequence[Outgoing]) -> None:
        for message in messages:
            self.out.write(message.value.decode("utf-8") + "\n")
        self.out.flush()


def _explain(decision: Decision) -> None:
    line = f"[{decision.outcome}] {decision.source} {decision.url}"
    if decision.detail:
        line += f" {decision.detail}"
    if decision.verdict is not None:
        line += f"\n    {decision.verdict.explain()}"
    print(line, file=sys.stderr, flush=True)


async def _crawl(args: argparse.Namespace) -> CrawlStats:
    overrides = {"sources": Path(args.sources)} if args.sources else {}
    settings = load_settings(**overrides)
    rules = load_rules([Path(args.relevance)]) if args.relevance else rules_from_environment()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    explain = _explain if args.explain else None
    if args.emit == "jsonl":
        publisher: Publisher = JsonlPublisher(sys.stdout)
        return await run_crawler(
            settings, publisher, stop, once=args.once, rules=rules, explain=explain
        )
    from services.core.kafka import kafka_publisher  # type: ignore[import-not-found,unused-ignore]

    async with kafka_publisher(settings) as kafka:
        return await run_crawler(
            settings, kafka, stop, once=args.once, rules=rules, explain=explain
        )


def crawl_command(args: argparse.Namespace) -> int:
    try:
        stats = asyncio.run(_crawl(args))
    except InfraledgerError as exc:
        print(f"infraledger crawl: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(stats.as_dict(), sort_keys=True), file=sys.stderr)
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    crawl = subparsers.add_parser(
        "crawl",
        help="discover and publish new AI-infrastructure articles",
        description="Poll the configured sources and publish new relevant articles once.",
    )
    crawl.add_argument("--once", action="store_true", help="poll every source once and exit")
    crawl.add_argument("--sources", metavar="FILE", help="sources YAML (INFRALEDGER_SOURCES)")
    crawl.add_argument(
        "--emit",
        choices=("kafka", "jsonl"),
        default="kafka",
        help="publish to Kafka (default) or print articles as JSON lines on stdout",
    )
    crawl.add_argument(
        "--explain",
        action="store_true",
        help="print each URL's outcome and relevance reasons on stderr",
    )
    crawl.add_argument(
        "--relevance",
        metavar="FILE",
        help="extra relevance rules merged over the built-in ones (INFRALEDGER_RELEVANCE_FILE)",
    )
    crawl.set_defaults(func=crawl_command)
