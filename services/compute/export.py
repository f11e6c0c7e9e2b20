"""``infraledger export``: the ledger and its history as CSV, Parquet or JSON lines.

One row per commitment version effective before the as-of time, with the conversions of that
version and its evidence.  The columns (:data:`COLUMNS`) are the same, in the same order, in
every format, and documented in ``schemas/export.v1.md``; a new column is only ever appended.
Empty values are null (never ``""``), so CSV and Parquet read back to equal tables.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any, Literal

from services.compute.accelerators import AcceleratorTable
from services.compute.convert import Range
from services.compute.ledger_rows import LedgerVersion
from services.compute.view import Parties, as_of, describe, is_compute, parts_of_totals

Format = Literal["csv", "parquet", "jsonl"]
ColumnType = Literal["string", "int", "float", "bool", "timestamp"]
LIST_SEPARATOR = "; "


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType


COLUMNS: tuple[Column, ...] = (
    Column("key", "string"),
    Column("seq", "int"),
    Column("kind", "string"),
    Column("is_latest", "bool"),
    Column("type", "string"),
    Column("subject_id", "string"),
    Column("subject_name", "string"),
    Column("counterparty_id", "string"),
    Column("counterparty_name", "string"),
    Column("scope", "string"),
    Column("owner_id", "string"),
    Column("country", "string"),
    Column("sector", "string"),
    Column("vendor", "string"),
    Column("status", "string"),
    Column("quantity_value", "float"),
    Column("quantity_unit", "string"),
    Column("quantity_qualifier", "string"),
    Column("quantity_text", "string"),
    Column("gpu_model", "string"),
    Column("products", "string"),
    Column("timeframe_text", "string"),
    Column("timeframe_start", "string"),
    Column("timeframe_end", "string"),
    Column("basis", "string"),
    Column("chip", "string"),
    Column("gpus_low", "float"),
    Column("gpus_high", "float"),
    Column("h100e_low", "float"),
    Column("h100e_high", "float"),
    Column("bf16_flops_low", "float"),
    Column("bf16_flops_high", "float"),
    Column("it_power_mw_low", "float"),
    Column("it_power_mw_high", "float"),
    Column("flags", "string"),
    Column("part_of", "string"),
    Column("effective_at", "timestamp"),
    Column("recorded_at", "timestamp"),
    Column("sources", "string"),
    Column("evidence_url", "string"),
    Column("evidence_title", "string"),
    Column("evidence_source", "string"),
    Column("evidence_sentence", "string"),
    Column("article_id", "string"),
)


def arrow_schema() -> Any:
    """:data:`COLUMNS` as a ``pyarrow.Schema`` (pyarrow is imported only for Parquet)."""
    import pyarrow as pa  # type: ignore[import-untyped]

    types = {
        "string": pa.string(),
        "int": pa.int64(),
        "float": pa.float64(),
        "bool": pa.bool_(),
        "timestamp": pa.timestamp("us", tz="UTC"),
    }
    return pa.schema([pa.field(c.name, types[c.type]) for c in COLUMNS])


Row = dict[str, Any]


def _joined(values: Sequence[str]) -> str | None:
    return LIST_SEPARATOR.join(values) or None


def _bounds(prefix: str, value: Range | None) -> Row:
    return {
        f"{prefix}_low": value.low if value else None,
        f"{prefix}_high": value.high if value else None,
    }


def export_rows(
    versions: Iterable[LedgerVersion],
    parties: Parties,
    table: AcceleratorTable,
    before: datetime | None = None,
) -> list[Row]:
    """One row per version effective before ``before`` (all when None), by key and version.

    ``is_latest`` marks the version in force at ``before``; ``part_of`` is set on those only
    (which total a commitment is a part of is a property of one moment of the ledger).
    """
    effective = [v for v in versions if before is None or v.effective_at < before]
    snapshot = as_of(effective, None)
    latest = {(v.key, v.seq) for v in snapshot}
    part_of = parts_of_totals([v for v in snapshot if is_compute(v)], parties.members)
    rows = []
    for version in sorted(effective, key=lambda v: (v.key, v.seq)):
        is_latest = (version.key, version.seq) in latest
        item = describe(version, parties, table, part_of if is_latest else {})
        quantity, timeframe, evidence = item.quantity, version.state.timeframe, version.evidence
        conversion = item.conversion
        row: Row = {
            "key": item.key,
            "seq": item.seq,
            "kind": item.kind,
            "is_latest": is_latest,
            "type": item.type,
            "subject_id": item.subject.id,
            "subject_name": item.subject.name,
            "counterparty_id": item.counterparty.id if item.counterparty else None,
            "counterparty_name": item.counterparty.name if item.counterparty else None,
            "scope": item.scope,
            "owner_id": item.owner.id,
            "country": item.country,
            "sector": item.sector,
            "vendor": item.vendor,
            "status": item.status,
            "quantity_value": quantity.value if quantity else None,
            "quantity_unit": quantity.unit if quantity else None,
            "quantity_qualifier": quantity.qualifier if quantity else None,
            "quantity_text": quantity.text if quantity else None,
            "gpu_model": item.gpu_model,
            "products": _joined(version.state.products),
            "timeframe_text": timeframe.text if timeframe else None,
            "timeframe_start": timeframe.start if timeframe else None,
            "timeframe_end": timeframe.end if timeframe else None,
            "basis": conversion.basis,
            "chip": conversion.chip,
            **_bounds("gpus", conversion.gpus),
            **_bounds("h100e", conversion.h100e),
            **_bounds("bf16_flops", conversion.bf16_flops),
            **_bounds("it_power_mw", conversion.it_power_mw),
            "flags": _joined(conversion.flags),
            "part_of": item.part_of,
            "effective_at": version.effective_at,
            "recorded_at": version.recorded_at,
            "sources": _joined(version.sources),
            "evidence_url": evidence.url,
            "evidence_title": evidence.title,
            "evidence_source": evidence.source,
            "evidence_sentence": evidence.sentence,
            "article_id": evidence.article_id,
        }
        rows.append({c.name: (None if row[c.name] == "" else row[c.name]) for c in COLUMNS})
    return rows


def _text(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What a spreadsheet may read as the start of a formula in a text cell (OWASP, CSV injection)."""


def inert(text: str) -> str:
    """``text`` as a CSV cell a spreadsheet shows as text: a leading apostrophe when it begins
    like a formula — the scraped titles and sentences are written by strangers."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: Any, column: Column) -> Any:
    if value is True or value is False:
        return "true" if value else "false"
    return inert(value) if column.type == "string" and isinstance(value, str) else _text(value)


def write_csv(rows: Iterable[Row], stream: IO[str]) -> None:
    """A header line of :data:`COLUMNS`, then one line per row (null → empty field; text that
    begins like a formula behind an apostrophe, see :func:`inert`)."""
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow([c.name for c in COLUMNS])
    for row in rows:
        writer.writerow([_cell(row[c.name], c) for c in COLUMNS])


def write_jsonl(rows: Iterable[Row], stream: IO[str]) -> None:
    """One JSON object per row, keys in :data:`COLUMNS` order, times in ISO 8601."""
    for row in rows:
        record = {c.name: _text(row[c.name]) for c in COLUMNS}
        stream.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_parquet(rows: Sequence[Row], sink: str | IO[bytes]) -> None:
    """A Parquet file with :func:`arrow_schema` (timestamps in microseconds, UTC)."""
    import pyarrow as pa
    import pyarrow.parquet as pq  # type: ignore[import-untyped]

    pq.write_table(pa.Table.from_pylist(list(rows), schema=arrow_schema()), sink)
