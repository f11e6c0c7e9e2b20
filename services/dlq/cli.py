"""``infraledger dlq list|show REF|retry REF...|--all``: inspect and re-drive dead letters."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json

from services.core.config import load_settings
from services.core.errors import ConfigError
from services.dlq.reader import (
    DeadLetterEntry,
    mark_retried,
    not_yet_retried,
    read_dead_letters,
    retried_up_to,
    retry,
)


def _entries() -> list[DeadLetterEntry]:
    settings = load_settings()
    if not settings.kafka_bootstrap:
        raise ConfigError("INFRALEDGER_KAFKA_BOOTSTRAP: needed to read dead-letter topics")
    return asyncio.run(read_dead_letters(settings))


def cmd_list(args: argparse.Namespace) -> int:
    entries = _entries()
    for entry in entries:
        origin = f"{entry.record.topic}:{entry.record.offset}" if entry.record else "?"
        print(f"{entry.ref:<40} from {origin:<32} {entry.reason[:100]}")
    print(f"{len(entries)} dead-lettered message(s)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    for entry in _entries():
        if entry.ref == args.ref:
            if entry.record is None:
                print(entry.raw.decode("utf-8", "replace"))
                return 0
            shown = entry.record.model_dump(mode="json")
            original = base64.b64decode(entry.record.value_b64)
            shown["value_preview"] = original[:2000].decode("utf-8", "replace")
            print(json.dumps(shown, indent=2, ensure_ascii=False))
            return 0
    print(f"no dead letter {args.ref}")
    return 1


def cmd_retry(args: argparse.Namespace) -> int:
    settings = load_settings()
    entries = _entries()
    if args.all:  # what an earlier --all sent is not sent again
        chosen = not_yet_retried(entries, asyncio.run(retried_up_to(settings)))
    else:
        chosen = [e for e in entries if e.ref in set(args.refs)]
    if not chosen:
        print("nothing to retry")
        return 1
    for entry in chosen:
        if entry.record is not None and not entry.redrivable:
            record = entry.record
            print(f"{entry.ref}: left out, its original was too large to copy; it is at "
                  f"{record.topic}:{record.partition}:{record.offset}")  # fmt: skip
    from services.core.kafka import kafka_publisher

    async def run() -> int:
        async with kafka_publisher(settings) as publisher:
            sent = await retry(chosen, publisher)
        if args.all:
            await mark_retried(settings, chosen)
        return sent

    print(f"re-published {asyncio.run(run())} message(s) to their original topics")
    return 0


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = sub.add_parser("dlq", help="inspect and re-drive dead-lettered messages")
    actions = dlq.add_subparsers(dest="action", required=True, metavar="ACTION")
    actions.add_parser("list", help="every dead-lettered message").set_defaults(func=cmd_list)
    show = actions.add_parser("show", help="one message: reason, headers, original bytes")
    show.add_argument("ref", help="topic:partition:offset as printed by list")
    show.set_defaults(func=cmd_show)
    again = actions.add_parser("retry", help="publish the originals back to their topics")
    again.add_argument("refs", nargs="*", metavar="REF")
    again.add_argument(
        "--all", action="store_true", help="every dead letter not re-driven by an earlier --all"
    )
    again.set_defaults(func=cmd_retry)
