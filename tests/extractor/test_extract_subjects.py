"""Who committed: subjects, distributive sentences, pairs, references, counterparties."""

from __future__ import annotations

import pytest

from services.core.models import FactV1
from services.extractor.extract import extract


def _summary(facts: list[FactV1]) -> list[tuple[str, str, str | None, float | None]]:
    return [
        (
            f.type,
            f.subject.id,
            f.counterparty.id if f.counterparty else None,
            f.quantity.value if f.quantity else None,
        )
        for f in facts
    ]


def test_each_distributes_an_english_figure_over_every_organisation() -> None:
    facts = extract("Hyundai Motor, Samsung and SK will each install up to 50,000 GPUs.")
    assert [f.subject.id for f in facts] == [
        "hyundai-motor-group", "samsung-electronics", "sk-group"
    ]
    assert {(f.quantity.value, f.quantity.qualifier) for f in facts if f.quantity} == {
        (50000, "up_to")
    }


def test_gakgak_distributes_a_korean_figure_over_every_organisation() -> None:
    facts = extract("삼성·SK·현대차 각각 최대 5만 개의 GPU를 도입한다.")
    assert [f.subject.id for f in facts] == [
        "samsung-electronics", "sk-group", "hyundai-motor-group"
    ]


def test_bare_figure_after_a_gpu_sentence_counts_gpus() -> None:
    text = (
        "Nvidia will deploy its newest GPUs across Korea. "
        "Hyundai Motor, Samsung and SK will each install up to 50,000."
    )
    assert _summary(extract(text)) == [
        ("gpu_commitment", "hyundai-motor-group", "nvidia", 50000),
        ("gpu_commitment", "samsung-electronics", "nvidia", 50000),
        ("gpu_commitment", "sk-group", "nvidia", 50000),
    ]


def test_respectively_pairs_organisations_with_figures_in_order() -> None:
    facts = extract("Samsung and SK hynix will buy 30,000 and 20,000 GPUs, respectively.")
    assert [(f.subject.id, f.quantity.value if f.quantity else None) for f in facts] == [
        ("samsung-electronics", 30000),
        ("sk-hynix", 20000),
    ]


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("OpenAI will buy 100,000 and 50,000 GPUs from Nvidia and AMD, respectively.",
         [("gpu_commitment", "openai", "nvidia", 100000),
          ("gpu_commitment", "openai", "amd", 50000)]),
        ("오픈AI는 엔비디아와 AMD로부터 GPU를 각각 10만장, 5만장 구매한다.",
         [("gpu_commitment", "openai", "nvidia", 100000),
          ("gpu_commitment", "openai", "amd", 50000)]),
        ("Nvidia will supply 10,000 and 5,000 GPUs to Meta and xAI, respectively.",
         [("supply", "nvidia", "meta", 10000), ("supply", "nvidia", "xai", 5000)]),
        ("CoreWeave will lease 10,000 and 5,000 GPUs to OpenAI and Microsoft, respectively.",
         [("supply", "coreweave", "openai", 10000), ("supply", "coreweave", "microsoft", 5000)]),
        # a list after one preposition, with commas ("to Meta, xAI and Oracle")
        ("Nvidia will supply 10,000, 20,000 and 5,000 GPUs to Meta, xAI and Oracle, "
         "respectively.",
         [("supply", "nvidia", "meta", 10000), ("supply", "nvidia", "xai", 20000),
          ("supply", "nvidia", "oracle", 5000)]),
        ("Nvidia will supply 10,000, 20,000 and 5,000 GPUs to Meta, xAI, and Oracle, "
         "respectively.",
         [("supply", "nvidia", "meta", 10000), ("supply", "nvidia", "xai", 20000),
          ("supply", "nvidia", "oracle", 5000)]),
        # an opening phrase ends at its comma: what follows is the subject
        ("After talks with Nvidia, Microsoft and OpenAI agreed to buy 10,000 GPUs.",
         [("gpu_commitment", "microsoft", "nvidia", 10000)]),
        ("As part of Nvidia's deal with Korea, Samsung, SK and Hyundai will each buy 50,000 "
         "GPUs.",
         [("gpu_commitment", "samsung-electronics", "nvidia", 50000),
          ("gpu_commitment", "sk-group", "nvidia", 50000),
          ("gpu_commitment", "hyundai-motor-group", "nvidia", 50000),
          ("partnership", "nvidia", "korea", None)]),
        ("Meta and Microsoft will buy 100,000 and 50,000 GPUs from Nvidia and AMD, respectively.",
         [("gpu_commitment", "meta", "nvidia", 100000),
          ("gpu_commitment", "microsoft", "amd", 50000)]),
        # places are no counterparties; a partnership "between" two is the subject
        ("SK텔레콤은 미국과 한국에 각각 GPU 1000장, 2000장을 구축했다.",
         [("gpu_commitment", "sk-telecom", None, 1000),
          ("gpu_commitment", "sk-telecom", None, 2000)]),
        ("A partnership between Oracle and OpenAI will deploy 400,000 GPUs in Texas.",
         [("gpu_commitment", "openai", "oracle", 400000)]),
        # a Korean pair with no particle after its second name stays one group
        ("엔비디아와 AMD 각각 GPU 1만장을 공급한다.",
         [("supply", "nvidia", None, 10000), ("supply", "amd", None, 10000)]),
        # organisations of one subject are no counterparties of each other
        ("메타와 마이크로소프트는 각각 GPU 10만장과 5만장을 구매한다.",
         [("gpu_commitment", "meta", None, 100000), ("gpu_commitment", "microsoft", None, 50000)]),
    ],
)  # fmt: skip
def test_respectively_pairs_counterparties_with_figures_in_order(
    text: str, summary: list[tuple[str, str, str | None, int]]
) -> None:
    assert _summary(extract(text)) == summary


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("엔비디아는 삼성전자와 SK그룹에 각각 GPU 5만장을 공급한다.",
         [("supply", "nvidia", "samsung-electronics", 50000),
          ("supply", "nvidia", "sk-group", 50000)]),
        ("KT는 GPU 5000장을 업스테이지와 리벨리온에 각각 공급한다.",
         [("supply", "kt", "upstage", 5000), ("supply", "kt", "rebellions", 5000)]),
        ("Nvidia will supply 50,000 GPUs each to Samsung, SK Group and Hyundai.",
         [("supply", "nvidia", "samsung-electronics", 50000),
          ("supply", "nvidia", "sk-group", 50000),
          ("supply", "nvidia", "hyundai-motor-group", 50000)]),
        # without "each" the figure is the recipients' together, told as the first's
        ("Nvidia will supply 50,000 GPUs to Samsung and SK Group.",
         [("supply", "nvidia", "samsung-electronics", 50000)]),
        ("Nvidia will sell 30,000 GPUs to Meta, xAI and Oracle, respectively its largest "
         "customers.", [("supply", "nvidia", "meta", 30000)]),
    ],
)  # fmt: skip
def test_a_figure_supplied_to_each_of_several_is_one_supply_per_recipient(
    text: str, summary: list[tuple[str, str, str | None, int]]
) -> None:
    assert _summary(extract(text)) == summary


def test_yangsa_resolves_to_the_pair_named_before() -> None:
    text = (
        "LG전자는 엔비디아와 로봇 분야에서 협력한다. "
        "양사는 GPU 5000장 규모의 인프라를 함께 구축한다."
    )
    assert _summary(extract(text)) == [("gpu_commitment", "lg-electronics", "nvidia", 5000)]


def test_the_two_companies_resolves_to_the_pair_named_before() -> None:
    text = (
        "KT and Microsoft signed a partnership on AI. "
        "The two companies will invest $1.7 billion in cloud infrastructure."
    )
    assert _summary(extract(text)) == [("investment", "kt", "microsoft", 1.7e9)]


def test_the_company_refers_to_the_previous_subject() -> None:
    text = "Naver Cloud unveiled its AI strategy. The company plans to secure 10,000 more GPUs."
    facts = extract(text)
    assert _summary(facts) == [("gpu_commitment", "naver-cloud", None, 10000)]
    assert facts[0].status == "planned"


def test_a_sentence_without_subject_continues_the_previous_one() -> None:
    text = "SK하이닉스는 청주에 새 공장을 짓는다. 이와 함께 연구용 GPU 2000장을 도입한다."
    assert _summary(extract(text))[0][:2] == ("gpu_commitment", "sk-hynix")


def test_the_subject_is_the_topic_not_the_first_organisation() -> None:
    facts = extract("In a deal with Nvidia, Samsung will buy 20,000 GPUs for its fabs.")
    assert _summary(facts) == [("gpu_commitment", "samsung-electronics", "nvidia", 20000)]


def test_a_speaker_is_not_the_subject() -> None:
    facts = extract("Samsung will deploy 50,000 Nvidia GPUs, Nvidia CEO Jensen Huang said.")
    assert _summary(facts) == [("gpu_commitment", "samsung-electronics", "nvidia", 50000)]


def test_a_title_passes_its_particle_to_the_organisation() -> None:
    facts = extract("젠슨 황 엔비디아 CEO는 일본에 GPU 1만 장을 우선 공급하겠다고 밝혔다.")
    assert _summary(facts) == [("supply", "nvidia", "japan", 10000)]


def test_a_receiving_verb_makes_the_subject_the_buyer() -> None:
    facts = extract("오픈AI는 AMD로부터 6기가와트 규모의 GPU를 공급받는다.")
    assert _summary(facts) == [("gpu_commitment", "openai", "amd", 6)]
    assert facts[0].quantity is not None and facts[0].quantity.unit == "GW"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SK하이닉스는 엔비디아로부터 HBM 주문을 받았다.", ("sk-hynix", "nvidia", None)),
        ("SK하이닉스는 엔비디아로부터 HBM4를 수주했다.", ("sk-hynix", "nvidia", None)),
        ("델은 xAI로부터 GPU 서버 5만대를 수주했다.", ("dell", "xai", 50000)),
        ("슈퍼마이크로는 xAI로부터 GPU 서버 5000대 주문을 받았다.", ("supermicro", "xai", 5000)),
        ("SK hynix has received orders for 10,000 HBM4 stacks from Nvidia.",
         ("sk-hynix", "nvidia", None)),
        ("Supermicro won an order for 10,000 GPU servers from xAI.", ("supermicro", "xai", 10000)),
    ],
)  # fmt: skip
def test_an_order_won_is_a_supply_to_the_one_it_came_from(
    text: str, expected: tuple[str, str, float | None]
) -> None:
    """수주, 주문을 받았다 and "received orders": the subject sells to the buyer named with
    로부터 or "from" (before: the buyer read as the supplier, or nothing); an order won is no
    delivery, though "has received" is."""
    facts = extract(text)
    assert _summary(facts) == [("supply", *expected)]
    assert facts[0].status == "announced"


@pytest.mark.parametrize(
    "text",
    [
        "삼성전자의 HBM 수주 잔고는 20조원에 달한다.",
        "삼성전자와 SK하이닉스가 엔비디아 HBM4 수주 경쟁을 벌이고 있다.",
        "삼성전자는 엔비디아로부터 HBM3E 수주에 실패했다.",
        "SK하이닉스는 엔비디아로부터 HBM4를 수주하지 못했다.",
        "Samsung has not received orders from Nvidia for HBM3E.",
        "SK hynix may receive orders from Broadcom for custom HBM.",
        "Nvidia received orders from the US government to stop selling H20 chips to China.",
        "Nvidia received an order from the US government barring sales of 10,000 H20 chips.",
        "Nvidia received an order from the White House to stop shipments of H20 chips to China.",
        "Samsung has not yet won an order from Nvidia for HBM3E.",
        "Samsung never received orders from Nvidia for HBM3E.",
        "SK하이닉스는 아직 엔비디아로부터 HBM4 물량을 수주한 바 없다고 밝혔다.",
        "삼성전자는 엔비디아로부터 HBM4 물량을 수주할지 불투명하다.",
        "델은 xAI로부터 GPU 서버 1만대를 수주할 수도 있다.",
        "삼성전자가 엔비디아 HBM4 물량을 수주할 경우 실적이 크게 개선될 것으로 보인다.",
        "삼성전자는 엔비디아로부터 HBM4를 수주해야 HBM 시장에서 반등할 수 있다.",
        "Samsung hopes to receive orders from Nvidia for HBM4 by the end of the year.",
    ],
)
def test_an_order_not_won_or_not_for_goods_is_no_supply(text: str) -> None:
    """수주 as a noun (잔고, 경쟁, 실패), an order denied or only possible, an order to stop."""
    assert extract(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Meta received an order of 10,000 H100 GPUs from Nvidia last week.",
        "Lambda received an order confirmation from Nvidia for 10,000 B200 GPUs.",
    ],
)
def test_an_order_received_by_its_buyer_is_its_commitment(text: str) -> None:
    """"received an order of" and an order confirmation: the goods come to the subject."""
    assert [(f.type, f.counterparty.id if f.counterparty else None) for f in extract(text)] == [
        ("gpu_commitment", "nvidia")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("AMD decided to halt sales of MI308 to China and will sell 20,000 MI355X GPUs to Oracle.",
         ("supply", "amd", "oracle", 20000)),
        ("Supermicro has yet to receive orders from xAI but will deliver 3,000 GPU servers to "
         "CoreWeave this month.", ("supply", "supermicro", "coreweave", 3000)),
        ("Samsung could receive orders from Nvidia and will ship 5,000 HBM4 stacks to AMD.",
         ("supply", "samsung-electronics", "amd", None)),
    ],
)  # fmt: skip
def test_an_order_not_won_or_sales_halted_leave_the_rest_of_the_clause(
    text: str, expected: tuple[str, str, str, float | None]
) -> None:
    """These hide their own verb and block nothing else ("and will sell 20,000 … to Oracle")."""
    assert _summary(extract(text)) == [expected]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Nvidia did not stop selling H100 GPUs to Microsoft during the shortage.",
         [("supply", "nvidia", "microsoft", None)]),
        ("SK hynix has not stopped supplying HBM3E to Nvidia, a spokesperson said.",
         [("supply", "sk-hynix", "nvidia", None)]),
        ("Dell, which won orders from xAI, will ship GB300 GPUs to Meta.",
         [("supply", "dell", "meta", None)]),
        ("Dell received orders from xAI and Meta for 50,000 and 30,000 GPUs, respectively.",
         [("supply", "dell", "xai", 50000), ("supply", "dell", "meta", 30000)]),
        ("Nvidia received orders from OpenAI for GPUs after taking a $5 billion stake in Intel.",
         [("investment", "nvidia", "intel", 5e9)]),
        ("Supermicro received orders from the U.S. government for 5,000 H100 servers.",
         [("supply", "supermicro", "united-states", 5000)]),
        ("슈퍼마이크로는 일본에서 GPU 서버 500대를 수주했다.",
         [("supply", "supermicro", None, 500)]),
        ("HPE won orders from sovereign AI customers in Europe for Nvidia Blackwell systems.",
         [("supply", "hpe", None, None)]),
        ("Dell won orders from Saudi Arabia's Humain for 18,000 GB300 chips.",
         [("supply", "dell", "humain", 18000)]),
        ("슈퍼마이크로는 xAI로부터 GPU 서버 5000대 주문을 받았다.",
         [("supply", "supermicro", "xai", 5000)]),
    ],
)  # fmt: skip
def test_orders_won_and_stops_read_in_context(
    text: str, expected: list[tuple[str, str, str | None, float | None]]
) -> None:
    """A stop denied still sells; an aside's order leaves the main verb's recipient; orders pair
    with "respectively"; a stake is an investment; a government may buy, but 일본에서 is a
    place, and "Nvidia" before "Blackwell systems" their maker."""
    assert _summary(extract(text)) == expected


def test_an_order_won_before_a_korean_figure_is_another_noun_s() -> None:
    """슈퍼마이크로가 수주한 프로젝트: the GPUs in it came from Nvidia, to Supermicro."""
    text = "슈퍼마이크로가 수주한 xAI 프로젝트에는 엔비디아로부터 받은 GPU 10만장이 들어간다."
    assert _summary(extract(text)) == [("gpu_commitment", "supermicro", "nvidia", 100000)]


def test_an_order_won_in_an_aside_leaves_the_main_supply_its_recipient() -> None:
    text = "SK hynix will supply HBM4 to AMD, which won orders from Microsoft for MI450 chips."
    assert _summary(extract(text)) == [("supply", "sk-hynix", "amd", None)]


def test_a_passive_agent_is_the_subject() -> None:
    facts = extract("Up to 100,000 GPUs will be supplied to Saudi Arabia by Nvidia.")
    assert _summary(facts) == [("supply", "nvidia", "saudi-arabia", 100000)]


def test_a_figure_restated_later_is_one_fact() -> None:
    text = "엔비디아는 한국에 GPU 26만장을 공급한다. 이번에 공급되는 26만장은 모두 블랙웰 기반이다."
    facts = extract(text)
    assert _summary(facts) == [("supply", "nvidia", "korea", 260000)]
    assert facts[0].gpu_model == "Blackwell"


def test_unknown_organisations_keep_their_mention_as_name() -> None:
    facts = extract("퓨처텔레콤은 엔비디아 GPU 500장을 도입한다.")
    assert facts[0].subject.id == "unknown:퓨처텔레콤"
    assert facts[0].subject.name == "퓨처텔레콤"


def test_mixed_scripts_in_one_sentence() -> None:
    facts = extract("Samsung Electronics는 NVIDIA에 HBM3E를 공급한다.")
    assert _summary(facts) == [("supply", "samsung-electronics", "nvidia", None)]
    assert facts[0].products == ("HBM3E",)


@pytest.mark.parametrize(
    ("text", "subject", "count"),
    [
        # a passive delivery to its own place, nobody named to sell or receive
        ("Microsoft said 20,000 B200s were delivered to its Iowa data center in May.",
         "microsoft", 20000),
        # an organisation opening the figure's relative clause
        ("The 8,000 B200 GPUs that Naver bought have been installed at its data center.",
         "naver", 8000),
    ],
)  # fmt: skip
def test_gpus_that_came_to_the_subject_are_its_completed_commitment(
    text: str, subject: str, count: int
) -> None:
    facts = extract(text)
    assert _summary(facts) == [("gpu_commitment", subject, "nvidia", count)]
    assert facts[0].status == "completed"


def test_a_passive_delivery_to_a_named_recipient_stays_the_subject_s_supply() -> None:
    assert _summary(extract("Nvidia said 10,000 GPUs were delivered to Microsoft.")) == [
        ("supply", "nvidia", "microsoft", 10000)
    ]
    assert _summary(extract("Microsoft said B200s were delivered to its data center.")) == []


def test_a_relative_clause_names_the_subject_only_with_a_verb_of_obtaining() -> None:
    assert _summary(extract("The roughly 4,000 GPUs that SK Telecom deployed are running.")) == [
        ("gpu_commitment", "sk-telecom", None, 4000)
    ]
    bought_by = "The 10,000 GPUs that Nvidia announced on Monday were purchased by Microsoft."
    assert _summary(extract(bought_by)) == [("gpu_commitment", "microsoft", "nvidia", 10000)]
    assert extract("The 8,000 GPUs that Naver said Samsung Electronics would buy are H100s.") == []


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("Nebius will rent 100,000 GPUs to Microsoft under a five-year deal.",
         ("supply", "nebius", "microsoft", 100000)),
        ("CoreWeave will lease 10,000 H100s to Microsoft.",
         ("supply", "coreweave", "microsoft", 10000)),
        ("The 10,000 GPUs that CoreWeave rents to Microsoft are in Texas.",
         ("supply", "coreweave", "microsoft", 10000)),
        ("Microsoft will rent 100,000 GPUs from Nebius.",
         ("gpu_commitment", "microsoft", "nebius", 100000)),
        ("Microsoft rents 10,000 GPUs from CoreWeave to serve OpenAI.",
         ("gpu_commitment", "microsoft", "coreweave", 10000)),
        ("Microsoft said it will rent 10,000 GPUs to power OpenAI's models.",
         ("gpu_commitment", "microsoft", None, 10000)),
        ("CoreWeave is leasing 250,000 GPUs to Microsoft.",
         ("supply", "coreweave", "microsoft", 250000)),
        # only the figure's own verb rents it out, to someone named with "to", none "from"
        ("Microsoft, which rents GPUs to OpenAI, bought 10,000 H100s.",
         ("gpu_commitment", "microsoft", "nvidia", 10000)),
        ("OpenAI agreed to rent 100,000 GPUs from CoreWeave, which also leases capacity to "
         "Microsoft.", ("gpu_commitment", "openai", "coreweave", 100000)),
        ("Microsoft leased 250,000 GPUs from CoreWeave in 2024 and rented some of them to OpenAI.",
         ("gpu_commitment", "microsoft", "coreweave", 250000)),
        ("CoreWeave bought 20,000 H100s from Nvidia, which it rents to Microsoft.",
         ("gpu_commitment", "coreweave", "nvidia", 20000)),
        ("Google will rent TPUs to Anthropic, and Anthropic will use 1 million TPUs.",
         ("gpu_commitment", "anthropic", "google", 1000000)),
        ("Microsoft will rent 100,000 GPUs for OpenAI from Nebius.",
         ("gpu_commitment", "microsoft", "nebius", 100000)),
        # "to" in another phrase or clause, "rent" as a noun, a verb of renting in an aside
        ("OpenAI will rent 200,000 more GPUs, according to Microsoft.",
         ("gpu_commitment", "openai", None, 200000)),
        ("Microsoft will rent 100,000 GPUs belonging to Nebius.",
         ("gpu_commitment", "microsoft", "nebius", 100000)),
        ("CoreWeave, which leases GPUs to Microsoft, now operates 250,000 GPUs.",
         ("gpu_commitment", "coreweave", "microsoft", 250000)),
        # "leasing" as a noun's modifier is no verb
        ("Nvidia will provide Lambda, a GPU leasing startup, with 10,000 H100s.",
         ("supply", "nvidia", "lambda", 10000)),
    ],
)  # fmt: skip
def test_who_rents_compute_out_to_an_organisation_supplies_it(
    text: str, summary: tuple[str, str, str | None, int]
) -> None:
    """Renting or leasing GPUs *to* a named organisation is a supply of the one who rents them
    out; renting them *from* one is a commitment of the renter."""
    assert _summary(extract(text)) == [summary]


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("Meta will add 10,000 H100 GPUs to its cluster.",
         [("gpu_commitment", "meta", "nvidia", 10000)]),
        ("Meta added 10,000 H100 GPUs this quarter.",
         [("gpu_commitment", "meta", "nvidia", 10000)]),
        ("Meta is adding 10,000 H100 GPUs.", [("gpu_commitment", "meta", "nvidia", 10000)]),
        ("Meta plans an additional 10,000 H100 GPUs for its Texas site.",
         [("gpu_commitment", "meta", "nvidia", 10000)]),
        ("Meta said it would add, over two years, 30,000 GPUs to its fleet.",
         [("gpu_commitment", "meta", None, 30000)]),
        ("Google will add cloud capacity worth $10 billion in Ohio.",
         [("investment", "google", None, 10_000_000_000)]),
        ("Meta announced the addition of 30,000 H100 GPUs to its Louisiana cluster.",
         [("gpu_commitment", "meta", "nvidia", 30000)]),
        # words that merely start with "add" obtain nothing
        ("xAI wants 100,000 GPUs, the address said.", []),
        ("The capacity of 30,000 GPUs will be addressed by Oracle.", []),
        ("Nvidia addressed concerns about the 50,000 H100s bound for China.", []),
        ("Amazon's data center in Addison, Texas, will have 10,000 GPUs.", []),
    ],
)  # fmt: skip
def test_adding_compute_is_obtaining_it_and_words_starting_with_add_are_not(
    text: str, summary: list[tuple[str, str, str | None, int]]
) -> None:
    assert _summary(extract(text)) == summary


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("KT는 업스테이지에 H100 GPU 1000장을 임대했다.", ("supply", "kt", "upstage", 1000)),
        ("네이버클라우드는 삼성전자에 GPU 2000장을 임대하기로 했다.",
         ("supply", "naver-cloud", "samsung-electronics", 2000)),
        ("KT가 업스테이지에 임대한 GPU 1000장은 H100이다.", ("supply", "kt", "upstage", 1000)),
        ("코어위브는 마이크로소프트에 엔비디아 GB200 5만장을 임대했다고 밝혔다.",
         ("supply", "coreweave", "microsoft", 50000)),
        # renting from someone, or being rented to, is the renter's commitment
        ("삼성전자는 네이버클라우드로부터 GPU 2000장을 임대한다.",
         ("gpu_commitment", "samsung-electronics", "naver-cloud", 2000)),
        ("SK텔레콤은 람다로부터 GPU 3000장을 임대해 데이터센터에 배치한다.",
         ("gpu_commitment", "sk-telecom", "lambda", 3000)),
        ("업스테이지는 KT로부터 H100 GPU 1000장을 임대 받아 사용한다.",
         ("gpu_commitment", "upstage", "kt", 1000)),
        # the noun (임대 방식, 임대 사업) is no verb of the figure
        ("정부는 스타트업에 GPU 1만장을 임대 방식으로 제공한다.",
         ("supply", "kr-government", None, 10000)),
        ("카카오는 GPU 임대 사업을 위해 H100 2000장을 구매했다.",
         ("gpu_commitment", "kakao", "nvidia", 2000)),
    ],
)  # fmt: skip
def test_who_rents_compute_out_in_korean_supplies_it(
    text: str, summary: tuple[str, str, str | None, int]
) -> None:
    """임대 to an organisation named with 에 is the lessor's supply; from one named with 로부터 or
    에서, the renter's commitment."""
    assert _summary(extract(text)) == [summary]


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("KT는 카카오에 GPU 1000장을 대여한다.", [("supply", "kt", "kakao", 1000)]),
        ("카카오는 KT로부터 GPU 1000장을 렌탈한다.", [("gpu_commitment", "kakao", "kt", 1000)]),
        # 에 that names no recipient, a country, a request to rent
        ("엔비디아에 대한 의존도를 줄이기 위해 네이버클라우드는 AMD GPU 1000장을 임대했다.",
         [("gpu_commitment", "naver-cloud", "amd", 1000)]),
        ("마이크로소프트에 이어 구글도 GPU 1만장을 임대한다.",
         [("gpu_commitment", "google", None, 10000)]),
        ("KT는 한국에 GPU 1000장을 임대할 계획이다.", [("gpu_commitment", "kt", None, 1000)]),
        ("SK텔레콤은 미국에서 GPU 3000장을 임대한다.",
         [("gpu_commitment", "sk-telecom", None, 3000)]),
        ("업스테이지는 KT에 GPU 1000장을 임대해 달라고 요청했다.",
         [("gpu_commitment", "upstage", "kt", 1000)]),
        # the verb after figures that share it; a lease's price or revenue is no investment
        ("KT는 업스테이지에 GPU 1000장을, 리벨리온에 500장을 임대한다.",
         [("supply", "kt", "upstage", 1000), ("supply", "kt", "rebellions", 500)]),
        ("KT는 GPU 1000장을 업스테이지에 월 10억원에 임대한다.",
         [("supply", "kt", "upstage", 1000)]),
        ("코어위브는 마이크로소프트에 GPU를 임대해 100억달러를 벌어들인다.", []),
    ],
)  # fmt: skip
def test_korean_renting_out_needs_an_organisation_it_goes_to(
    text: str, summary: list[tuple[str, str, str | None, int]]
) -> None:
    assert _summary(extract(text)) == summary


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("Meta will buy 350,000 H100s and spend 30 billion to build new data centers.",
         [("gpu_commitment", "meta", "nvidia", 350000)]),
        ("Microsoft deployed 100,000 GPUs and paid 10 billion to Nvidia.",
         [("gpu_commitment", "microsoft", "nvidia", 100000)]),
        ("xAI deployed 100,000 GPUs and hired 500 to operate them.",
         [("gpu_commitment", "xai", None, 100000)]),
        ("Microsoft will deploy 10,000 to around 20,000 GPUs in Wisconsin.",
         [("gpu_commitment", "microsoft", None, 20000)]),
        ("Nvidia will supply 10,000 GPUs to Meta and 5,000 to xAI.",
         [("supply", "nvidia", "meta", 10000), ("supply", "nvidia", "xai", 5000)]),
        ("Nvidia delayed shipments of 10,000 GB200s to Meta, pushing 5,000 to June.",
         [("supply", "nvidia", "meta", 10000)]),
        ("Nvidia will supply 10,000 GPUs to Meta and 5,000 to AI startups.",
         [("supply", "nvidia", "meta", 10000)]),
        ("Oracle will add 50,000 GPUs, bringing 20,000 to Abilene and 30,000 to Michigan.",
         [("gpu_commitment", "oracle", None, 50000)]),
    ],
)  # fmt: skip
def test_a_number_before_to_counts_gpus_only_when_a_name_follows(
    text: str, summary: list[tuple[str, str, str | None, int]]
) -> None:
    """"5,000 to xAI" goes to someone; "30 billion to build", "500 to operate" and "10,000 to
    around 20,000" are no GPUs of their own."""
    assert _summary(extract(text)) == summary


def test_rents_in_and_out_in_one_sentence_are_two_facts() -> None:
    both = "KT는 정부에 GPU 500장을 임대하고 업스테이지로부터 1000장을 임대받는다."
    assert _summary(extract(both)) == [
        ("supply", "kt", "kr-government", 500), ("gpu_commitment", "kt", "upstage", 1000),
    ]  # fmt: skip
    facts = extract("Nebius will rent 10,000 GPUs from Microsoft and lease 5,000 to Anthropic.")
    assert _summary(facts) == [
        ("gpu_commitment", "nebius", "microsoft", 10000), ("supply", "nebius", "anthropic", 5000),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("엔비디아에 따르면 코어위브는 GPU 1만장을 공급했다.",
         ("supply", "coreweave", None, 10000)),
        ("According to Nvidia, CoreWeave supplied 10,000 GPUs.",
         ("supply", "coreweave", None, 10000)),
        ("CoreWeave supplied 10,000 GPUs to Microsoft, according to Nvidia.",
         ("supply", "coreweave", "microsoft", 10000)),
        # nor the seller of GPUs whose seller is not named
        ("CoreWeave will deploy 20,000 GPUs, according to Nvidia.",
         ("gpu_commitment", "coreweave", None, 20000)),
        ("엔비디아에 따르면 코어위브는 GPU 2만장을 도입한다.",
         ("gpu_commitment", "coreweave", None, 20000)),
        ("According to the Nvidia blog, demand is strong. Meta will buy 30,000 GPUs.",
         ("gpu_commitment", "meta", None, 30000)),
        ("According to Nvidia, Meta will deploy 100,000 GPUs this year. AMD shares rose 3% on "
         "the news.", ("gpu_commitment", "meta", None, 100000)),
    ],
)  # fmt: skip
def test_the_organisation_the_news_comes_from_is_no_party(
    text: str, summary: tuple[str, str, str | None, int]
) -> None:
    assert _summary(extract(text)) == [summary]


def test_renting_and_another_figure_before_a_phrase_with_to_is_no_letting_out() -> None:
    facts = extract("OpenAI will rent 100,000 GPUs and 4.5 GW of capacity in a blow to Microsoft.")
    assert {f.type for f in facts} == {"gpu_commitment"}
    facts = extract("Microsoft will lease 10,000 GPUs and 2,000 of them will go to OpenAI.")
    assert {f.type for f in facts} == {"gpu_commitment"}
    facts = extract("OpenAI Will Rent 100,000 GPUs And 2 GW In Blow To Microsoft.")
    assert {f.type for f in facts} == {"gpu_commitment"}


@pytest.mark.parametrize(
    "text",
    [
        "CoreWeave will lease 10,000 GPUs and 2,000 more next year to OpenAI.",
        "CoreWeave will lease 10,000 GPUs and 2,000 more in 2026 to OpenAI.",
        "CoreWeave will lease 10,000 GPUs in Texas and 2,000 in New Jersey to OpenAI.",
        "CoreWeave will lease 10,000 GPUs this year and 2,000 next year to OpenAI.",
    ],
)
def test_a_list_of_figures_leased_with_a_time_or_place_each_is_the_lessor_s_supply(
    text: str,
) -> None:
    assert _summary(extract(text)) == [
        ("supply", "coreweave", "openai", 10000), ("supply", "coreweave", "openai", 2000),
    ]  # fmt: skip


def test_a_title_case_phrase_after_a_list_leased_is_no_place() -> None:
    facts = extract("Microsoft will lease 30,000 GPUs and 10,000 More In Response To OpenAI")
    assert {f.type for f in facts} == {"gpu_commitment"}


def test_a_sentence_citing_a_vendor_takes_no_seller_from_the_rest_of_the_article() -> None:
    """The article's vendor is a guess; a sentence that cites another vendor as its source
    tells against it."""
    facts = extract("Oracle will buy 30,000 GPUs, according to AMD. Nvidia will supply 10,000 "
                    "GPUs to Meta.")  # fmt: skip
    assert _summary(facts) == [
        ("gpu_commitment", "oracle", None, 30000), ("supply", "nvidia", "meta", 10000),
    ]  # fmt: skip
    # a vendor cited for another clause leaves this one's seller alone
    facts = extract("Nvidia will supply 10,000 GPUs to Naver. According to Nvidia, Oracle will "
                    "buy 30,000 GPUs, and according to AMD, Microsoft will buy 20,000 GPUs.")
    assert _summary(facts)[1:] == [
        ("gpu_commitment", "oracle", "nvidia", 30000), ("gpu_commitment", "microsoft", None, 20000),
    ]  # fmt: skip
    # unless the sentence names the article's vendor as the seller after all
    facts = extract("Nvidia will supply 10,000 GPUs to Naver. Oracle will buy 30,000 GPUs, "
                    "according to AMD, though Nvidia will supply most of them.")  # fmt: skip
    assert ("gpu_commitment", "oracle", "nvidia", 30000) in _summary(facts)
    # a citation opening the sentence is for all of its clauses
    facts = extract("엔비디아는 메타에 GPU 1만장을 공급한다. AMD에 따르면 오라클은 GPU 3만장을 "
                    "구매하고, 마이크로소프트는 GPU 2만장을 구매한다.")  # fmt: skip
    assert _summary(facts)[1:] == [
        ("gpu_commitment", "oracle", None, 30000), ("gpu_commitment", "microsoft", None, 20000),
    ]  # fmt: skip
    korean = extract("엔비디아는 메타에 GPU 1만장을 공급한다. "
                     "AMD에 따르면 오라클은 GPU 3만장을 구매한다.")  # fmt: skip
    assert _summary(korean) == [
        ("supply", "nvidia", "meta", 10000), ("gpu_commitment", "oracle", None, 30000),
    ]  # fmt: skip


def test_renting_out_is_read_from_each_figure_s_own_verb() -> None:
    facts = extract("Nebius will rent 100,000 GPUs to Microsoft and has bought 50,000 B200s from "
                    "Nvidia.")  # fmt: skip
    assert _summary(facts) == [
        ("supply", "nebius", "microsoft", 100000), ("gpu_commitment", "nebius", "nvidia", 50000),
    ]  # fmt: skip


def test_a_passive_delivery_by_a_gpu_maker_came_to_the_subject_to_its_customers_not() -> None:
    assert _summary(extract("Kakao said 2,000 H100 GPUs were delivered by Nvidia last month.")) == [
        ("gpu_commitment", "kakao", "nvidia", 2000)
    ]
    shipped = "Supermicro said 100,000 GPUs were shipped to its customers last quarter."
    assert _summary(extract(shipped)) == [("supply", "supermicro", None, 100000)]


def test_being_delivered_is_under_way_after_being_delivered_is_done() -> None:
    [under_way] = extract("Kakao said 2,000 H100 GPUs are still being delivered to its site.")
    [done] = extract("After being delivered in March, Naver's 2,000 H100 GPUs went into service.")
    assert (under_way.status, done.status) == ("announced", "completed")
