"""Several figures in one sentence: each has its own seller and its own status — the ones its
clause gives it, else its list's — never the sentence's first."""

from __future__ import annotations

import pytest

from services.extractor.extract import extract


def _read(text: str) -> list[tuple[float | None, str | None, str]]:
    return [
        (f.quantity.value if f.quantity else None, f.counterparty.id if f.counterparty else None,
         f.status)
        for f in extract(text)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "read"),
    [
        pytest.param(
            "Microsoft will buy 100,000 GPUs from Nvidia and 50,000 GPUs from AMD.",
            [(100_000, "nvidia", "announced"), (50_000, "amd", "announced")],
            id="each figure's own 'from'",
        ),
        pytest.param(
            "Meta will buy 20,000 MI355X chips from AMD and 30,000 B200s.",
            [(20_000, "amd", "announced"), (30_000, "nvidia", "announced")],
            id="never another chip maker than the model's",
        ),
        pytest.param(
            "Meta will buy 10,000 B200s and 5,000 H200s from Supermicro.",
            [(10_000, "supermicro", "announced"), (5_000, "supermicro", "announced")],
            id="a list's seller",
        ),
        pytest.param(
            "Nvidia will supply 10,000 GPUs to Naver and 5,000 GPUs to Kakao.",
            [(10_000, "naver", "announced"), (5_000, "kakao", "announced")],
            id="each figure's own recipient",
        ),
        pytest.param(
            "메타는 AMD로부터 MI355X 2만 장을, 엔비디아로부터 B200 3만 장을 구매한다.",
            [(20_000, "amd", "announced"), (30_000, "nvidia", "announced")],
            id="Korean sellers by model",
        ),
        pytest.param(
            "KT는 델로부터 H100 1만장을, 슈퍼마이크로로부터 H200 2만장을 구매했다.",
            [(10_000, "dell", "announced"), (20_000, "supermicro", "announced")],
            id="Korean sellers written before their figures",
        ),
        pytest.param(
            "Meta signed a deal with CoreWeave for 10,000 H100s and with Oracle for 20,000 GB200s.",
            [(10_000, "coreweave", "announced"), (20_000, "oracle", "announced")],
            id="'with X for N': the party before its figure",
        ),
        pytest.param(
            "OpenAI will deploy 6 gigawatts of AMD GPUs and 10 gigawatts of Nvidia Vera Rubin.",
            [(6, "amd", "announced"), (10, "nvidia", "announced")],
            id="a maker named with its figure, another figure's model not borrowed",
        ),
        pytest.param(
            "삼성SDS는 GPU 1만장을 AMD에서, H100 2만장을 엔비디아에서 들여온다.",
            [(10_000, "amd", "announced"), (20_000, "nvidia", "announced")],
            id="a model written against one figure is not the other's",
        ),
        pytest.param(
            "Meta agreed to rent 10,000 H100s in a deal with CoreWeave, and will rent 5,000 B200s "
            "in a deal with Lambda.",
            [(10_000, "coreweave", "announced"), (5_000, "lambda", "announced")],
            id="a party written after its figure, before the joint",
        ),
        pytest.param(
            "엔비디아는 GB200 1만장을 마이크로소프트에, H200 5000장을 메타에 공급한다.",
            [(10_000, "microsoft", "announced"), (5_000, "meta", "announced")],
            id="Korean recipients written after their figures",
        ),
        pytest.param(
            "OpenAI will rent 100,000 GB200s from Oracle and 50,000 from CoreWeave.",
            [(100_000, "oracle", "announced"), (50_000, "coreweave", "announced")],
            id="a bare figure's own seller",
        ),
    ],
)
def test_each_figure_has_its_own_seller(
    text: str, read: list[tuple[float, str, str]]
) -> None:
    assert _read(text) == read


@pytest.mark.parametrize(
    ("text", "statuses"),
    [
        pytest.param(
            "Meta cancelled its order for 10,000 H100s but will buy 20,000 B200s from Nvidia.",
            ["cancelled", "announced"],
            id="a contrast ends the cancellation",
        ),
        pytest.param(
            "Microsoft completed the installation of 10,000 H100s and plans to buy 50,000 B200s.",
            ["completed", "planned"],
            id="each clause its own status",
        ),
        pytest.param(
            "Microsoft plans to buy 100,000 B200s and 50,000 H200s.",
            ["planned", "planned"],
            id="a list shares its status",
        ),
        pytest.param(
            "Microsoft plans to buy 10,000 H100s and deploy 20,000 B200s.",
            ["planned", "planned"],
            id="two verbs of one plan",
        ),
        pytest.param(
            "카카오는 H100 1만 장의 도입을 완료했고, B200 2만 장을 도입할 계획이다.",
            ["completed", "planned"],
            id="Korean: each clause its own status",
        ),
        pytest.param(
            "카카오는 10만 장의 B200과 5만 장의 H200을 도입할 계획이다.",
            ["planned", "planned"],
            id="Korean: a list shares the verb that ends it",
        ),
        pytest.param(
            "카카오는 H100 1만 장은 취소했지만 B200 2만 장은 도입한다.",
            ["cancelled", "announced"],
            id="Korean: a contrast ends the cancellation",
        ),
        pytest.param(
            "Microsoft's orders of 10,000 H100s and 20,000 B200s were cancelled.",
            ["cancelled", "cancelled"],
            id="a status after the list is the sentence's",
        ),
        pytest.param(
            "Meta plans to buy 20,000 B200s, on top of the 10,000 H100s it has already deployed.",
            ["planned", "completed"],
            id="a status after the last figure is the last's",
        ),
        pytest.param(
            "CoreWeave said 20,000 H100s that it ordered from Dell were delivered in May, and it "
            "plans to buy 30,000 B200s from Supermicro.",
            ["completed", "planned"],
            id="a status before the joint is the figure's before",
        ),
        pytest.param(
            "Oracle had planned to buy 10,000 H100s but cancelled the order and will instead "
            "deploy 20,000 B200s.",
            ["cancelled", "announced"],
            id="the last joint splits, a contrast keeps the list apart",
        ),
        pytest.param(
            "네이버는 이미 도입한 H100 1만장에 더해 내년까지 B200 2만장을 추가로 도입할 계획이다.",
            ["completed", "planned"],
            id="Korean: a status written against its figure",
        ),
        pytest.param(
            "Meta bought 10,000 H100s last year and has cancelled an order for 20,000 B200s.",
            ["announced", "cancelled"],
            id="a figure with its own tensed verb shares no later status",
        ),
        pytest.param(
            "South Korea will buy 10,000 GPUs this year and aims to secure 30,000 by 2030.",
            ["announced", "planned"],
            id="'will buy … and aims to': each its own",
        ),
        pytest.param(
            "네이버는 H100 1만장을 도입했고 B200 2만장 주문은 취소했다.",
            ["announced", "cancelled"],
            id="Korean: a past-tense clause shares no later status",
        ),
        pytest.param(
            "네이버는 H100 1만장 도입을 완료했으며 도입 계획인 최고 사양 B200 2만장은 내년에 "
            "들여온다.",
            ["completed", "planned"],
            id="Korean: 고 inside a noun (최고) is no joint",
        ),
    ],
)
def test_each_figure_has_its_clauses_status(text: str, statuses: list[str]) -> None:
    assert [status for value, _, status in _read(text) if value is not None] == statuses


@pytest.mark.parametrize(
    "text",
    [
        "Microsoft bought 10,000 H100s last year and plans to buy another 20,000 this year.",
        "카카오는 H100 1000장을 도입했으며 연내 2000장을 더 들여올 예정이다.",
    ],
)
def test_a_figure_that_names_nothing_counts_what_the_figure_before_it_does(text: str) -> None:
    assert [f.gpu_model for f in extract(text)] == ["H100", "H100"]


def test_figures_joined_by_a_conjunction_share_their_model() -> None:
    facts = extract("Naver and Kakao plan to buy 10,000 and 5,000 H100s, respectively.")
    assert [(f.subject.id, f.gpu_model) for f in facts] == [("naver", "H100"), ("kakao", "H100")]


def test_a_speed_up_against_another_model_is_no_commitment_of_it() -> None:
    facts = extract("Meta will buy 10,000 B200s, which are 4 times faster than the H100.")
    assert [(f.quantity.value if f.quantity else None, f.gpu_model) for f in facts] == [
        (10000, "B200")
    ]
