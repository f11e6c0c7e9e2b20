"""JSON column values made once by pydantic: the same values, and the same extraction digests."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from pydantic import BaseModel

from services.core.models import ChangeEvidence, CommitmentState, Delta, ExtractionV1, Timeframe
from services.store.jsontext import column_json, extraction_json, model_json

from .builders import article, extraction, fact
from .test_ledger_seeds import seed_extractions

TIMEFRAME = Timeframe(text="2026년 상반기까지", start="2026-01", end="2026-06")

EXTRACTIONS = [
    *seed_extractions(datetime(2025, 11, 1, tzinfo=UTC)),
    extraction(article("no-facts")),
    extraction(
        article("every-kind-of-value"),
        fact(260_000, qualifier="up_to", gpu_model="Blackwell", timeframe=TIMEFRAME),
        fact(3e9, type="investment", unit="USD", scope='phase "one" / \\ 1단계'),
        fact(4.5e12, type="investment", unit="KRW", qualifier="about"),
        fact(1.5, type="supply", unit="GW", counterparty=None, products=("HBM3E", "HBM4")),
        fact(type="partnership", quantity=False, status="negotiating", sentence='\t"quoted"\n'),
        version="2.0.0+lab/é",
    ),
]


@pytest.mark.parametrize("item", EXTRACTIONS, ids=lambda e: e.article.url.rsplit("/", 1)[-1])
def test_an_extractions_digest_text_is_pydantics_byte_for_byte(item: ExtractionV1) -> None:
    facts = [model_json(f) for f in item.facts]
    assert extraction_json(item.extractor_version, facts) == item.model_dump_json(
        include={"extractor_version", "facts"}
    )


VALUES: list[BaseModel] = [
    *(f for e in EXTRACTIONS for f in e.facts),
    CommitmentState(quantity=EXTRACTIONS[-1].facts[0].quantity, timeframe=TIMEFRAME),
    CommitmentState(),
    Delta(absolute=-1e-7, relative=None),
    Delta(absolute=210_000.0, relative=4.2),
    ChangeEvidence(article_id="a" * 32, url="https://news.example/x", sentence="엔비디아 GPU",
                   start=3, end=11),
]  # fmt: skip


@pytest.mark.parametrize("model", VALUES, ids=lambda m: type(m).__name__)
def test_a_column_value_holds_what_the_models_json_dump_held(model: BaseModel) -> None:
    assert orjson.loads(orjson.dumps(column_json(model))) == model.model_dump(mode="json")
