"""``infraledger ledger | history | changes | facts``: the ledger for people and for programs.

``--format json`` / ``jsonl`` print the same models as the HTTP API; ``changes --format jsonl``
prints one ``ChangeV1`` per line, exactly as published on ``ledger.changes.v1``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar, get_args

from sqlalchemy.orm import Session

from services.core.config import load_settings
from services.core.db import transaction
from services.core.migrate import migrated
from services.core.models import ChangeKind, ChangeV1
from services.store import queries, render
from services.store.directory import Directory, load_directory

T = TypeVar("T")
KINDS: tuple[str, ...] = get_args(ChangeKind)
TYPES = ("gpu_commitment", "investment", "partnership", "supply")


def _with_session(work: Callable[[Session, Directory], T]) -> T:
    settings = load_settings()
    directory = load_directory(settings.organisations_file)
    with migrated(settings.database_url) as factory, transaction(factory) as session:
        return work(session, directory)


def _write(text: str) -> None:
    sys.stdout.write(text + "\n")


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)


def _orgs(session: Session, directory: Directory, org: str | None) -> set[str] | None:
    return None if org is None else queries.resolve_org(session, org, directory)


def render_ledger(
    session: Session, *, org: str | None = None, directory: Directory | None = None
) -> str:
    """The ledger as a table, with disputes and totals (what ``infraledger ledger`` prints)."""
    directory = directory or load_directory()
    org_ids = _orgs(session, directory, org)
    rows = queries.all_pages(
        lambda cursor: queries.commitments(session, org_ids=org_ids, cursor=cursor)
    )
    return render.ledger(rows, queries.totals(session, directory, org_ids=org_ids))


def cmd_ledger(args: argparse.Namespace) -> int:
    def work(session: Session, directory: Directory) -> str:
        if args.format == "table":
            return render_ledger(session, org=args.org, directory=directory)
        org_ids = _orgs(session, directory, args.org)
        rows = queries.all_pages(lambda c: queries.commitments(session, org_ids=org_ids, cursor=c))
        totals = queries.totals(session, directory, org_ids=org_ids)
        return _json(
            {
                "commitments": [r.model_dump(mode="json") for r in rows],
                "totals": [t.model_dump(mode="json") for t in totals],
            }
        )

    _write(_with_session(work))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    def work(session: Session, directory: Directory) -> tuple[int, str]:
        org_ids = queries.resolve_org(session, args.org, directory)
        if not org_ids:
            return 1, f"unknown organisation: {args.org}"
        versions = queries.history(session, org_ids=org_ids, type=args.type)
        if args.format == "json":
            return 0, _json([v.model_dump(mode="json") for v in versions])
        return 0, render.history(versions)

    code, text = _with_session(work)
    (_write if code == 0 else lambda t: sys.stderr.write(t + "\n"))(text)
    return code


def parse_date(text: str) -> datetime:
    """An ISO date or time; UTC unless it says otherwise."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use e.g. 2025-10-01)") from exc
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def cmd_changes(args: argparse.Namespace) -> int:
    def work(session: Session, directory: Directory) -> list[ChangeV1]:
        org_ids = _orgs(session, directory, args.org)
        return queries.all_pages(
            lambda cursor: queries.changes(
                session,
                since=args.since,
                kind=args.kind,
                org_ids=org_ids,
                type=args.type,
                cursor=cursor,
            )
        )

    items = _with_session(work)
    if args.format == "jsonl":
        for change in items:
            _write(change.model_dump_json())
    else:
        _write(render.changes(items))
    return 0


def cmd_facts(args: argparse.Namespace) -> int:
    found = _with_session(lambda session, _: queries.article_facts(session, url=args.article))
    if found is None:
        sys.stderr.write(f"no such article in the ledger: {args.article}\n")
        return 1
    _write(
        _json(found.model_dump(mode="json"))
        if args.format == "json"
        else render.article_facts(found)
    )
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ledger = subparsers.add_parser("ledger", help="what each organisation has committed")
    ledger.add_argument("--org", help="an organisation: id, name or alias (삼성전자, Samsung)")
    ledger.add_argument("--format", choices=["table", "json"], default="table")
    ledger.set_defaults(func=cmd_ledger)

    history = subparsers.add_parser(
        "history", help="every version of an organisation's commitments"
    )
    history.add_argument("org", metavar="ORG", help="an organisation: id, name or alias")
    history.add_argument("--type", choices=TYPES)
    history.add_argument("--format", choices=["table", "json"], default="table")
    history.set_defaults(func=cmd_history)

    changes = subparsers.add_parser("changes", help="the change log (ledger.changes.v1)")
    changes.add_argument(
        "--since", type=parse_date, metavar="DATE", help="effective at or after DATE (UTC)"
    )
    changes.add_argument("--kind", choices=KINDS)
    changes.add_argument("--org", help="an organisation: id, name or alias")
    changes.add_argument("--type", choices=TYPES)
    changes.add_argument("--format", choices=["table", "jsonl"], default="table")
    changes.set_defaults(func=cmd_changes)

    facts = subparsers.add_parser("facts", help="the facts extracted from one article")
    facts.add_argument("--article", required=True, metavar="URL", help="the article's URL")
    facts.add_argument("--format", choices=["table", "json"], default="table")
    facts.set_defaults(func=cmd_facts)
