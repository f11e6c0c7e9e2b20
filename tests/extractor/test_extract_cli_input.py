"""``infraledger extract``: text, HTML or an articles.v1 message in; JSON lines or a table out."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import jsonschema
import pytest

from services.core.models import ArticleV1, FactV1, stable_id
from services.extractor.cli import add_commands
from services.extractor.errors import ExtractorTerminal
from services.extractor.input import html_to_text, read_document

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_579068ff91aef37f.txt"
SENTENCE = "Samsung will deploy 50,000 Nvidia GPUs at its AI megafactory."


def _run(argv: list[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser()
    add_commands(parser.add_subparsers())
    args = parser.parse_args(["extract", *argv])
    out = io.StringIO()
    code = args.func(args, out)
    return code, out.getvalue()


def _schema() -> dict[str, object]:
    path = ROOT / "schemas" / "fact.v1.json"
    if path.exists():
        loaded: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
        return loaded
    return FactV1.model_json_schema()


def test_jsonl_prints_one_fact_per_line_matching_the_contract() -> None:
    code, out = _run(["--format", "jsonl", str(SEED)])
    lines = out.splitlines()
    assert code == 0
    assert len(lines) == 10
    for line in lines:
        jsonschema.validate(json.loads(line), _schema())
        FactV1.model_validate_json(line)


def test_table_shows_one_aligned_row_per_fact(tmp_path: Path) -> None:
    path = tmp_path / "article.txt"
    path.write_text(SENTENCE, encoding="utf-8")
    code, out = _run([str(path)])
    header, rule, row = out.splitlines()
    assert code == 0
    assert header.split() == [
        "type", "subject", "counterparty", "quantity", "qualifier", "model", "status", "evidence"
    ]
    assert set(rule) <= {"-", " "}
    assert row.startswith("gpu_commitment  Samsung Electronics  NVIDIA")
    assert "50,000 gpu" in row


def test_html_pages_are_read_as_their_visible_text(tmp_path: Path) -> None:
    path = tmp_path / "page.html"
    path.write_text(
        "<!doctype html><html><head><title>Samsung AI</title><script>var x = 1;</script></head>"
        f"<body><nav>Home</nav><p>{SENTENCE}</p><p>Second paragraph.</p></body></html>",
        encoding="utf-8",
    )
    code, out = _run(["--format", "jsonl", str(path)])
    assert code == 0
    fact = FactV1.model_validate_json(out.splitlines()[0])
    assert fact.subject.id == "samsung-electronics"


def test_html_to_text_separates_paragraphs_and_drops_scripts() -> None:
    text = html_to_text("<html><body><script>x()</script><p>One.</p><p>Two.</p></body></html>")
    assert text == "One.\n\nTwo."


def test_an_articles_v1_message_is_read_from_its_text_field(tmp_path: Path) -> None:
    article = ArticleV1(
        id=stable_id("https://example.com/a"),
        url="https://example.com/a",
        source="replay",
        lang="en",
        title="Samsung's AI factory",
        fetched_at="2025-11-01T00:00:00Z",  # type: ignore[arg-type]
        text=SENTENCE,
        content_hash="0" * 64,
    )
    document = read_document(article.model_dump_json())
    assert (document.text, document.title, document.lang) == (SENTENCE, article.title, "en")


def test_a_broken_message_is_a_terminal_error() -> None:
    with pytest.raises(ExtractorTerminal):
        read_document('{"id": "not an article"}')


def test_a_missing_file_exits_with_an_error_code(tmp_path: Path) -> None:
    code, out = _run([str(tmp_path / "missing.txt")])
    assert code == 2
    assert out == ""
