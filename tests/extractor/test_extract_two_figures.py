"""One subject, two figures in one sentence ("100,000 B200s and 50,000 H200s"): each figure is
its own GPU commitment, with its own count, model, qualifier, quantity text and span."""

from __future__ import annotations

import pytest

from services.core.models import FactV1
from services.extractor.extract import extract


def _figures(facts: list[FactV1]) -> list[tuple[float | None, str | None, str, str]]:
    return [
        (f.quantity.value, f.gpu_model, f.quantity.qualifier, f.quantity.text)
        for f in facts
        if f.quantity is not None
    ]


def _quoted(text: str, fact: FactV1) -> str:
    start, end = fact.evidence.spans["quantity"]
    return text[start:end]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Acme will buy 100,000 B200s and 50,000 H200s.",
            [(100000, "B200", "exact", "100,000"), (50000, "H200", "exact", "50,000")],
        ),
        (
            "Meta will buy 100,000 B200 GPUs and up to 50,000 H200 GPUs from Nvidia.",
            [(100000, "B200", "exact", "100,000"), (50000, "H200", "up_to", "up to 50,000")],
        ),
        (
            "네이버는 B200 10만 장과 H200 5만 장을 도입한다.",
            [(100000, "B200", "exact", "10만 장"), (50000, "H200", "exact", "5만 장")],
        ),
        (
            "네이버는 10만 장의 B200과 5만 장의 H200을 도입한다.",
            [(100000, "B200", "exact", "10만 장"), (50000, "H200", "exact", "5만 장")],
        ),
        (
            "네이버는 엔비디아로부터 B200 약 10만 장과 H200 5만 장 이상을 도입한다.",
            [(100000, "B200", "about", "약 10만 장"), (50000, "H200", "at_least", "5만 장 이상")],
        ),
    ],
)
def test_each_figure_of_one_subject_is_its_own_gpu_commitment(
    text: str, expected: list[tuple[float, str, str, str]]
) -> None:
    facts = extract(text)
    assert _figures(facts) == expected
    assert {f.type for f in facts} == {"gpu_commitment"}
    assert len({f.subject.id for f in facts}) == 1
    assert [_quoted(text, f) for f in facts] == [written for *_, written in expected]
    assert all(
        text[slice(*f.evidence.spans["gpu_model"])].startswith(model)
        for f, (_, model, *_) in zip(facts, expected, strict=True)
    )


def test_two_figures_of_one_size_and_two_models_are_not_merged() -> None:
    facts = extract("Acme will buy 50,000 B200s and 50,000 H200s.")
    assert [(f.quantity.value, f.gpu_model) for f in facts if f.quantity] == [
        (50000, "B200"), (50000, "H200")
    ]


def test_each_figure_buys_from_the_vendor_of_its_own_model() -> None:
    text = "Oracle will buy 10,000 MI300Xs and 5,000 H100s."
    facts = extract(text)
    assert [(f.gpu_model, f.counterparty.id if f.counterparty else None) for f in facts] == [
        ("MI300X", "amd"), ("H100", "nvidia")
    ]
    assert [text[slice(*f.evidence.spans["counterparty"])] for f in facts] == ["MI300Xs", "H100s"]


def test_figures_of_different_models_are_different_commitments_by_their_scope() -> None:
    """Without a scope, the ledger would hold one commitment: the H200s "decreasing" the B200s."""
    listed = extract("Meta will buy 100,000 B200s and 50,000 H200s from Nvidia this year.")
    assert [(f.gpu_model, f.scope) for f in listed] == [("B200", "B200"), ("H200", "H200")]
    phased = extract("삼성전자는 1단계로 B200 1만 장과 H200 5천 장을 도입한다.")
    assert [f.scope for f in phased] == ["phase 1 B200", "phase 1 H200"]
    [alone] = extract("Meta will buy 100,000 B200s from Nvidia this year.")
    assert alone.scope is None  # one figure: the commitment as a whole


def _summary(facts: list[FactV1]) -> list[tuple[str, str, str | None, float | None, str]]:
    return [
        (f.type, f.subject.id, f.counterparty.id if f.counterparty else None,
         f.quantity.value if f.quantity else None, f.status)
        for f in facts
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("KT는 GPU 1만장 가운데 500장을 업스테이지에 임대했다.",
         [("gpu_commitment", "kt", None, 10000, "announced"),
          ("supply", "kt", "upstage", 500, "announced")]),
        ("KT는 GPU 1만장 중 500장을 업스테이지에 공급했다.",
         [("gpu_commitment", "kt", None, 10000, "announced"),
          ("supply", "kt", "upstage", 500, "announced")]),
        ("카카오는 GPU 1만장 중 일부를 업스테이지에 임대했다.",
         [("gpu_commitment", "kakao", None, 10000, "announced")]),
        # a holding is the total's: its part let out is a supply all the same
        ("네이버는 보유한 GPU 1만장 가운데 500장을 업스테이지에 임대한다.",
         [("supply", "naver", "upstage", 500, "announced")]),
        ("SK텔레콤은 보유 중인 GPU 1000장 중 300장을 리벨리온에 대여했다.",
         [("supply", "sk-telecom", "rebellions", 300, "announced")]),
        ("네이버는 보유한 GPU 1만장을 업스테이지에 임대한다.",
         [("supply", "naver", "upstage", 10000, "announced")]),
        ("네이버는 GPU 1만장을 보유하고 있으며 이 가운데 500장을 업스테이지에 임대한다.",
         [("supply", "naver", "upstage", 500, "announced")]),
        # a part of a holding that is not let out is still a holding
        ("KT가 보유한 GPU 1만장은 업스테이지에 공급받은 것이다.", []),
        ("카카오는 보유한 GPU 5000장 중 2000장을 업스테이지에 판매하지 않는다.", []),
        ("KT는 보유한 GPU 1만장 중 2000장을 업스테이지에 임대할 수도 있다고 밝혔다.", []),
        ("KT는 보유한 GPU 1만장 중 2000장을 업스테이지에 임대하는 것을 거부했다.", []),
        ("SK텔레콤은 보유한 GPU 1만장 가운데 500장을 업스테이지에 임대해 달라는 요청을 "
         "받았다.", []),
        # to lease it to someone (임대해 줄) is letting out; to be asked to is not
        ("KT는 보유한 GPU 1만장 가운데 3000장을 업스테이지에 임대해 줄 계획이다.",
         [("supply", "kt", "upstage", 3000, "planned")]),
        ("KT는 보유한 GPU 1만장 가운데 500장을 업스테이지에 임대해 줄 것을 요청받았다.", []),
        ("네이버는 보유한 GPU 5000장으로 업스테이지에 AI 학습 인프라 제공에 나선다.", []),
        ("카카오는 보유한 H100 2000장과 A100 1000장 가운데 1500장을 업스테이지에 대여한다.",
         [("supply", "kakao", "upstage", 1500, "announced")]),
        ("삼성전자는 보유한 GPU 2만장 가운데 5000장을 파운드리 설계에 쓰고 "
         "HBM을 엔비디아에 공급한다.", []),
        ("KT는 보유한 GPU 1만장 가운데 업스테이지에 2000장, 리벨리온에 1000장을 임대한다.",
         [("supply", "kt", "upstage", 2000, "announced"),
          ("supply", "kt", "rebellions", 1000, "announced")]),
        ("네이버는 보유한 GPU 1만장 가운데 8000장이 이미 가동 중이다.", []),
        ("엔비디아가 보유한 GPU 1만장 가운데 2000장을 네이버가 구매한다.", []),
        ("SK텔레콤은 보유한 GPU 1000장 중 300장을 리벨리온에 대여하고 500장은 자체 서비스에 쓴다.",
         [("supply", "sk-telecom", "rebellions", 300, "announced")]),
        # a chip maker's total is what it supplies
        ("엔비디아는 GPU 5만장 가운데 3만장을 삼성전자에, 2만장을 SK하이닉스에 공급한다.",
         [("supply", "nvidia", None, 50000, "announced"),
          ("supply", "nvidia", "samsung-electronics", 30000, "announced"),
          ("supply", "nvidia", "sk-hynix", 20000, "announced")]),
        # the total's seller is named before it; the part's recipient sold it nothing
        ("정부는 엔비디아 GPU 26만장 가운데 5만장을 네이버에 배분한다.",
         [("gpu_commitment", "kr-government", "nvidia", 260000, "announced"),
          ("supply", "kr-government", "naver", 50000, "announced")]),
        ("KT는 GPU 1만장 가운데 3000장을 리벨리온에 공급했다.",
         [("gpu_commitment", "kt", None, 10000, "announced"),
          ("supply", "kt", "rebellions", 3000, "announced")]),
        ("정부는 엔비디아로부터 GPU 1만장 가운데 3000장을 먼저 받는다.",
         [("gpu_commitment", "kr-government", "nvidia", 10000, "announced"),
          ("gpu_commitment", "kr-government", "nvidia", 3000, "announced")]),
        # a total whose parts all go to one recipient named after them goes to it
        ("엔비디아는 GPU 26만장 중 10만장을 올해, 나머지 16만장을 내년에 한국에 공급한다.",
         [("supply", "nvidia", "korea", 260000, "announced"),
          ("supply", "nvidia", "korea", 100000, "announced"),
          ("supply", "nvidia", "korea", 160000, "announced")]),
        ("KT는 GPU 1만장 중 5000장은 올해, 나머지는 내년에 업스테이지에 공급한다.",
         [("supply", "kt", "upstage", 10000, "announced"),
          ("supply", "kt", "upstage", 5000, "announced")]),
        # a recipient named before the total receives it; with 각각 the parts
        ("KT는 업스테이지에 GPU 1만장 가운데 5000장을 먼저 공급하고 나머지는 내년에 공급한다.",
         [("supply", "kt", "upstage", 10000, "announced"),
          ("supply", "kt", "upstage", 5000, "announced")]),
        ("정부는 네이버와 카카오에 GPU 1만장 가운데 각각 3000장을 배분한다.",
         [("gpu_commitment", "kr-government", None, 10000, "announced"),
          ("supply", "kr-government", "kakao", 3000, "announced")]),
        # an estimate is said of both
        ("정부는 GPU 1만장 가운데 3000장을 업스테이지에 배분할 것으로 전망된다.", []),
        ("업계 추정에 따르면 KT는 GPU 1만장 가운데 3000장을 업스테이지에 임대했다.", []),
        ("업계에서는 GPU 100만장 중 30만장을 엔비디아가 공급한다고 본다.", []),
        # a total of other things, or no count at all
        ("증권가에 따르면 국내 기업 3개 중 삼성전자가 GPU 5만장을 도입한다.", []),
        ("애널리스트들은 아시아 시장 가운데 한국이 GPU 5만장을 도입할 것으로 본다.", []),
    ],
)  # fmt: skip
def test_a_korean_total_a_part_is_taken_from_is_what_the_subject_holds(
    text: str, summary: list[tuple[str, str, str | None, float | None, str]]
) -> None:
    """1만장 가운데 500장을 업스테이지에: KT holds the 10,000 and Upstage receives the 500."""
    assert _summary(extract(text)) == summary

