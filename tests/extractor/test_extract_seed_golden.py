"""Golden test: the seed article gives exactly the facts of the table in ``seeds/README.md``.

Choices the table leaves open, made here and in the rules:

- The 260,000 headline is a ``supply`` from NVIDIA (``nvidia``) to Korea (``korea``), with
  ``gpu_model`` "GB200" — the canonical form of "GB200 그레이스 블랙웰" in ``gpu_models.yaml``
  (chip or system names only).  The lead sentence's "26만장을 확보" restates the same figure and is
  merged into it.
- Hyundai's USD 3bn ("Hyundai Motor Group + NVIDIA" in the table) has subject Hyundai Motor Group
  and counterparty the Korean government: the sentence before says the two companies work
  "with government officials" (정부 관계자들과 협력) to support the government's cluster plan.
- Partnerships of a pair that also has a concrete commitment in the article (Samsung–NVIDIA,
  Hyundai–NVIDIA, SK hynix–NVIDIA) are the context of that commitment, not extra facts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.core.models import FactV1
from services.extractor.extract import extract
from services.extractor.version import EXTRACTOR_VERSION

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_579068ff91aef37f.txt"


@pytest.fixture(scope="module")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def facts(seed_text: str) -> list[FactV1]:
    return extract(seed_text, lang="ko")


def _one(facts: list[FactV1], type_: str, subject: str, counterparty: str) -> FactV1:
    found = [
        f
        for f in facts
        if f.type == type_
        and f.subject.id == subject
        and (f.counterparty.id if f.counterparty else None) == counterparty
    ]
    assert len(found) == 1, f"{type_} {subject}→{counterparty}: {found}"
    return found[0]


def test_seed_yields_exactly_the_table_rows(facts: list[FactV1]) -> None:
    rows = sorted(
        (f.type, f.subject.id, f.counterparty.id if f.counterparty else "") for f in facts
    )
    assert rows == sorted(
        [
            ("supply", "nvidia", "korea"),
            ("gpu_commitment", "kr-government", "nvidia"),
            ("gpu_commitment", "samsung-electronics", "nvidia"),
            ("supply", "samsung-electronics", "nvidia"),
            ("partnership", "sk-group", "nvidia"),
            ("supply", "sk-hynix", "nvidia"),
            ("gpu_commitment", "hyundai-motor-group", "nvidia"),
            ("investment", "hyundai-motor-group", "kr-government"),
            ("partnership", "lg-electronics", "nvidia"),
            ("partnership", "naver-cloud", "nvidia"),
        ]
    )


def test_headline_is_nvidia_supplying_up_to_260000_gb200_to_korea(facts: list[FactV1]) -> None:
    fact = _one(facts, "supply", "nvidia", "korea")
    assert fact.quantity is not None
    assert (fact.quantity.value, fact.quantity.unit, fact.quantity.qualifier) == (
        260000, "gpu", "up_to",
    )
    assert fact.quantity.text == "최대 26만개"
    assert fact.gpu_model == "GB200"
    assert "우선 배치" in fact.evidence.sentence


def test_government_deploys_up_to_50000_in_the_public_sector(facts: list[FactV1]) -> None:
    fact = _one(facts, "gpu_commitment", "kr-government", "nvidia")
    assert fact.quantity is not None
    assert (fact.quantity.value, fact.quantity.qualifier) == (50000, "up_to")
    assert fact.status == "planned"
    assert "공공 부문" in fact.evidence.sentence


def test_samsung_commits_to_at_least_50000_over_the_coming_years(facts: list[FactV1]) -> None:
    fact = _one(facts, "gpu_commitment", "samsung-electronics", "nvidia")
    assert fact.quantity is not None
    assert (fact.quantity.value, fact.quantity.qualifier) == (50000, "at_least")
    assert fact.timeframe is not None and fact.timeframe.text == "향후 수년간"
    assert fact.status == "planned"


def test_samsung_memory_supply_to_nvidia_is_in_negotiation(facts: list[FactV1]) -> None:
    fact = _one(facts, "supply", "samsung-electronics", "nvidia")
    assert fact.quantity is None
    assert fact.products == ("HBM3E", "HBM4", "GDDR7", "SOCAMM2", "foundry")
    assert fact.status == "negotiating"


def test_sk_hynix_supplies_hbm3_hbm3e_and_hbm4_to_nvidia(facts: list[FactV1]) -> None:
    fact = _one(facts, "supply", "sk-hynix", "nvidia")
    assert fact.products == ("HBM3", "HBM3E", "HBM4")
    assert fact.status == "announced"  # the HBM4 talks are concluded (협의를 마무리)


def test_hyundai_deploys_50000_blackwell_gpus_with_nvidia(facts: list[FactV1]) -> None:
    fact = _one(facts, "gpu_commitment", "hyundai-motor-group", "nvidia")
    assert fact.quantity is not None
    assert (fact.quantity.value, fact.quantity.qualifier) == (50000, "exact")
    assert fact.gpu_model == "Blackwell"
    assert fact.status == "planned"


def test_hyundai_physical_ai_investment_is_about_3_billion_dollars(facts: list[FactV1]) -> None:
    fact = _one(facts, "investment", "hyundai-motor-group", "kr-government")
    assert fact.quantity is not None
    assert (fact.quantity.value, fact.quantity.unit, fact.quantity.qualifier) == (
        3e9, "USD", "about",
    )
    assert fact.quantity.text == "약 30억 달러"


@pytest.mark.parametrize("subject", ["sk-group", "lg-electronics", "naver-cloud"])
def test_partnerships_with_nvidia_have_no_quantity(facts: list[FactV1], subject: str) -> None:
    fact = _one(facts, "partnership", subject, "nvidia")
    assert fact.quantity is None


def test_dates_quarters_and_product_names_are_never_quantities(facts: list[FactV1]) -> None:
    texts = [f.quantity.text for f in facts if f.quantity is not None]
    for label in ("2025", "30일", "31일", "4분기", "GB200", "HBM4", "GDDR7", "SOCAMM2", "차세대"):
        assert not any(label in text for text in texts)


def test_venture_capital_firms_are_not_parties(facts: list[FactV1]) -> None:
    names = {f.subject.mention for f in facts} | {
        f.counterparty.mention for f in facts if f.counterparty
    }
    assert not names & {"IMM인베스트먼트", "한국투자파트너스", "SBVA"}


def test_evidence_offsets_point_into_the_input(seed_text: str, facts: list[FactV1]) -> None:
    for fact in facts:
        evidence = fact.evidence
        assert seed_text[evidence.start : evidence.end] == evidence.sentence
        for start, end in evidence.spans.values():
            assert evidence.start <= start < end <= evidence.end


def test_every_fact_names_the_extractor_version(facts: list[FactV1]) -> None:
    assert {f.extractor.version for f in facts} == {EXTRACTOR_VERSION}
    assert all(f.extractor.rule for f in facts)
