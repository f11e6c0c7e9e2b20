"""What could be done is no commitment: a possibility (may, might, could; 할 수 있다) or what a
site can hold (수용할 수 있는 데이터센터).  A possibility in another clause, or a purpose (할 수
있도록: so that others can), leaves the commitment beside it alone."""

from __future__ import annotations

import pytest

from services.extractor.extract import extract


@pytest.mark.parametrize(
    "text",
    [
        "Microsoft may buy up to 5,000 more H100s from Nvidia.",
        "Microsoft might buy 10,000 GPUs from Nvidia.",
        "Microsoft could buy 10,000 GPUs from Nvidia, people familiar with the talks said.",
        "SK hynix could supply HBM4 to Nvidia, analysts said.",
        "네이버는 엔비디아 GPU 1만개를 도입할 수 있다고 밝혔다.",
        "KT는 GPU 2000장을 업스테이지에 임대할 수 있다.",
        "네이버는 내년 상반기까지 GPU 1만장을 확보할 수 있을 것으로 보고 있다.",
        "KT는 GPU 1만개를 수용할 수 있는 데이터센터를 짓는다.",
    ],
)
def test_what_could_be_done_is_no_commitment(text: str) -> None:
    assert extract(text) == []


@pytest.mark.parametrize(
    ("text", "subject", "value"),
    [
        ("Microsoft bought 10,000 GPUs, which it could deploy by 2026.", "microsoft", 10_000),
        ("보다 많은 기업이 GPU를 확보할 수 있도록 정부는 GPU 1만장을 구매한다.", "kr-government",
         10_000),
        ("네이버는 GPU 1만개를 도입해 AI 모델을 개발할 수 있게 됐다.", "naver", 10_000),
    ],
)  # fmt: skip
def test_a_possibility_beside_the_commitment_leaves_it_alone(
    text: str, subject: str, value: float
) -> None:
    [fact] = extract(text)
    assert fact.subject.id == subject
    assert fact.quantity is not None and fact.quantity.value == value
