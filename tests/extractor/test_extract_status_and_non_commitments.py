"""Status and hedging; figures that are not commitments of the organisation."""

from __future__ import annotations

import pytest

from services.extractor.extract import extract


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("SK텔레콤은 엔비디아와 GPU 1만장 공급을 협의 중이다.", "negotiating"),
        ("Microsoft is in talks to buy 20,000 GPUs from Nebius.", "negotiating"),
        ("네이버는 GPU 3000장 도입을 검토 중이다.", "negotiating"),
        ("Samsung plans to deploy 50,000 GPUs in its fab.", "planned"),
        ("포스코그룹은 GPU 1000개 이상을 도입할 예정이다.", "planned"),
        ("SK그룹은 GPU 1만장 도입을 추진한다.", "planned"),
        ("정부는 GPU 1만 장의 반입을 완료했다.", "completed"),
        ("xAI has completed the installation of 100,000 H100 GPUs.", "completed"),
        ("Lambda's 4,000-GPU cluster for Microsoft went live in October.", "completed"),
        ("CoreWeave delivered 20,000 GB200 GPUs to OpenAI.", "completed"),
        ("카카오는 GPU 5000장 도입 계획을 철회했다.", "cancelled"),
        ("한화는 GPU 2000장 구매 계약을 취소했다.", "cancelled"),
        ("Microsoft scrapped plans to deploy 30,000 GPUs in Wisconsin.", "cancelled"),
        ("Meta called off its order for 10,000 GPUs from AMD.", "cancelled"),
        ("카카오는 엔비디아 GPU 2만장을 도입한다.", "announced"),
    ],
)
def test_status_words_set_the_status(text: str, status: str) -> None:
    facts = extract(text)
    assert len(facts) == 1
    assert facts[0].status == status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nvidia said 10,000 GPUs will be delivered to Naver next year.", ("supply", "announced")),
        ("Lambda has not yet received the 5,000 GPUs it ordered.", ("gpu_commitment", "announced")),
        ("KT는 엔비디아 B200 4천 장을 연말까지 입고할 예정이다.", ("gpu_commitment", "planned")),
        ("네이버는 H200 5천 장의 도입을 연내 완료할 계획이다.", ("gpu_commitment", "planned")),
        ("네이버클라우드는 H100 2천 장을 다음 달 개통할 데이터센터에 배치한다.",
         ("gpu_commitment", "announced")),
        ("Samsung said 10,000 H100s have already been deployed.", ("gpu_commitment", "completed")),
        ("SK텔레콤은 GPU 1천 장의 반입을 이미 마쳤다.", ("gpu_commitment", "completed")),
    ],
)  # fmt: skip
def test_a_completion_still_to_come_is_no_completion(text: str, expected: tuple[str, str]) -> None:
    """A completion word in a future or negated form ("will be delivered", 입고할 예정) does not
    make the figure completed, and the verb inside a longer cue still gives the fact's type."""
    [fact] = extract(text)
    assert (fact.type, fact.status) == expected


_STANDS = "a completion beside another still to come stands"
_DENIED = "a completion denied, or still to come, is none"
_PLANNED = "a completion planned in its own clause is planned"


@pytest.mark.parametrize(
    ("text", "status"),
    [
        pytest.param(text, status, id=f"{why}: {text[:40]}")
        for why, status, texts in [
            (_STANDS, "completed", [
                "Nvidia delivered 10,000 GPUs to Naver last month; the rest will be delivered in "
                "March.",
                "SK Telecom has deployed 1,000 GPUs, and its second cluster will come online next "
                "year.",
                "네이버는 H100 1만 장을 이미 도입했으며, 추가 물량은 내년 입고할 예정이다.",
                "SK텔레콤은 GPU 1천 장 설치를 완료하고 다음 달 가동을 시작할 계획이다.",
            ]),
            (_DENIED, "announced", [
                "Naver said its 10,000 H100s haven't been deployed yet.",
                "Oracle said 30,000 GPUs have never been installed.",
                "Naver said its 10,000 H100s have not yet been delivered.",
                "Naver said its 10,000 H100s haven't yet been deployed.",
                "Oracle said the 30,000 GPUs weren't delivered.",
                "Oracle said the 30,000 GPUs could be delivered in May.",
                "Kakao said its 3,000-GPU cluster hasn't gone live.",
                "Nvidia said 10,000 GPUs will be delivered to Naver once the data center is "
                "completed.",
            ]),
            (_PLANNED, "planned", [  # the plan's cue may have taken the "to": "expected to"
                "네이버는 H100 1만 장의 반입을 내년 상반기 완료할 계획이다.",
                "KT는 GPU 2천 장 규모 클러스터의 개통을 내년 완료할 예정이다.",
                "Naver said its 10,000 H100 GPUs are expected to be delivered in March.",
                "Naver said its 10,000 H100 GPU cluster is set to come online next year.",
            ]),
        ]
        for text in texts
    ],
)  # fmt: skip
def test_a_completion_word_counts_only_as_a_completion_done(text: str, status: str) -> None:
    """A completion word counts in its own clause, and not after "to", "will be", "not yet
    been" or the like, nor beside a completion still to come (반입을 … 완료할 계획)."""
    [fact] = extract(text)
    assert fact.status == status


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Meta said 24,000 H100s have been shipped to its Prineville campus.", "completed"),
        ("AMD said 30,000 MI355X accelerators were shipped to Oracle in the quarter.",
         "completed"),
        ("Dell said it shipped 5,000 H100 servers to xAI.", "completed"),
        ("Nvidia shipped about 10,000 H100s to Meta last year.", "completed"),
        ("Supermicro has already shipped 2,000 GB200 racks to xAI.", "completed"),
        ("Nvidia shipped the first 10,000 GB200 GPUs to Microsoft.", "completed"),
        ("Nvidia shipped approximately 10,000 H100s to Meta.", "completed"),
        ("Dell shipped its first 5,000 GB200 servers to CoreWeave.", "completed"),
        ("AMD shipped more than 100,000 MI300X accelerators to Microsoft.", "completed"),
        ("Dell said 5,000 servers shipped with H100s will go to xAI.", "announced"),
        ("Nvidia said 10,000 H100s will be shipped to Meta after they are shipped to Dell.",
         "announced"),
        ("Nvidia said 10,000 H100s haven't been shipped to Meta.", "announced"),
        ("Nvidia said 10,000 H100s have not been successfully shipped to Meta.", "announced"),
        ("Nvidia has not shipped 10,000 H100s to Meta.", "announced"),
        ("Nvidia will have already shipped 10,000 GB200s to Microsoft by June.", "announced"),
        ("Nvidia expects to have shipped 10,000 H100s to Meta by June.", "planned"),
        ("Nvidia is expected to have already shipped 10,000 GB200s to Microsoft by year-end.",
         "planned"),
        ("OpenAI plans to deploy 100,000 GB200s in Abilene, where Oracle has already shipped "
         "the first racks.", "planned"),
        ("xAI plans to add 50,000 H200s after Nvidia has shipped B200s to Meta.", "planned"),
        ("Tesla plans to buy 10,000 H100s once they have been shipped to Dell.", "planned"),
        # the number shipped must be a figure of the sentence, not a span of time or a count
        ("Microsoft will deploy 100,000 GB300s, with the first racks shipped 2 weeks ago.",
         "announced"),
        ("Meta plans to buy 350,000 H100s after 2 clusters were shipped in January.", "planned"),
        # "not just" is emphasis, no denial
        ("Nvidia has not just delivered 10,000 H100s to Meta but also helped install them.",
         "completed"),
    ],
)  # fmt: skip
def test_shipped_is_a_completion_only_with_a_figure_as_its_object_or_subject(
    text: str, status: str
) -> None:
    """"shipped" is done where the figure is what was shipped ("shipped 5,000", "24,000 H100s
    have been shipped"); as a participle ("servers shipped with"), in another clause ("where
    Oracle has shipped the first racks"), or after "not", "will have" or "to have", it is none."""
    facts = [f for f in extract(text) if f.quantity is not None]
    assert [f.status for f in facts] == [status]


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("Supermicro, which has shipped servers to xAI, said Tesla plans to buy 10,000 GPUs.",
         "planned"),
        ("Meta, which is in talks with AMD, bought 10,000 H100s.", "announced"),
        ("Kakao, which cancelled a cloud deal in 2023, will buy 2,000 H100s.", "announced"),
        ("Microsoft, which has deployed GB200s in Wisconsin, is in talks to buy 20,000 MI355X "
         "chips from AMD.", "negotiating"),
        # after the figure, such a clause may tell of its goods: it stays the figure's
        ("Meta bought 10,000 H100s from Nvidia, which were delivered in March.", "completed"),
        ("Meta bought 10,000 H100s from Nvidia, which delivered them last month.", "completed"),
        ("Nvidia supplied 10,000 H100s to CoreWeave, which has installed the chips in its New "
         "Jersey data center.", "completed"),
        # a clause after an organisation named in a phrase may tell of the deal
        ("Microsoft's deal with CoreWeave, which was scrapped on Friday, covered 100,000 GPUs.",
         "cancelled"),
    ],
)  # fmt: skip
def test_status_words_in_an_aside_about_an_organisation_are_not_the_figure_s(
    text: str, status: str
) -> None:
    """A clause set off after an organisation before the figure (", which is in talks with
    AMD,") tells of that organisation, not of the figure; one after the figure is left alone."""
    facts = [f for f in extract(text) if f.quantity is not None]
    assert [f.status for f in facts] == [status]


def test_a_figure_with_a_tensed_verb_of_its_own_takes_no_status_from_the_one_before() -> None:
    facts = extract("AMD shipped 30,000 MI300X chips to Microsoft and will ship 50,000 MI355X "
                    "chips next year.")  # fmt: skip
    assert [f.status for f in facts] == ["completed", "announced"]
    hedged = extract("AMD shipped 30,000 MI300X chips to Microsoft and could ship 50,000 MI355X "
                     "chips next year.")  # fmt: skip
    assert [(f.status, f.quantity.value if f.quantity else None) for f in hedged] == [
        ("completed", 30_000)  # what could be shipped is no commitment
    ]
    listed = extract("Nvidia delivered 10,000 H100s to Meta last month and 5,000 B200s this week.")
    assert [f.status for f in listed] == ["completed", "completed"]


def test_an_aside_keeps_its_own_figure_and_facts() -> None:
    """The aside's status words leave only the figures after it: its own figure, and a
    partnership it states, keep theirs."""
    both = extract("xAI, which has installed one million GPUs in Memphis, plans to buy 50,000 "
                   "GB200s.")  # fmt: skip
    assert sorted((f.quantity.value if f.quantity else None, f.status) for f in both) == [
        (50_000, "planned"), (1_000_000, "completed"),
    ]  # fmt: skip
    talks = extract("Meta bought 10,000 H100s from Nvidia, which is in talks with OpenAI about "
                    "a partnership.")  # fmt: skip
    assert [(f.type, f.subject.id, f.status) for f in talks if f.type == "partnership"] == [
        ("partnership", "nvidia", "negotiating")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Naver, which operates 3,000 H100 GPUs, won't buy more this year.",
        "SK Telecom, whose AI cluster has 1,000 GPUs, did not buy new chips this quarter.",
        "Microsoft reached an agreement with OpenAI on AI compute.",
    ],
)
def test_a_verb_inside_a_denial_or_another_cue_states_nothing(text: str) -> None:
    assert extract(text) == []


def test_concluded_talks_are_no_longer_negotiating() -> None:
    facts = extract("SK하이닉스는 엔비디아와 HBM4 공급 협의를 마무리했다.")
    assert [(f.type, f.status) for f in facts] == [("supply", "announced")]


def test_never_a_commitment_cancels_the_figure_stated_before() -> None:
    text = (
        "Nvidia had said it would invest up to $100 billion in OpenAI's AI infrastructure.\n"
        "On Tuesday, Nvidia said the $100 billion figure was never a commitment."
    )
    facts = extract(text)
    assert [(f.type, f.subject.id, f.status) for f in facts] == [
        ("investment", "nvidia", "cancelled")
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Korea's installed GPU capacity will grow from roughly 65,000 to over 300,000.",
        "국내 GPU 보유량은 6만5000장에서 30만장 이상으로 늘어난다.",
        "AI 반도체 시장 규모는 2030년 1조 달러에 이를 전망이다.",
        "The global AI chip market could reach $400 billion by 2030.",
        "Analysts estimate Microsoft will buy 500,000 GPUs this year.",
        "업계는 엔비디아가 내년 한국에 GPU 10만장을 추가 공급할 것으로 전망한다.",
        "증권가는 SK하이닉스가 내년 HBM에서 20조원의 매출을 올릴 것으로 추정했다.",
        "정부의 내년 저출산 대응 예산은 20조원으로 편성됐다.",
        "The government's budget for childcare rose to $20 billion.",
        "Nvidia's revenue rose 56% to $46.7 billion in the quarter.",
        "Each Blackwell GPU costs between $30,000 and $40,000.",
        "GB200 NVL72 랙 하나는 72개의 블랙웰 GPU로 구성된다.",
    ],
)
def test_installed_bases_markets_estimates_and_budgets_are_not_commitments(text: str) -> None:
    assert extract(text) == []


@pytest.mark.parametrize(
    ("text", "read"),
    [
        # a difference is no figure of a commitment, and "than planned" no plan
        ("Nvidia shipped 10,000 fewer GPUs than planned to Meta.",
         [("supply", None, "announced")]),
        ("Meta bought 5,000 more H100s than Google.", []),
        ("Meta bought 5,000 more H100 GPUs from Nvidia than Google.", []),
        ("Meta will buy 10,000 more GPUs this year than last year.", []),
        # the "than" of a word in the phrase after "more" is not the figure's
        ("Oracle will buy 30,000 more GPUs from Nvidia rather than AMD.",
         [("gpu_commitment", 30000, "announced")]),
        ("Microsoft will add 20,000 more GPUs in fewer than six months.",
         [("gpu_commitment", 20000, "announced")]),
        ("Meta will deploy 350,000 more GPUs to build AI smarter than humans.",
         [("gpu_commitment", 350000, "announced")]),
        ("Nvidia will ship 5,000 more GPUs to Meta than to Google.",
         [("supply", None, "announced")]),
        ("Meta will spend $2 billion less on data centers this year.", []),
        ("Meta bought 12,000 H100s, more than planned.",
         [("gpu_commitment", 12000, "announced")]),
        ("Meta will buy 350,000 H100s, 50,000 more than last year.",
         [("gpu_commitment", 350000, "announced")]),
        ("Oracle deployed 20,000 GPUs faster than projected.",
         [("gpu_commitment", 20000, "announced")]),
        ("Meta installed 30,000 GPUs sooner than the company had planned.",
         [("gpu_commitment", 30000, "announced")]),
        # an addition is one, "less than a year ago" a time, "less capable" a kind of chip,
        # and a "than" after other words is not the figure's
        ("Meta will buy 5,000 more H100s.",
         [("gpu_commitment", 5000, "announced")]),
        ("Meta bought 10,000 GPUs less than a year ago.",
         [("gpu_commitment", 10000, "announced")]),
        ("Nvidia will ship 50,000 less capable H20 chips to China.",
         [("supply", 50000, "announced")]),
        ("CoreWeave will add 20,000 more GPUs across more than 30 data centers.",
         [("gpu_commitment", 20000, "announced")]),
        ("Meta will buy 5,000 more H100s rather than wait for Blackwell.",
         [("gpu_commitment", 5000, "announced")]),
        # in Korean: a figure after 보다, 대비 or 비해 and before a word of more or less
        ("네이버는 당초 계획보다 1만장 적은 GPU 3만장을 도입한다.",
         [("gpu_commitment", 30000, "announced")]),
        ("삼성전자는 예상보다 1만장 많은 GPU를 확보했다.", []),
        ("SK텔레콤은 GPU를 계획보다 2000장 더 도입한다.", []),
        ("xAI는 당초 계획보다 GPU 5만장을 더 도입한다.", []),
        ("네이버는 당초 계획보다 약 1만장 많은 GPU를 도입한다.", []),
        ("카카오는 작년보다 5000장 늘어난 GPU 2만장을 구매했다.",
         [("gpu_commitment", 20000, "announced")]),
        ("삼성은 전년 대비 2조원 증가한 10조원을 AI 인프라에 투자한다.",
         [("investment", 10e12, "announced")]),
        ("정부는 작년에 비해 1조원 늘린 3조원을 GPU 확보에 투입한다.",
         [("investment", 3e12, "announced")]),
        ("네이버는 계획보다 빨리 GPU 3만장을 도입했다.",
         [("gpu_commitment", 30000, "announced")]),
        ("SK텔레콤은 예정보다 일찍 B200 2000장을 받았다.",
         [("gpu_commitment", 2000, "announced")]),
        # a comparison with the figure's own plan keeps the plan
        ("SK텔레콤은 GPU 1000장 구매 계획에 비해 실제 도입은 500장에 그쳤다.",
         [("gpu_commitment", 1000, "planned"), ("gpu_commitment", 500, "announced")]),
        # a request or an approval received is no goods received
        ("삼성전자는 엔비디아로부터 HBM3E 품질 인증을 받았다.", []),
        # a figure with no word of more or less after it is what it counts, and 대비해 is
        # "in preparation for"
        ("삼성전자는 AI 수요에 대비해 2000억원을 추가 투자한다.",
         [("investment", 2e11, "announced")]),
        ("오픈AI는 마이크로소프트보다 GPU 10만장을 먼저 확보했다.",
         [("gpu_commitment", 100000, "announced")]),
        ("KT는 당초 예상보다 적은 GPU 1만장을 도입했다.",
         [("gpu_commitment", 10000, "announced")]),
    ],
)  # fmt: skip
def test_a_figure_compared_with_another_is_no_commitment(
    text: str, read: list[tuple[str, float | None, str]]
) -> None:
    facts = extract(text)
    assert [(f.type, f.quantity.value if f.quantity else None, f.status) for f in facts] == read


def test_an_estimate_in_another_clause_leaves_the_commitment_alone() -> None:
    text = (
        "삼성전자는 GPU 5만장을 도입할 계획이며, "
        "업계는 이를 통해 생산성이 30% 높아질 것으로 전망한다."
    )
    facts = extract(text)
    assert [(f.subject.id, f.quantity.value if f.quantity else None) for f in facts] == [
        ("samsung-electronics", 50000)
    ]


def test_a_commitment_next_to_a_market_forecast_is_kept() -> None:
    text = (
        "SK Group will spend $1 billion on an AI factory. "
        "The market for AI factories is forecast to reach $50 billion."
    )
    assert [(f.type, f.subject.id) for f in extract(text)] == [("investment", "sk-group")]


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("네이버는 엔비디아에 GPU 1만장 공급을 요청했다.",
         ("gpu_commitment", "naver", "nvidia", "negotiating")),
        ("정부는 엔비디아에 GPU 26만장의 조기 공급을 요청했다.",
         ("gpu_commitment", "kr-government", "nvidia", "negotiating")),
        ("업스테이지는 KT에 GPU 1000장을 임대해 달라고 요청했다.",
         ("gpu_commitment", "upstage", "kt", "negotiating")),
        ("엔비디아는 삼성전자에 HBM4 샘플 공급을 요청했다.",
         ("supply", "samsung-electronics", "nvidia", "negotiating")),
        ("SK하이닉스는 엔비디아로부터 HBM 공급 요청을 받았다.",
         ("supply", "sk-hynix", None, "negotiating")),
        ("Meta requested 10,000 GPUs from Nvidia.",
         ("gpu_commitment", "meta", "nvidia", "negotiating")),
        ("OpenAI is seeking 100,000 GPUs from Oracle.",
         ("gpu_commitment", "openai", "oracle", "negotiating")),
        ("xAI asked Nvidia to supply 50,000 GPUs.", ("supply", "nvidia", None, "negotiating")),
        ("삼성SDS는 엔비디아에 H200 2000장을 판매해 달라고 요청했다.",
         ("gpu_commitment", "samsung-sds", "nvidia", "negotiating")),
        ("SK하이닉스는 엔비디아로부터 HBM4 공급을 요청받았다.",
         ("supply", "sk-hynix", None, "negotiating")),
        ("엔비디아는 GPU 1만장을 네이버에 공급해 달라는 정부 요청을 수용했다.",
         ("supply", "nvidia", "naver", "announced")),
        ("엔비디아는 한국 정부로부터 GPU 1만장을 공급해 달라는 요청을 받았다.",
         ("supply", "nvidia", None, "negotiating")),
        ("삼성전자는 엔비디아의 HBM4 공급 요청을 받아들였다.",
         ("supply", "samsung-electronics", "nvidia", "announced")),
        ("삼성전자는 엔비디아에 HBM4 공급을 요청받아 공급하기로 했다.",
         ("supply", "samsung-electronics", "nvidia", "announced")),
        ("SK하이닉스는 엔비디아에 HBM4를 공급하고 있으며 엔비디아는 공급 확대를 요청했다.",
         ("supply", "sk-hynix", "nvidia", "announced")),
    ],
)  # fmt: skip
def test_a_supply_asked_for_goes_from_the_one_asked_and_is_negotiated(
    text: str, fact: tuple[str, str, str | None, str]
) -> None:
    [found] = extract(text)
    counterparty = found.counterparty.id if found.counterparty else None
    assert (found.type, found.subject.id, counterparty, found.status) == fact


def test_a_request_in_another_clause_leaves_the_purchase_stated() -> None:
    [fact] = extract("카카오는 GPU 2000장을 구매했으며 정부에 추가 지원을 요청했다.")
    assert (fact.subject.id, fact.status) == ("kakao", "announced")


def test_a_request_received_for_another_supply_leaves_the_supply_stated() -> None:
    text = "삼성전자는 HBM3E를 엔비디아에 공급하고 있으며 AMD로부터도 공급 요청을 받았다."
    [fact] = extract(text)
    assert (fact.type, fact.counterparty and fact.counterparty.id, fact.status) == (
        "supply", "nvidia", "announced"
    )


def test_a_hope_that_a_supply_goes_ahead_is_no_request() -> None:
    [fact] = extract("정부는 엔비디아가 GPU 26만장을 약속대로 공급해줄 것을 기대했다.")
    assert fact.status == "announced"


@pytest.mark.parametrize(
    "text",
    [
        "엔비디아는 네이버의 GPU 1만장 추가 공급 요청을 거절했다.",
        "SK하이닉스는 엔비디아의 HBM4 공급 요청을 거절했다.",
        "삼성전자는 엔비디아에 HBM4를 공급해 달라는 요청을 거절했다.",
        "KT는 GPU 2000장을 업스테이지에 임대하는 것을 거부했다.",
        "엔비디아는 KT에 H100 2000장을 공급할 것을 거절했다.",
        "Nvidia rejected Oracle's request for 10,000 additional GPUs.",
    ],
)
def test_a_request_refused_is_no_supply(text: str) -> None:
    assert extract(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("엔비디아는 네이버의 GPU 1만장 공급 요청을 거절하지 않고 수락했다.", 10_000),
        ("엔비디아는 네이버의 GPU 1만장 공급 요청을 거절할 수 없어 공급하기로 했다.", 10_000),
        ("엔비디아가 네이버의 GPU 1만장 공급 요청을 거절했다는 소문은 사실이 아닌 것으로 "
         "드러났다.", 10_000),
        ("Microsoft, which declined to detail orders for 50,000 GPUs, said it bought them from "
         "Nvidia.", 50_000),
    ],
)  # fmt: skip
def test_a_refusal_denied_or_of_another_kind_leaves_the_figure(text: str, value: float) -> None:
    [fact] = extract(text)
    assert fact.quantity is not None and fact.quantity.value == value


def test_a_request_in_a_relative_clause_leaves_the_sentence_its_status() -> None:
    [fact] = extract("Humain, which requested 20,000 GPUs, will receive them from Nvidia.")
    assert fact.status == "announced"


def test_a_refusal_of_another_request_leaves_the_supply_stated() -> None:
    text = "엔비디아는 네이버에 GPU 1만장을 공급하고, 카카오의 추가 공급 요청은 거절했다."
    [fact] = extract(text)
    assert (fact.counterparty and fact.counterparty.id, fact.status) == ("naver", "announced")
