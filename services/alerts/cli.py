"""``infraledger webhooks …``: manage webhook subscriptions and inspect their deliveries."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from services.alerts import repository
from services.alerts.matching import ALL_KINDS, make_filter
from services.alerts.service import send_test
from services.core.config import Settings, load_settings, parse_duration
from services.core.db import transaction, utcnow
from services.core.migrate import migrated

T = TypeVar("T")


def _with_session(work: Callable[[Session, Settings], T]) -> T:
    settings = load_settings()
    with migrated(settings.database_url) as factory, transaction(factory) as session:
        return work(session, settings)


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")


def parse_since(text: str, now: datetime) -> datetime:
    """An ISO 8601 time (UTC if no offset) or a duration ago (``2h``, ``3d``)."""
    try:
        return now - timedelta(seconds=parse_duration(text))
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"not a time: {text!r} (use e.g. 2026-03-01T09:00Z or 2h)"
        ) from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _endpoint_line(e: repository.EndpointView) -> str:
    filters = ",".join(e.kinds)
    if e.orgs:
        filters += " orgs=" + ",".join(e.orgs)
    if e.min_delta_pct is not None:
        filters += f" min-delta={e.min_delta_pct:g}%"
    state = e.status if e.disabled_reason is None else f"{e.status} ({e.disabled_reason})"
    return f"{e.id}  {state}  {e.url}  {filters}"


def _delivery_line(d: repository.DeliveryView) -> str:
    last = d.last_status if d.last_status is not None else (d.last_error or "-")
    return f"{d.id}  {d.state:<9}  attempts={d.attempts}  last={last}  event={d.event_id}"


def cmd_add(args: argparse.Namespace) -> int:
    def work(session: Session, settings: Settings) -> tuple[repository.EndpointView, str]:
        rule = make_filter(args.kinds, args.org or (), args.min_delta_pct)
        return repository.create_endpoint(
            session, args.url, rule, utcnow(), settings.allow_networks
        )

    endpoint, secret = _with_session(work)
    print(_endpoint_line(endpoint))
    print(f"secret: {secret}")
    print("Store the secret now: it is not shown again (rotate-secret makes a new one).")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    endpoints = _with_session(lambda s, _: repository.list_endpoints(s))
    if args.json:
        _print_json([e.as_dict() for e in endpoints])
    else:
        print("\n".join(_endpoint_line(endpoint) for endpoint in endpoints) or "(none)")
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    _print_json(_with_session(lambda s, _: repository.get_endpoint(s, args.id)).as_dict())
    return 0


def cmd_disable(args: argparse.Namespace) -> int:
    endpoint = _with_session(lambda s, _: repository.disable_endpoint(s, args.id, utcnow()))
    print(_endpoint_line(endpoint))
    return 0


def cmd_enable(args: argparse.Namespace) -> int:
    endpoint = _with_session(lambda s, _: repository.enable_endpoint(s, args.id, utcnow()))
    print(_endpoint_line(endpoint))
    return 0


def cmd_rotate_secret(args: argparse.Namespace) -> int:
    grace = timedelta(seconds=parse_duration(args.grace))
    endpoint, secret = _with_session(
        lambda s, _: repository.rotate_secret(
            s, args.id, utcnow(), grace, args.replace_previous
        )
    )
    print(f"secret: {secret}")
    if endpoint.previous_secret_expires_at is not None:
        until = endpoint.previous_secret_expires_at.isoformat()
        print(f"The previous secret also signs until {until}.")
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    settings = load_settings()
    with migrated(settings.database_url) as factory:
        delivery, attempts = asyncio.run(send_test(factory, settings, args.id))
    _print_json({**delivery.as_dict(), "attempt_log": [a.as_dict() for a in attempts]})
    return 0 if delivery.state == "delivered" else 1


def cmd_deliveries(args: argparse.Namespace) -> int:
    rows = _with_session(
        lambda s, _: repository.list_deliveries(s, args.id, args.failed, args.limit)
    )
    if args.json:
        _print_json([d.as_dict() for d in rows])
    else:
        print("\n".join(_delivery_line(row) for row in rows) or "(none)")
    return 0


def cmd_attempts(args: argparse.Namespace) -> int:
    delivery, attempts = _with_session(lambda s, _: repository.get_delivery(s, args.id))
    _print_json({**delivery.as_dict(), "attempt_log": [a.as_dict() for a in attempts]})
    return 0


def cmd_redeliver(args: argparse.Namespace) -> int:
    if (args.id is None) == (args.since is None):
        sys.stderr.write("infraledger: give either a DELIVERY_ID or --since T\n")
        return 2
    if args.id is not None:
        row = _with_session(lambda s, _: repository.redeliver(s, args.id, utcnow()))
        print(_delivery_line(row))
        return 0
    now = utcnow()
    since = parse_since(args.since, now)
    count = _with_session(
        lambda s, _: repository.redeliver_failed_since(s, since, now, args.endpoint)
    )
    print(f"queued {count} failed deliveries created since {since.isoformat()}")
    return 0


def _kinds(text: str) -> list[str]:
    return [k for k in text.split(",") if k.strip()]


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    group = subparsers.add_parser(
        "webhooks",
        help="webhook subscriptions and their deliveries",
        description="Subscribe URLs to ledger changes; deliveries follow Standard Webhooks.",
    )
    sub = group.add_subparsers(dest="webhooks_command", required=True, metavar="COMMAND")

    def command(
        name: str, func: Callable[[argparse.Namespace], int], text: str
    ) -> argparse.ArgumentParser:
        parser = sub.add_parser(name, help=text)
        parser.set_defaults(func=func)
        return parser

    add = command("add", cmd_add, "subscribe a URL (prints its secret once)")
    add.add_argument("url")
    add.add_argument(
        "--kinds",
        type=_kinds,
        help=f"comma-separated, of {','.join(sorted(ALL_KINDS))} (default: all but reaffirmed)",
    )
    add.add_argument(
        "--org", action="append", help="only changes involving this organisation (repeatable)"
    )
    add.add_argument(
        "--min-delta-pct", type=float, help="only changes of at least N percent (when measured)"
    )

    command("list", cmd_list, "list endpoints").add_argument(
        "--json", action="store_true", help="print JSON"
    )
    command("show", cmd_show, "one endpoint, as JSON").add_argument("id", metavar="ID")
    command("disable", cmd_disable, "stop delivering (queued deliveries fail)").add_argument(
        "id", metavar="ID"
    )
    command("enable", cmd_enable, "resume delivering").add_argument("id", metavar="ID")
    rotate = command("rotate-secret", cmd_rotate_secret, "new secret, old one valid --grace")
    rotate.add_argument("id", metavar="ID")
    rotate.add_argument("--grace", default="24h", help="how long the old secret also signs")
    rotate.add_argument(
        "--replace-previous",
        action="store_true",
        help="end a previous secret still signing from an earlier rotation (else refused)",
    )
    command("test", cmd_test, "send a webhook.test event now").add_argument("id", metavar="ID")
    deliveries = command("deliveries", cmd_deliveries, "recent deliveries of an endpoint")
    deliveries.add_argument("id", metavar="ID")
    deliveries.add_argument("--failed", action="store_true", help="failed ones only")
    deliveries.add_argument("--limit", type=int, default=50)
    deliveries.add_argument("--json", action="store_true", help="print JSON")
    command("attempts", cmd_attempts, "one delivery with its attempt log").add_argument(
        "id", metavar="DELIVERY_ID"
    )

    redeliver = command(
        "redeliver", cmd_redeliver, "send a delivery again, or every failed one since a time"
    )
    redeliver.add_argument("id", nargs="?", metavar="DELIVERY_ID")
    redeliver.add_argument("--since", metavar="T", help="ISO time or a duration ago (2h)")
    redeliver.add_argument("--endpoint", metavar="ID", help="with --since: one endpoint only")
