"""Sentences a careful analyst checked the extractor against (a review of session 26): what
an organisation says it will not do, currencies written before the figure, plural model names,
two deals of one size, and qualifiers that are only part of another word."""

from __future__ import annotations

import pytest

from services.extractor.extract import extract


@pytest.mark.parametrize(
    "text",
    [
        "삼성전자는 GPU 5만개를 도입할 계획이 없다고 밝혔다.",
        "삼성전자가 엔비디아 GPU 5만개를 도입한다는 보도는 사실이 아니다.",
        "카카오는 올해 GPU 1만장을 추가로 도입하지 않기로 했다.",
        "Samsung has no plans to buy 50,000 Nvidia GPUs.",
        "Samsung won't buy 50,000 Nvidia GPUs this year, a spokesperson said.",
        "Samsung did not buy 50,000 Nvidia GPUs last year.",
        "Meta ruled out buying another 100,000 GPUs from Nvidia.",
    ],
)
def test_what_an_organisation_says_it_will_not_do_is_no_commitment(text: str) -> None:
    assert extract(text) == []


def test_a_negation_in_another_clause_leaves_the_commitment_alone() -> None:
    text = "삼성전자는 GPU 5만장을 도입하며, 추가 증설 계획은 없다고 밝혔다."
    assert [(f.subject.id, f.quantity.value if f.quantity else None) for f in extract(text)] == [
        ("samsung-electronics", 50000)
    ]


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("SoftBank will invest ¥150 billion in Nvidia GPUs for its AI data centre.", 150e9, "JPY"),
        ("Foxconn will invest NT$30 billion in an AI server plant with Nvidia.", 30e9, "TWD"),
        ("Singtel will invest S$1 billion in AI data centres with Nvidia.", 1e9, "SGD"),
        ("Alibaba will invest HK$10 billion in AI infrastructure.", 10e9, "HKD"),
    ],
)
def test_a_currency_written_before_the_figure_is_money_not_a_count(
    text: str, value: float, unit: str
) -> None:
    facts = extract(text)
    assert [(f.type, f.quantity.value, f.quantity.unit) for f in facts if f.quantity] == [
        ("investment", value, unit)
    ]


@pytest.mark.parametrize(
    ("text", "model"),
    [
        ("xAI will buy 50,000 H100s from Nvidia.", "H100"),
        ("Oracle will deploy 30,000 MI300Xs from AMD.", "MI300X"),
    ],
)
def test_plural_model_names_are_model_names(text: str, model: str) -> None:
    [fact] = extract(text)
    assert fact.gpu_model == model


def test_two_deals_of_one_size_with_different_vendors_are_two_facts() -> None:
    text = (
        "Samsung will buy 10,000 Nvidia H100 GPUs this year. "
        "Samsung will also buy 10,000 AMD MI300X GPUs next year."
    )
    facts = extract(text)
    assert sorted(
        (f.counterparty.id if f.counterparty else None, f.gpu_model) for f in facts
    ) == [("amd", "MI300X"), ("nvidia", "H100")]


def test_the_same_figure_said_twice_is_still_one_fact() -> None:
    text = "Samsung will buy 10,000 Nvidia H100 GPUs. The 10,000 GPUs will arrive in 2026."
    assert len(extract(text)) == 1


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("한화는 엔비디아와 GPU 공급 계약 1만장을 체결했다.", "exact"),  # 계약, not 약
        ("Samsung will buy fewer than 10,000 Nvidia GPUs.", "up_to"),
        ("Samsung will buy less than 10,000 Nvidia GPUs.", "up_to"),
        ("삼성전자는 엔비디아 GPU 약 1만장을 도입한다.", "about"),
    ],
)
def test_a_qualifier_is_a_word_of_its_own(text: str, qualifier: str) -> None:
    [fact] = extract(text)
    assert fact.quantity is not None and fact.quantity.qualifier == qualifier


@pytest.mark.parametrize(
    ("text", "subject", "value"),
    [
        ("업스테이지는 GPU 1500장만 구매한다.", "upstage", 1500),
        ("카카오는 작년보다 GPU 1000장을 줄여 4000장만 도입한다.", "kakao", 4000),
        ("SK텔레콤은 보유한 GPU 1만장 가운데 500장만 업스테이지에 임대한다.", "sk-telecom", 500),
    ],
)
def test_a_korean_figure_with_only_after_it_is_read(text: str, subject: str, value: int) -> None:
    """GPU 1500장만 ("only 1,500 GPUs") is the figure bought; before, 만 after the unit hid it."""
    assert [(f.subject.id, f.quantity.value if f.quantity else None) for f in extract(text)] == [
        (subject, value)
    ]
