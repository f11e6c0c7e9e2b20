"""``infraledger ledger | history | changes | facts`` against a real database (both kinds)."""

from __future__ import annotations

import argparse
import json
from datetime import timedelta

import pytest

from services.core.bus import MemoryBus
from services.core.models import ChangeV1
from services.store import render
from services.store.cli import add_commands
from services.store.service import relay_once

from .builders import OCT_30, article, extraction, fact
from .ledger import TOPICS, LedgerHarness


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="infraledger")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


@pytest.fixture
async def filled(ledger: LedgerHarness, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRALEDGER_DATABASE_URL", db_url)
    await ledger.deliver(
        extraction(
            article("apec"),
            fact(50_000, mention="삼성전자", qualifier="at_least"),
            fact(
                260_000,
                type="supply",
                subject="nvidia",
                counterparty="korea",
                qualifier="up_to",
                gpu_model="GB200",
            ),
        ),
        extraction(
            article("dec", OCT_30 + timedelta(days=60), source="reuters"),
            fact(60_000, mention="Samsung"),
        ),
    )


def column_starts(line: str, cells: list[str]) -> list[int]:
    """Display columns at which ``cells`` start in ``line``."""
    starts, at = [], 0
    for cell in cells:
        index = line.index(cell, at)
        starts.append(render.width(line[:index]))
        at = index + len(cell)
    return starts


def test_tables_align_korean_and_latin_text() -> None:
    rows = [["삼성전자", "gpu", "50,000"], ["NVIDIA", "supply", "260,000"]]
    text = render.table(["name", "what", "value"], rows)
    head, _, korean, latin = text.splitlines()
    assert (
        column_starts(korean, ["삼성전자", "gpu", "50,000"])
        == column_starts(latin, ["NVIDIA", "supply", "260,000"])
        == column_starts(head, ["name", "what", "value"])
    )


@pytest.mark.usefixtures("filled")
def test_ledger_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("ledger") == 0
    table = capsys.readouterr().out
    assert "Samsung Electronics" in table and "60,000 gpu" in table and "increased" in table
    # the parts are exact, the total an upper bound: so is what is left of it
    assert "NVIDIA → South Korea: total ≤260,000 gpu, parts 60,000, unallocated ~200,000" in table
    assert run("ledger", "--org", "삼성전자", "--format", "json") == 0
    body = json.loads(capsys.readouterr().out)
    assert [c["subject"]["id"] for c in body["commitments"]] == ["samsung-electronics"]
    assert body["totals"][0]["parts"][0]["value"] == 60_000


@pytest.mark.usefixtures("filled")
def test_history_of_an_organisation(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("history", "Samsung") == 0
    out = capsys.readouterr().out
    assert "new" in out and "increased" in out and "+10,000 (+20.0%)" in out
    assert run("history", "Samsung", "--type", "supply", "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == []
    assert run("history", "Nobody") == 1


@pytest.mark.usefixtures("filled")
async def test_changes_jsonl_rows_are_the_published_messages(
    ledger: LedgerHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("changes", "--format", "jsonl") == 0
    rows = [ChangeV1.model_validate_json(line) for line in capsys.readouterr().out.splitlines()]
    bus = MemoryBus()
    await relay_once(ledger.factory, bus, TOPICS)
    published = [ChangeV1.model_validate_json(m.value) for m in bus.topics[TOPICS.changes]]
    assert rows == published and len(rows) == 3
    assert run("changes", "--kind", "increased", "--since", "2025-12-01") == 0
    out = capsys.readouterr().out
    assert "increased" in out and "new" not in out


@pytest.mark.usefixtures("filled")
def test_facts_of_an_article(capsys: pytest.CaptureFixture[str]) -> None:
    url = article("apec").url
    assert run("facts", "--article", url) == 0
    out = capsys.readouterr().out
    assert "삼성전자" in out and "≤260,000 gpu · GB200" in out
    assert run("facts", "--article", url, "--format", "json") == 0
    assert len(json.loads(capsys.readouterr().out)["facts"]) == 2
    assert run("facts", "--article", "https://nowhere.example/") == 1
