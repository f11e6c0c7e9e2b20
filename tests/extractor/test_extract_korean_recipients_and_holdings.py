"""Korean recipients and holdings the reviews of sessions 33 and 34 left (extractor 1.5.3): a
list of parts each with its own recipient, a part kept for the subject's own use, "and others"
after a recipient, and a holding of something other than compute."""

from __future__ import annotations

import pytest

from services.extractor.extract import extract


def _read(text: str) -> list[tuple[str, str, str | None, float | None]]:
    return [
        (
            f.type,
            f.subject.id,
            f.counterparty.id if f.counterparty else None,
            f.quantity.value if f.quantity else None,
        )
        for f in extract(text)
    ]


@pytest.mark.parametrize(
    "text",
    [
        "KT는 보유한 GPU 1만장 가운데 300장을 업스테이지에, 200장을 리벨리온에 임대한다.",
        "KT는 GPU 300장을 업스테이지에, 200장을 리벨리온에 임대한다.",
        "KT는 GPU 300장을 업스테이지에게, 200장을 리벨리온에게 임대한다.",
    ],
)
def test_each_part_of_a_list_goes_to_the_recipient_written_after_it(text: str) -> None:
    """Before, the first part had no verb (its recipient stood between it and the comma) and
    a held total's list gave only its last part, to the first recipient."""
    assert _read(text) == [
        ("supply", "kt", "upstage", 300),
        ("supply", "kt", "rebellions", 200),
    ]


@pytest.mark.parametrize("verb", ["쓴다", "사용한다"])
def test_a_part_kept_for_the_subjects_own_use_goes_to_nobody(verb: str) -> None:
    """The 1,000 kept is KT's own; the recipient of the other clause's lease is not its
    party (before: a second supply to Upstage)."""
    text = f"KT는 GPU 2000장을 업스테이지에 임대하고, 1000장은 자체 학습에 {verb}."
    assert _read(text) == [
        ("supply", "kt", "upstage", 2000),
        ("gpu_commitment", "kt", None, 1000),
    ]


def test_a_total_before_a_recipients_clause_takes_no_recipient_from_it() -> None:
    text = "정부는 GPU 1만장을 도입하고, 이 중 3000장을 업스테이지에 배분한다."
    assert _read(text) == [
        ("gpu_commitment", "kr-government", None, 10000),
        ("supply", "kr-government", "upstage", 3000),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "KT는 GPU 2000장을 업스테이지 등 스타트업에 임대한다.",
            [("supply", "kt", "upstage", 2000)],
        ),
        (
            "네이버클라우드는 보유한 GPU 1만장 가운데 3000장을 업스테이지 등 스타트업에 "
            "임대할 계획이다.",
            [("supply", "naver-cloud", "upstage", 3000)],
        ),
        (
            "KT는 엔비디아 등으로부터 GPU 2000장을 구매한다.",
            [("gpu_commitment", "kt", "nvidia", 2000)],
        ),
    ],
)
def test_an_organisation_and_others_keeps_its_role(
    text: str, expected: list[tuple[str, str, str | None, float]]
) -> None:
    """업스테이지 등 스타트업에: the particle after "and others" is the organisation's."""
    assert _read(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "SK텔레콤은 지분을 보유한 업스테이지에 GPU 500장을 임대한다.",
            [("supply", "sk-telecom", "upstage", 500)],
        ),
        (
            "AI 기술력을 보유한 업스테이지는 GPU 1000장을 도입한다.",
            [("gpu_commitment", "upstage", None, 1000)],
        ),
        (
            "국내 최대 데이터센터를 보유한 KT는 GPU 1만장을 도입한다.",
            [("gpu_commitment", "kt", None, 10000)],
        ),
        (
            "KT는 지분 10%를 보유한 업스테이지에 GPU 2000장을 임대한다.",
            [("supply", "kt", "upstage", 2000)],
        ),
    ],
)
def test_a_holding_of_something_other_than_compute_blocks_nothing(
    text: str, expected: list[tuple[str, str, str | None, float]]
) -> None:
    assert _read(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "KT는 GPU 1만장을 보유하고 있다.",
        "GPU를 보유한 KT는 1만장을 임대한다.",
        "H100을 보유하고 있는 KT는 1만장을 도입한다.",
        "엔비디아 칩을 보유한 KT는 1만장을 도입한다.",
    ],
)
def test_a_holding_of_compute_still_is_no_commitment(text: str) -> None:
    assert extract(text) == []
