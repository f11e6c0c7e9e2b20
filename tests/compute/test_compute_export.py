"""``infraledger export``: one row per commitment version, the same in CSV, Parquet and JSONL."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from compute_helpers import Ledger, gpu_fact, news, seed_extractions

from services.compute.cli import add_commands, parse_as_of
from services.compute.context import ComputeContext
from services.compute.export import (
    COLUMNS,
    arrow_schema,
    export_rows,
    inert,
    write_csv,
    write_jsonl,
    write_parquet,
)
from services.compute.view import cutoff

SCHEMA_DOC = Path(__file__).resolve().parents[2] / "schemas" / "export.v1.md"
SAMSUNG = "gpu_commitment|samsung-electronics|nvidia|gpu|-"


@pytest.fixture
def history(ledger: Ledger) -> Ledger:
    """The seed, then Samsung raising its order two months later (a second version)."""
    ledger.record(*seed_extractions())
    ledger.record(
        news("samsung-raise", datetime(2026, 1, 5, tzinfo=UTC),
             gpu_fact(80_000, model="B200", sentence="Samsung raises its order to 80,000 B200.")),
    )  # fmt: skip
    return ledger


def test_csv_and_parquet_read_back_equal_to_the_exported_rows(
    history: Ledger, compute: ComputeContext, tmp_path: Path
) -> None:
    rows = export_rows(history.versions(), compute.parties, compute.table)
    assert [tuple(row) for row in rows[:1]] == [tuple(c.name for c in COLUMNS)]
    csv_path, parquet_path = tmp_path / "ledger.csv", tmp_path / "ledger.parquet"
    with csv_path.open("w", encoding="utf-8", newline="") as stream:
        write_csv(rows, stream)
    write_parquet(rows, str(parquet_path))

    from_parquet = pq.read_table(parquet_path)
    from_csv = pacsv.read_csv(
        csv_path,
        convert_options=pacsv.ConvertOptions(column_types=arrow_schema(), strings_can_be_null=True),
    )
    assert from_parquet.schema.equals(arrow_schema())
    assert from_csv.equals(from_parquet)
    assert from_parquet.to_pylist() == rows


def test_text_that_begins_like_a_formula_is_inert_in_csv_and_unchanged_elsewhere(
    ledger: Ledger, compute: ComputeContext
) -> None:
    hostile = '=HYPERLINK("http://evil.example","Samsung will deploy 50,000 NVIDIA GPUs")'
    ledger.record(
        news("hostile", datetime(2025, 10, 30, tzinfo=UTC), gpu_fact(50_000, sentence=hostile))
    )
    rows = export_rows(ledger.versions(), compute.parties, compute.table)
    csv_text, jsonl_text = io.StringIO(), io.StringIO()
    write_csv(rows, csv_text)
    write_jsonl(rows, jsonl_text)

    [line] = list(csv.DictReader(io.StringIO(csv_text.getvalue())))
    assert line["evidence_sentence"] == "'" + hostile
    assert line["quantity_value"] == "50000.0"  # numbers are not text: no apostrophe
    assert json.loads(jsonl_text.getvalue())["evidence_sentence"] == hostile
    assert [inert(t) for t in ("+1", "-x", "@a", "\tx", "plain", "")] == [
        "'+1", "'-x", "'@a", "'\tx", "plain", ""
    ]  # fmt: skip


def test_one_row_per_version_with_its_evidence_and_the_latest_marked(
    history: Ledger, compute: ComputeContext
) -> None:
    rows = export_rows(history.versions(), compute.parties, compute.table)
    samsung = [r for r in rows if r["key"] == SAMSUNG]
    assert [(r["kind"], r["quantity_value"], r["is_latest"]) for r in samsung] == [
        ("new", 50_000, False),
        ("increased", 80_000, True),
    ]
    first, latest = samsung
    assert first["evidence_url"] == "https://news.example.kr/article/579068ff91aef37f"
    assert first["basis"] == "none" and "GPU model not stated" in first["flags"]
    assert latest["evidence_url"] == "https://news.example/samsung-raise"
    assert latest["chip"] == "B200" and latest["h100e_low"] == pytest.approx(80_000 * 2250 / 989.4)
    assert latest["part_of"] == "supply|nvidia|korea|gpu|-"
    assert all(r["evidence_url"] for r in rows)
    investment = next(r for r in rows if r["type"] == "investment")
    assert (investment["quantity_unit"], investment["basis"], investment["h100e_low"]) == (
        "USD", "none", None
    )  # fmt: skip


def test_as_of_leaves_out_what_was_published_later(
    history: Ledger, compute: ComputeContext
) -> None:
    before_raise = export_rows(
        history.versions(), compute.parties, compute.table, cutoff(date(2025, 12, 31))
    )
    samsung = [r for r in before_raise if r["key"] == SAMSUNG]
    assert [(r["kind"], r["is_latest"]) for r in samsung] == [("new", True)]
    assert not any(r["effective_at"] >= datetime(2026, 1, 1, tzinfo=UTC) for r in before_raise)


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("2025-10-31", datetime(2025, 11, 1, tzinfo=UTC)),
        ("20251031", datetime(2025, 11, 1, tzinfo=UTC)),  # the same day, spelt the basic way
        ("2025-10-31T12:00", datetime(2025, 10, 31, 12, tzinfo=UTC)),
        ("2025-10-31T12:00+09:00", datetime(2025, 10, 31, 3, tzinfo=UTC)),
        ("9999-12-31", None),  # the last day there is: everything
    ],
)
def test_as_of_is_a_whole_day_however_the_date_is_spelt(text: str, end: datetime | None) -> None:
    assert cutoff(parse_as_of(text)) == end


def test_an_as_of_that_is_no_date_is_refused() -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="not a date"):
        parse_as_of("last tuesday")


def test_jsonl_has_the_same_columns_in_the_same_order(
    history: Ledger, compute: ComputeContext
) -> None:
    rows = export_rows(history.versions(), compute.parties, compute.table)
    stream = io.StringIO()
    write_jsonl(rows, stream)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(records) == len(rows)
    assert all(list(r) == [c.name for c in COLUMNS] for r in records)
    assert records[0]["effective_at"] == rows[0]["effective_at"].isoformat()


def test_the_schema_document_lists_every_column_in_order() -> None:
    documented = re.findall(r"^\| `(\w+)` \| (\w+) \|", SCHEMA_DOC.read_text(), flags=re.M)
    assert documented == [(c.name, c.type) for c in COLUMNS]


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="infraledger")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_the_export_and_compute_commands(
    history: Ledger,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("INFRALEDGER_DATABASE_URL", db_url)
    target = tmp_path / "out.parquet"
    as_of = ("--as-of", "2025-12-31")
    assert _run("export", "--format", "parquet", *as_of, "--output", str(target)) == 0
    assert {r["key"] for r in pq.read_table(target).to_pylist()} >= {SAMSUNG}
    assert _run("export", "--format", "parquet") == 2  # Parquet never goes to a terminal
    capsys.readouterr()

    assert _run("export", "--format", "csv", "--as-of", "2025-10-30") == 0
    assert capsys.readouterr().out.splitlines() == [",".join(c.name for c in COLUMNS)]

    assert _run("compute", "--by", "country", "--as-of", "2025-12-31") == 0
    out = capsys.readouterr().out
    assert "KR: 656,964 H100-equivalents, 260,000 GPUs" in out and "(upper bound)" in out
    assert out.count("part, not added:") == 3
