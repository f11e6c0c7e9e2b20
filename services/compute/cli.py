"""``infraledger export`` and ``infraledger compute``: the ledger in files and in H100-equivalents.

- ``export --format csv|parquet|jsonl [--as-of DATE] [--output PATH]``: one row per commitment
  version (``schemas/export.v1.md``); CSV and JSON lines go to stdout unless ``--output``.
- ``compute [--by country|sector|vendor|status] [--as-of DATE] [--format table|json]``: the
  committed compute per group, totals counted once with their parts beneath them.

``--as-of 2025-10-31`` includes that whole day (UTC); a time (``2025-10-31T12:00+09:00``) cuts
there.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

from services.compute.aggregate import DIMENSIONS, aggregate
from services.compute.context import ComputeContext, load_context
from services.compute.export import export_rows, write_csv, write_jsonl, write_parquet
from services.compute.ledger_rows import LedgerVersion, read_versions
from services.compute.render import aggregates_table
from services.compute.view import compute_items, cutoff
from services.core.config import load_settings
from services.core.db import transaction
from services.core.migrate import migrated


def parse_as_of(text: str) -> date | datetime:
    """A date, however ISO 8601 spells it (``2025-10-31``, ``20251031``: the whole day), or an
    ISO time."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use e.g. 2025-10-31)") from exc


def _read_ledger() -> tuple[list[LedgerVersion], ComputeContext]:
    settings = load_settings()
    with migrated(settings.database_url) as factory, transaction(factory) as session:
        versions = read_versions(session)
    return versions, load_context(settings.organisations_file)


def cmd_export(args: argparse.Namespace) -> int:
    if args.format == "parquet" and args.output is None:
        sys.stderr.write("export: --format parquet needs --output PATH\n")
        return 2
    versions, ctx = _read_ledger()
    rows = export_rows(versions, ctx.parties, ctx.table, cutoff(args.as_of))
    if args.format == "parquet":
        write_parquet(rows, str(args.output))
        return 0
    write = write_csv if args.format == "csv" else write_jsonl
    if args.output is None:
        write(rows, sys.stdout)
    else:
        with Path(args.output).open("w", encoding="utf-8", newline="") as stream:
            write(rows, stream)
    return 0


def cmd_compute(args: argparse.Namespace) -> int:
    versions, ctx = _read_ledger()
    items = compute_items(versions, ctx.parties, ctx.table, cutoff(args.as_of))
    buckets = aggregate(items, args.by)
    if args.format == "json":
        payload = {
            "by": args.by,
            "as_of": args.as_of.isoformat() if args.as_of else None,
            "aggregates": [asdict(b) for b in buckets],
        }
        sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
        return 0
    sys.stdout.write(aggregates_table(buckets, items, args.by, args.as_of))
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    as_of_help = "only what was effective by DATE (a date includes the whole day, UTC)"
    export = subparsers.add_parser(
        "export", help="the ledger and its history as CSV, Parquet or JSON lines"
    )
    export.add_argument("--format", choices=["csv", "parquet", "jsonl"], required=True)
    export.add_argument("--as-of", type=parse_as_of, metavar="DATE", help=as_of_help)
    export.add_argument(
        "--output", type=Path, metavar="PATH", help="file to write (default: stdout; csv, jsonl)"
    )
    export.set_defaults(func=cmd_export)

    compute = subparsers.add_parser(
        "compute", help="committed compute in H100-equivalents by country, sector, vendor, status"
    )
    compute.add_argument("--by", choices=DIMENSIONS, default="country")
    compute.add_argument("--as-of", type=parse_as_of, metavar="DATE", help=as_of_help)
    compute.add_argument("--format", choices=["table", "json"], default="table")
    compute.set_defaults(func=cmd_compute)
