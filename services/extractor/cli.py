"""``infraledger extract [--lang ko|en|auto] [--format jsonl|table] [FILE|-]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from services.core.models import FactV1
from services.extractor.errors import ExtractorError
from services.extractor.extract import detect_language, extract
from services.extractor.input import read_document

_COLUMNS = (
    "type", "subject", "counterparty", "quantity", "qualifier", "model", "status", "evidence"
)
_EVIDENCE_WIDTH = 60


def _quantity(fact: FactV1) -> str:
    q = fact.quantity
    if q is None:
        return ""
    if q.value is None:
        return f"? {q.unit}"
    return f"{q.value:,.10g} {q.unit}"


def _row(fact: FactV1) -> tuple[str, ...]:
    evidence = " ".join(fact.evidence.sentence.split())
    if len(evidence) > _EVIDENCE_WIDTH:
        evidence = evidence[: _EVIDENCE_WIDTH - 1] + "…"
    return (
        fact.type,
        fact.subject.name,
        fact.counterparty.name if fact.counterparty else "",
        _quantity(fact),
        fact.quantity.qualifier if fact.quantity else "",
        fact.gpu_model or ", ".join(fact.products),
        fact.status,
        evidence,
    )


def _width(text: str) -> int:
    """Display width: East Asian wide characters take two columns."""
    return sum(2 if "\u1100" <= c <= "\u115f" or "\u2e80" <= c <= "\ua4cf"
               or "\uac00" <= c <= "\ud7a3" or "\uff00" <= c <= "\uff60" else 1 for c in text)


def format_table(facts: Sequence[FactV1]) -> str:
    rows = [_COLUMNS, *(_row(f) for f in facts)]
    widths = [max(_width(row[i]) for row in rows) for i in range(len(_COLUMNS))]
    lines = [
        "  ".join(cell + " " * (widths[i] - _width(cell)) for i, cell in enumerate(row)).rstrip()
        for row in rows
    ]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]])


def run(args: argparse.Namespace, stdout: TextIO | None = None) -> int:
    out = stdout or sys.stdout
    try:
        if args.file == "-":
            raw = sys.stdin.read()
        else:
            raw = Path(args.file).read_text(encoding="utf-8", errors="replace")
        document = read_document(raw)
    except (OSError, ExtractorError) as exc:
        print(f"infraledger extract: {exc}", file=sys.stderr)
        return 2
    lang = args.lang if args.lang != "auto" else (document.lang or detect_language(document.text))
    facts = extract(document.text, lang=lang, title=document.title)
    if args.format == "jsonl":
        for fact in facts:
            out.write(fact.model_dump_json() + "\n")
    else:
        out.write(format_table(facts) + "\n")
    return 0


def add_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``extract`` to the top-level ``infraledger`` command."""
    parser = subparsers.add_parser(
        "extract",
        help="print the commitment facts of one article",
        description="Read one article (plain text, HTML or an articles.v1 JSON message) and "
        "print its facts.",
    )
    parser.add_argument("--lang", choices=("ko", "en", "auto"), default="auto")
    parser.add_argument("--format", choices=("jsonl", "table"), default="table")
    parser.add_argument("file", nargs="?", default="-", metavar="FILE|-")
    parser.set_defaults(func=run)
