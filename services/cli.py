"""The ``infraledger`` command line.

Service processes: ``up`` (everything), ``crawler``, ``extractor``, ``store``, ``alerts``, ``api``.
Tools: ``crawl``, ``extract``, ``ledger``, ``history``, ``changes``, ``facts``, ``webhooks``,
``replay``, ``dlq``, ``broker``, ``db``, ``schemas``, ``config``.  Every command reads the
``INFRALEDGER_*`` environment once and refuses to start with a clear message if it is invalid.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from services.core import logs
from services.core.config import Settings, load_settings
from services.core.errors import ConfigError, InfraledgerError


def _settings(service: str) -> Settings:
    settings = load_settings()
    logs.configure(service, settings.log_format, settings.log_level)
    return settings


# --------------------------------------------------------------------------- services


def cmd_up(args: argparse.Namespace) -> int:
    from services.up import up

    settings = _settings("up")
    return asyncio.run(
        up(settings, once=args.once, replay=[Path(p) for p in args.replay], alerts=args.alerts)
    )


async def _run_one(settings: Settings, service: str) -> int:
    from services.api.app import create_app, serve
    from services.runtime import running, stop_on_signals

    if not settings.kafka_bootstrap:
        raise ConfigError(
            "INFRALEDGER_KAFKA_BOOTSTRAP: required for a standalone service "
            "(`infraledger up` starts a local broker itself)"
        )
    stop = asyncio.Event()
    stop_on_signals(stop)
    services = () if service == "api" else (service,)
    async with running(settings, services, stop) as rt:
        if service == "api":
            app = create_app(rt.readiness, rt.engine, with_api=True, settings=settings)
            rt.spawn("api", serve(app, settings.api_port, stop, host="0.0.0.0"))
        elif settings.health_port is not None:
            app = create_app(rt.readiness, rt.engine, with_api=False)
            rt.spawn("health", serve(app, settings.health_port, stop, host="0.0.0.0"))
        await stop.wait()
    return 0


def cmd_service(args: argparse.Namespace) -> int:
    return asyncio.run(_run_one(_settings(args.command), args.command))


# --------------------------------------------------------------------------- operations


def cmd_broker(args: argparse.Namespace) -> int:
    from services.core.localkafka import LocalKafka, default_local, fetch_jars

    settings = _settings("broker")
    if args.action == "fetch":
        print(fetch_jars())
        return 0
    broker = (
        default_local(settings.data_dir, settings.partitions)
        if args.nodes == 1
        else LocalKafka(settings.data_dir / f"kafka-{args.nodes}", nodes_count=args.nodes,
                        partitions=settings.partitions, base_port=29090)
    )  # fmt: skip
    seconds = broker.start()
    print(f"INFRALEDGER_KAFKA_BOOTSTRAP={broker.bootstrap}  (ready in {seconds:.1f}s)")
    sys.stdout.flush()

    async def wait() -> None:
        from services.runtime import stop_on_signals

        stop = asyncio.Event()
        stop_on_signals(stop)
        await stop.wait()

    try:
        asyncio.run(wait())
    finally:
        broker.stop()
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from alembic.util import CommandError

    from services.core.migrate import UnknownSchema, current_revisions, downgrade, upgrade

    settings = _settings("db")
    if args.action == "downgrade" and not args.revision:
        print("db downgrade needs the revision to go back to (e.g. 0008, or base)", file=sys.stderr)
        return 2
    try:
        if args.action == "upgrade":
            upgrade(settings.database_url, args.revision or "head")
        else:
            downgrade(settings.database_url, args.revision)
    except (CommandError, UnknownSchema) as exc:  # an unknown or wrong-way revision
        print(f"db {args.action}: {exc}", file=sys.stderr)
        return 2
    at = ", ".join(current_revisions(settings.database_url)) or "base"
    print(f"database is at revision {at}")
    return 0


def cmd_schemas(args: argparse.Namespace) -> int:
    from services.core.schemas import export

    for path in export():
        print(path)
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    settings = _settings("config")
    print(json.dumps(settings.masked(), indent=2, ensure_ascii=False, default=str))
    return 0


# --------------------------------------------------------------------------- parser


TOOLS: Final[Mapping[str, tuple[str, ...]]] = {
    "services.crawler.cli": ("crawl",),
    "services.extractor.cli": ("extract",),
    "services.store.cli": ("ledger", "history", "changes", "facts"),
    "services.alerts.cli": ("webhooks",),
    "services.replay.cli": ("replay",),
    "services.dlq.cli": ("dlq",),
    "services.compute.cli": ("export", "compute"),
}
"""The tools' command-line modules (each with an ``add_commands``) and the commands each adds.
Only the module of the command being run is imported: all of them (trafilatura, alembic, the
compute view, …) took ≈0.9 s before every command and service started."""

_TOOL_COMMANDS: Final = frozenset(name for names in TOOLS.values() for name in names)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command``: every service and operation command, and of the tools' only
    those of ``command``'s module (all of them when ``command`` is None or unknown, so that
    ``--help`` and a mistyped command list every command)."""
    parser = argparse.ArgumentParser(
        prog="infraledger",
        description="AI-infrastructure commitments from the news, as a ledger with alerts.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser("up", help="run every service in one process (starts Kafka if needed)")
    up.add_argument("--once", action="store_true", help="replay, wait, print the ledger, exit")
    up.add_argument("--replay", nargs="+", default=[], metavar="PATH",
                    help="archives to replay instead of seeds/ (WARC, JSON lines, seeds.yaml)")
    up.add_argument("--alerts", action="store_true",
                    help="deliver webhooks for the replayed changes and wait until settled")
    up.set_defaults(func=cmd_up)

    for name, text in (
        ("crawler", "poll the configured sources and publish new articles"),
        ("extractor", "consume articles.v1, publish facts.v1"),
        ("store", "consume facts.v1 into the ledger, relay ledger.changes.v1"),
        ("alerts", "consume ledger.changes.v1, deliver webhooks"),
        ("api", "serve the HTTP API and the dashboard"),
    ):
        sub.add_parser(name, help=text).set_defaults(func=cmd_service)

    broker = sub.add_parser("broker", help="a local Apache Kafka from Maven Central jars")
    broker.add_argument("action", choices=["fetch", "run"])
    broker.add_argument("--nodes", type=int, default=1, choices=[1, 3])
    broker.set_defaults(func=cmd_broker)

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade"])
    db.add_argument("revision", nargs="?", help="upgrade: default the newest; downgrade: required")
    db.set_defaults(func=cmd_db)

    schemas = sub.add_parser("schemas", help="message contracts")
    schemas.add_argument("action", choices=["export"])
    schemas.set_defaults(func=cmd_schemas)

    config = sub.add_parser("config", help="the effective configuration")
    config.add_argument("action", choices=["show"])
    config.set_defaults(func=cmd_config)

    known = command in sub.choices or command in _TOOL_COMMANDS
    for module, names in TOOLS.items():
        if not known or command in names:
            importlib.import_module(module).add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((arg for arg in argv if not arg.startswith("-")), None)
    args = build_parser(command).parse_args(argv)
    try:
        code: int = args.func(args)
        return code
    except ConfigError as exc:
        sys.stderr.write(f"infraledger: {exc}\n")
        return 2
    except InfraledgerError as exc:
        sys.stderr.write(f"infraledger: {type(exc).__name__}: {exc}\n")
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
