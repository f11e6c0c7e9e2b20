"""What could be done is no commitment: a figure whose own verb is hedged — may, might, could,
can, "is likely to", "the option to" before it; 할 수 있다, 할 수도 있다, 도입이 가능하다, 가능성
after it — or what a site can hold (수용할 수 있는 데이터센터, "a data center that can house").
The verbs beside it keep their figures: a modal in another clause or of another verb, a purpose
(할 수 있도록, "so that … can"), a figure already agreed ("the 30,000 GPUs could be delivered in
May"), what could be done and was (확보할 수 있었다), and "May" the month.  Nor is what a
sentence only asks whether ("Will Meta buy 10,000 GPUs?", GPU 5만장 확보하나?), unlike what a
question takes as done: a question of why, one after the fact, a verb outside what it asks.
Known miss: "it could deploy the 10,000 GPUs it bought" drops the purchase with the deployment."""

from __future__ import annotations

import pytest

from services.extractor.extract import extract


@pytest.mark.parametrize(
    "text",
    [
        "Microsoft may buy up to 5,000 more H100s from Nvidia.",
        "Microsoft might buy 10,000 GPUs from Nvidia.",
        "Microsoft could buy 10,000 GPUs from Nvidia, people familiar with the talks said.",
        "xAI might deploy an additional 100,000 GPUs at its Memphis site later this year.",
        "Up to 20,000 H100 GPUs could be purchased by the Korean government next year.",
        "Microsoft is likely to buy 50,000 more Nvidia GPUs next year, people familiar said.",
        "SK hynix could supply HBM4 to Nvidia, analysts said.",
        "네이버는 엔비디아 GPU 1만개를 도입할 수 있다고 밝혔다.",
        "KT는 GPU 2000장을 업스테이지에 임대할 수도 있다.",
        "네이버는 내년 상반기까지 GPU 1만장을 확보할 수 있을 것으로 보고 있다.",
        "정부는 내년 상반기 중 GPU 1만장 도입이 가능하다고 밝혔다.",
        "KT는 GPU 1만개를 수용할 수 있는 데이터센터를 짓는다.",
        "Microsoft may have bought 10,000 GPUs from Nvidia.",
        "Microsoft will likely buy 50,000 GPUs next year.",
        "Microsoft could reportedly buy 10,000 GPUs.",
        "Amazon may not order the 40,000 Trainium chips it had planned.",
        "카카오는 결국 GPU 1만장을 확보할 수 없었다.",
        "삼성전자는 1조원 규모의 투자를 단행할 수 있다.",
        "LG유플러스는 연내 GPU 3000장 확보도 가능하다.",
        "KT는 GPU 1만장을 도입할지도 모른다.",
        "SK텔레콤은 GPU 2만장을 동시에 운용할 수 있는 데이터센터를 짓는다.",
        "The contract could rise to $19.4 billion if Microsoft buys additional services.",
        "네이버클라우드는 향후 GPU를 1만5000장으로 늘릴 수 있도록 데이터센터를 설계한다.",
    ],
)
def test_what_could_be_done_is_no_commitment(text: str) -> None:
    assert extract(text) == []


@pytest.mark.parametrize(
    ("text", "subject", "value"),
    [
        ("Microsoft bought 10,000 GPUs, which it could deploy by 2026.", "microsoft", 10_000),
        ("CoreWeave bought 20,000 GPUs it may lease to Microsoft.", "coreweave", 20_000),
        ("Microsoft in May ordered 10,000 GB200 GPUs from Nvidia.", "microsoft", 10_000),
        ("Oracle said the 30,000 GPUs could be delivered in May.", "oracle", 30_000),
        ("보다 많은 기업이 GPU를 확보할 수 있도록 정부는 GPU 1만장을 구매한다.", "kr-government",
         10_000),
        ("네이버는 GPU 1만개를 도입해 AI 모델을 개발할 수 있게 됐다.", "naver", 10_000),
        ("네이버는 GPU 1만개를 도입했으며 향후 추가로 확보할 수 있다고 밝혔다.", "naver", 10_000),
        ("네이버는 GPU 1만개를 확보할 수 있었다.", "naver", 10_000),
        ("네이버는 즉시 도입할 수 있는 GPU 1만개를 엔비디아로부터 구매했다.", "naver", 10_000),
        ("KT는 GPU 1만개를 수용할 수 있는 데이터센터에 5000억원을 투자한다.", "kt", 5e11),
        ("KT will invest 1 trillion won in a data center that can house 20,000 GPUs.", "kt",
         1e12),
        ("xAI could deploy Blackwell chips later, but for now it operates 200,000 H100s in "
         "Memphis.", "xai", 200_000),
        ("Nvidia signed a deal to supply GPUs to Humain that could be worth $10 billion.",
         "nvidia", 10e9),
        ("Dell shipped 1,000 72-GPU NVL72 racks to xAI.", "dell", 1000),
        ("정부는 GPU 1만장 확보가 가능해짐에 따라 이를 연구기관에 배분한다.", "kr-government",
         10_000),
        ("KT는 엔비디아와 GPU 1만장을 확보할 수 있는 계약을 체결했다.", "kt", 10_000),
        ("KT는 GPU 1만장 데이터센터를 구축한다.", "kt", 10_000),
        ("정부는 20개 AI 스타트업에 GPU 1000장을 공급한다.", "kr-government", 1000),
    ],
)  # fmt: skip
def test_a_possibility_beside_the_commitment_leaves_it_alone(
    text: str, subject: str, value: float
) -> None:
    [fact] = extract(text)
    assert fact.subject.id == subject
    assert fact.quantity is not None and fact.quantity.value == value


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("Microsoft will buy 10,000 GPUs and could order another 10,000 next year.", 10_000),
        ("네이버는 GPU 5000장을 구매하며 향후 1만장까지 늘릴 수 있다.", 5000),
    ],
)
def test_only_the_hedged_figure_of_two_is_dropped(text: str, kept: float) -> None:
    assert [f.quantity.value for f in extract(text) if f.quantity is not None] == [kept]


def test_a_figure_in_the_clause_before_a_hedged_verb_keeps_its_own() -> None:
    """이며 ends the 3,000's clause: the hedged 구매할 수 있는 after it is another figure's."""
    text = "카카오가 구매한 GPU는 3000장이며 추가로 구매할 수 있는 물량은 2000장이다."
    figures = [f.quantity.value for f in extract(text) if f.quantity is not None]
    assert figures[0] == 3000


def test_a_relation_is_told_by_a_verb_that_is_not_hedged() -> None:
    [fact] = extract("Micron, which may also supply Nvidia, agreed to supply HBM3E to AMD.")
    assert (fact.type, fact.subject.id, fact.counterparty and fact.counterparty.id) == (
        "supply", "micron", "amd"
    )


@pytest.mark.parametrize(
    "text",
    [
        "Microsoft is considering whether it could buy 10,000 GPUs from Nvidia.",
        "정부는 GPU 3만장을 구매할 수 있을지 검토하고 있다.",
        "KT는 GPU 1만장 조기 도입이 가능할지 검토 중이다.",
    ],
)
def test_whether_it_could_is_weighed_not_dropped(text: str) -> None:
    [fact] = extract(text)
    assert fact.status == "negotiating"


@pytest.mark.parametrize(
    "text",
    [
        "Will Meta buy 10,000 Nvidia GPUs this year?",
        "Is Microsoft buying 50,000 more H100s from Nvidia?",
        "Has Oracle ordered 30,000 GB200 GPUs?",
        "Could Nvidia supply 50,000 GPUs to Saudi Arabia?",
        '"Will SK hynix supply HBM4 to Nvidia next year?"',
        "Will Nvidia and Samsung sign a partnership?",
        "삼성전자, GPU 5만장 확보하나?",
        "네이버, 엔비디아 GPU 1만장 구매할까?",
        "KT는 GPU 1만장을 도입할 계획인가?",
        "삼성전자는 엔비디아와 MOU를 맺을까?",
        "So will Meta buy another 100,000 GPUs next year?",
        "Next year, will xAI deploy 1 million GPUs in Memphis?",
        "Won't Meta buy another 100,000 GPUs next year?",
        "Is it true that Nvidia agreed to supply 18,000 GB300 chips to Humain?",
        "Are Microsoft and OpenAI signing a new partnership agreement?",
        "카카오는 GPU 2000장을 구매할까요?",
        "네이버, 엔비디아 GPU 1만장 확보?",
        "네이버가 GPU 1만장을 확보한다는 게 사실인가?",
        "얼마 전 네이버가 GPU 1만장을 확보했나?",
        "Exclusive: Will Oracle buy 400,000 Nvidia GPUs?",
        "Meta to buy 1 million GPUs?",
        "xAI to deploy 1 million GPUs in Memphis?",
        "네이버, 엔비디아 GPU 1만장 추가 확보하나?(종합)",
    ],
)
def test_what_a_sentence_asks_whether_is_no_commitment(text: str) -> None:
    assert extract(text) == []


@pytest.mark.parametrize(
    ("text", "subject", "value"),
    [
        ("Why did Meta buy 10,000 Nvidia GPUs?", "meta", 10_000),
        ("Meta bought 10,000 GPUs, but will it buy more?", "meta", 10_000),
        ("Meta bought 10,000 GPUs. Will it buy more?", "meta", 10_000),
        ("네이버는 GPU 1만장을 도입한다. 과연 충분할까?", "naver", 10_000),
        ("Did you know Meta bought 350,000 Nvidia H100 GPUs last year?", "meta", 350_000),
        ("Does Oracle's order of 131,072 Blackwell GPUs signal a new arms race?", "oracle",
         131_072),
        ("Has xAI, which deployed 100,000 H100 GPUs in Memphis, outgrown its site?", "xai",
         100_000),
        ("Should investors worry now that CoreWeave has bought 250,000 GPUs?", "coreweave",
         250_000),
        ("지난해 GPU 1만장을 확보한 네이버가 올해 추가 구매하나?", "naver", 10_000),
        ("GPU 2000장을 도입한 카카오는 엔비디아와 파트너십을 맺을까?", "kakao", 2000),
        ("Will Meta slow down after buying 350,000 H100s?", "meta", 350_000),
        ("Does Meta regret buying 350,000 H100s?", "meta", 350_000),
        ("Didn't Meta buy 350,000 H100s last year?", "meta", 350_000),
        ("Microsoft plans to buy 80,000 GPUs this year, but will it be enough?", "microsoft",
         80_000),
        ("엔비디아는 누구에게 GPU 26만장을 공급하나?", "nvidia", 260_000),
        ("네이버가 GPU 1만장을 확보했다지?", "naver", 10_000),
    ],
)  # fmt: skip
def test_a_question_of_why_or_after_the_fact_or_beside_it_leaves_it_alone(
    text: str, subject: str, value: float
) -> None:
    [fact] = extract(text)
    assert fact.subject.id == subject
    assert fact.quantity is not None and fact.quantity.value == value


def test_only_the_figure_a_question_asks_about_is_dropped() -> None:
    text = "엔비디아 GPU 35만장을 구매한 메타가 10만장을 더 사들일까?"
    assert [f.quantity.value for f in extract(text) if f.quantity is not None] == [350_000]


def test_what_a_question_takes_as_done_keeps_its_relation() -> None:
    [fact] = extract("오픈AI와 MOU를 맺은 SK텔레콤이 오픈AI에 투자하나?")
    assert (fact.type, fact.subject.id) == ("partnership", "sk-telecom")
