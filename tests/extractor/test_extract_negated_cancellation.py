""""Will not cancel", "has no plans to cancel", 취소하지 않는다: a cancellation denied is the
commitment standing — stated plainly, never "cancelled", and never swallowed as a non-commitment
the way "no plans to buy" is."""

from __future__ import annotations

import pytest

from services.extractor.extract import extract


@pytest.mark.parametrize(
    "text",
    [
        "Meta would not cancel its order for 10,000 GPUs.",
        "Meta will not cancel its order for 10,000 GPUs.",
        "Meta won't cancel its order for 10,000 GPUs.",
        "Meta didn't cancel its order for 10,000 GPUs.",
        "Meta has no plans to cancel its order for 10,000 GPUs.",
        "Meta is not scrapping its order for 10,000 GPUs.",
        "네이버는 GPU 1만장 주문을 취소하지 않는다.",
        "네이버는 GPU 1만장 주문을 취소할 계획이 없다.",
        "네이버는 GPU 1만장 도입을 철회하지 않기로 했다.",
        "Meta said it isn't cancelling its order for 10,000 GPUs.",
        "Meta never intended to cancel its order for 10,000 GPUs.",
        "Meta has no intention of cancelling its order for 10,000 GPUs.",
        "Meta ruled out cancelling its order for 10,000 GPUs.",
        "네이버는 GPU 1만장 주문을 취소할 의사가 없다고 밝혔다.",
        "네이버는 GPU 1만장 주문을 철회할 생각이 없다.",
    ],
)
def test_a_denied_cancellation_is_the_commitment_as_stated(text: str) -> None:
    [fact] = extract(text)
    assert (fact.type, fact.quantity.value if fact.quantity else None) == ("gpu_commitment", 10000)
    assert fact.status == "announced"


def test_a_denied_cancellation_of_an_investment_is_the_investment() -> None:
    [fact] = extract("Nvidia is not scrapping its $100 billion AI infrastructure plan with OpenAI.")
    assert fact.type == "investment"
    assert fact.status != "cancelled"


def test_a_denial_after_a_reported_cancellation_leaves_the_commitment_standing() -> None:
    text = (
        "Reports said Meta would cancel its order for 10,000 GPUs. "
        "Meta said it will not cancel its order for 10,000 GPUs."
    )
    [fact] = extract(text)
    assert fact.status == "announced"


def test_a_cancellation_after_a_denial_is_a_cancellation() -> None:
    text = (
        "Meta said it will not cancel its order for 10,000 GPUs. "
        "A month later, Meta cancelled its order for 10,000 GPUs."
    )
    [fact] = extract(text)
    assert fact.status == "cancelled"


@pytest.mark.parametrize(
    "text",
    [
        "Microsoft hasn't ruled out cancelling its order for 100,000 GB200s from Nvidia.",
        "Microsoft has not ruled out cancelling its order for 100,000 GB200s from Nvidia.",
        "Microsoft refused to rule out cancelling its order for 100,000 GB200s from Nvidia.",
    ],
)
def test_a_cancellation_not_ruled_out_is_no_denial_and_no_commitment(text: str) -> None:
    assert extract(text) == []


def test_not_ruling_out_more_leaves_the_commitment_standing() -> None:
    [fact] = extract("Naver will buy 10,000 H100s from Nvidia and did not rule out buying more.")
    assert (fact.quantity.value if fact.quantity else None, fact.status) == (10000, "announced")
