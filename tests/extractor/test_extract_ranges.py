"""A range ("5만~6만 장", "50,000 to 60,000 GPUs", "$10–15 billion") is one figure: its upper
bound, qualified "up_to", quoted whole — never two facts, never the lower bound alone."""

from __future__ import annotations

import pytest

from services.extractor.extract import extract
from services.extractor.numbers import find_quantities


@pytest.mark.parametrize(
    ("text", "kind", "value", "unit", "written"),
    [
        ("네이버는 GPU 5만~6만 장을 도입한다.", "gpu_commitment", 60000, "gpu", "5만~6만 장"),
        ("네이버는 GPU 5만-6만개를 도입한다.", "gpu_commitment", 60000, "gpu", "5만-6만개"),
        ("네이버는 GPU 5~6만 장을 도입한다.", "gpu_commitment", 60000, "gpu", "5~6만 장"),
        ("네이버는 GPU 5만～6만 장을 도입한다.", "gpu_commitment", 60000, "gpu", "5만～6만 장"),
        (
            "Meta will buy 50,000 to 60,000 GPUs.",
            "gpu_commitment", 60000, "gpu", "50,000 to 60,000",
        ),
        ("Meta will buy 50,000-60,000 GPUs.", "gpu_commitment", 60000, "gpu", "50,000-60,000"),
        (
            "Meta will buy between 50,000 and 60,000 GPUs.",
            "gpu_commitment", 60000, "gpu", "between 50,000 and 60,000",
        ),
        (
            "Microsoft will invest $10–15 billion in AI data centers.",
            "investment", 15e9, "USD", "$10–15 billion",
        ),
        (
            "Microsoft will invest $10 billion to $15 billion in AI data centers.",
            "investment", 15e9, "USD", "$10 billion to $15 billion",
        ),
        (
            "삼성전자는 AI 데이터센터에 10조~15조원을 투자한다.",
            "investment", 15e12, "KRW", "10조~15조원",
        ),
        (
            "네이버는 GPU 최대 5만~6만 장을 도입한다.",
            "gpu_commitment", 60000, "gpu", "최대 5만~6만 장",
        ),
    ],
)
def test_a_range_is_one_fact_of_its_upper_bound(
    text: str, kind: str, value: float, unit: str, written: str
) -> None:
    [fact] = extract(text)
    assert fact.quantity is not None
    assert (fact.type, fact.quantity.value, fact.quantity.unit) == (kind, value, unit)
    assert fact.quantity.qualifier == "up_to"
    assert fact.quantity.text == written
    start, end = fact.evidence.spans["quantity"]
    assert text[start:end] == written


@pytest.mark.parametrize(
    "text",
    [
        "Samsung and SK Hynix will each invest $1-2 billion each in new AI data centers.",
        "Samsung and SK Hynix will invest up to $1-2 billion apiece in new AI data centers.",
        "Samsung and SK Hynix will invest as much as $1-2 billion each in new AI data centers.",
    ],
)
def test_a_range_each_spender_spends_is_each_ones_upper_bound(text: str) -> None:
    facts = extract(text)
    assert [(f.subject.id, f.type) for f in facts] == [
        ("samsung-electronics", "investment"), ("sk-hynix", "investment")
    ]
    for fact in facts:
        assert fact.quantity is not None
        assert (fact.quantity.value, fact.quantity.unit, fact.quantity.qualifier) == (
            2e9, "USD", "up_to"
        )


@pytest.mark.parametrize(
    "text", ["priced at $40,000-50,000 each", "at 40-50 million won each", "개당 4000만~5000만원"]
)
def test_a_range_of_a_price_per_unit_is_no_quantity_nor_is_its_lower_bound(text: str) -> None:
    assert [(q.value, q.unit) for q in find_quantities(text) if q.kind == "money"] == []


def test_a_range_spent_each_year_is_no_price_per_unit() -> None:
    [fact] = extract("Samsung will invest an additional $1-2 billion each year in AI data centers.")
    assert fact.quantity is not None
    assert (fact.quantity.value, fact.quantity.qualifier) == (2e9, "up_to")


def test_a_change_from_one_figure_to_another_is_no_range_and_no_commitment() -> None:
    assert extract("Meta will grow its fleet from 50,000 to 60,000 GPUs.") == []


def test_a_range_of_two_models_keeps_each_models_figure() -> None:
    facts = extract("네이버는 5만~6만 장의 B200과 1만 장의 H200을 도입한다.")
    assert [(f.quantity.value, f.quantity.qualifier, f.gpu_model) for f in facts if f.quantity] == [
        (60000, "up_to", "B200"), (10000, "exact", "H200")
    ]


def _figures(text: str) -> list[tuple[str, float | None, str, str]]:
    return [
        (f.type, f.quantity.value, f.quantity.qualifier, f.quantity.text)
        for f in extract(text)
        if f.quantity
    ]


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        pytest.param(
            "Nvidia will supply 5,000 GPUs to Naver in phases 1-3.",
            [("supply", 5000, "exact", "5,000")],
            id="phases 1-3",
        ),
        pytest.param(
            "Microsoft will buy 10,000 GPUs from Nvidia, according to slides 4-7.",
            [("gpu_commitment", 10000, "exact", "10,000")],
            id="slides 4-7",
        ),
        pytest.param(
            "Microsoft will buy 10,000 GPUs from Nvidia, rated 4-5.",
            [("gpu_commitment", 10000, "exact", "10,000")],
            id="rated 4-5",
        ),
        pytest.param(
            "Naver will buy 1,000 H100 GPUs from Nvidia, priced at 40-50 million won each.",
            [("gpu_commitment", 1000, "exact", "1,000")],
            id="a price each",
        ),
    ],
)
def test_a_range_of_what_is_no_quantity_makes_no_fact(
    text: str, figures: list[tuple[str, float, str, str]]
) -> None:
    # small bare numbers ("1-3", "4-7") are no quantities, nor is a range of a price per unit
    assert _figures(text) == figures


@pytest.mark.parametrize(
    ("text", "figure"),
    [
        pytest.param(
            "Microsoft will raise its order by 10,000 to 60,000 GPUs from Nvidia.",
            ("gpu_commitment", 60000, "exact", "60,000"),
            id="by 10,000 to 60,000",
        ),
        pytest.param(
            "Meta plans to expand its fleet in 2025 to 600,000 H100 GPUs bought from Nvidia.",
            ("gpu_commitment", 600000, "exact", "600,000"),
            id="in 2025 to 600,000",
        ),
    ],
)
def test_a_change_or_a_year_is_no_lower_bound(
    text: str, figure: tuple[str, float, str, str]
) -> None:
    # "by X to Y": Y is the new figure, X the change; a year is a date, never a range's bound
    assert _figures(text) == [figure]


@pytest.mark.parametrize(
    ("text", "figures"),
    [
        (
            "네이버는 2024~2025년 GPU 5만 장을 도입한다.",
            [("gpu_commitment", 50000, "exact", "5만 장")],
        ),
        ("Meta will buy 50,000 GPUs in 2025-2027.", [("gpu_commitment", 50000, "exact", "50,000")]),
        (
            "Naver will buy 1,000 H100-80GB GPUs from Nvidia.",
            [("gpu_commitment", 1000, "exact", "1,000")],
        ),
        (
            "Meta will buy 5,000 GPUs, 10-20% more than last year.",
            [("gpu_commitment", 5000, "exact", "5,000")],
        ),
        (
            "Naver will buy 1,000 GPUs from Nvidia, call 02-1234-5678.",
            [("gpu_commitment", 1000, "exact", "1,000")],
        ),
        (  # spans of time: their first bound is no GPU count either
            "삼성전자는 3~4월 엔비디아 GPU 5만 장을 도입한다.",
            [("gpu_commitment", 50000, "exact", "5만 장")],
        ),
        ("삼성전자는 10~11일 엔비디아 GPU를 도입한다.", []),
        ("삼성전자는 2~3년 안에 엔비디아 GPU를 도입한다.", []),
        (
            "삼성전자는 3-4개월 뒤 엔비디아 GPU 1만 장을 도입한다.",
            [("gpu_commitment", 10000, "exact", "1만 장")],
        ),
        (  # a bare range of a size a bare figure has is still one
            "Meta will deploy Nvidia GPUs and install 50,000-60,000.",
            [("gpu_commitment", 60000, "up_to", "50,000-60,000")],
        ),
    ],
)
def test_dates_percentages_models_and_phone_numbers_are_no_ranges(
    text: str, figures: list[tuple[str, float, str, str]]
) -> None:
    assert _figures(text) == figures
