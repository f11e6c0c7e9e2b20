"""Numbers with units and qualifiers, Korean and English (services.extractor.numbers)."""

from __future__ import annotations

import pytest

from services.extractor.numbers import QuantityMention, find_quantities


def _only(text: str) -> QuantityMention:
    found = find_quantities(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("26만장", 260_000),
        ("5만2000개", 52_000),
        ("5.2만 장", 52_000),
        ("1만 2000장", 12_000),
        ("6천 장", 6_000),
        ("1만8천 장", 18_000),
        ("3000장", 3_000),
    ],
)
def test_korean_man_unit_with_counter_is_a_count(text: str, value: float) -> None:
    q = _only(text)
    assert (q.kind, q.value, q.qualifier) == ("count", value, "exact")


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("1조 2000억 원", 1.2e12, "KRW"),
        ("2조9000억원", 2.9e12, "KRW"),
        ("30억 달러", 3e9, "USD"),
        ("3천억원어치", 3e11, "KRW"),
        ("30억 유로", 3e9, "EUR"),
        ("$3 billion", 3e9, "USD"),
        ("US$3bn", 3e9, "USD"),
        ("US$ 10 billion", 1e10, "USD"),
        ("₩9 trillion", 9e12, "KRW"),
        ("9 trillion won", 9e12, "KRW"),
        ("£2bn", 2e9, "GBP"),
        ("€5 billion", 5e9, "EUR"),
    ],
)
def test_currencies_in_both_scripts_give_iso_codes(text: str, value: float, currency: str) -> None:
    q = _only(text)
    assert (q.kind, q.value, q.unit) == ("money", value, currency)


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("1.2GW", 1.2, "GW"),
        ("103MW", 103, "MW"),
        ("6기가와트", 6, "GW"),
        ("10 gigawatts", 10, "GW"),
    ],
)
def test_power_figures_carry_their_unit(text: str, value: float, unit: str) -> None:
    q = _only(text)
    assert (q.kind, q.value, q.unit) == ("power", value, unit)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("260,000 GPUs", 260_000),
        ("260k GPUs", 260_000),
        ("50K GPUs", 50_000),
        ("1.3 million GPUs", 1_300_000),
        ("a quarter of a million GPUs", 250_000),
        ("one million TPUs", 1_000_000),
    ],
)
def test_english_counts_in_digits_suffixes_and_words(text: str, value: float) -> None:
    assert _only(text).value == value


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("최대 26만개에 달하는", "up_to"),
        ("5만개 이상의", "at_least"),
        ("5만장 초과", "at_least"),
        ("약 30억 달러", "about"),
        ("1만5000여 개", "about"),
        ("5만여 대", "about"),
        ("500대 가량", "about"),
        ("2000장 정도", "about"),
        ("1만장 안팎", "about"),
        ("최소 3만 장", "at_least"),
        ("1만장보다 많은 GPU", "at_least"),
        ("1만 장보다 훨씬 많은 물량", "at_least"),
        ("1만장보다 많이", "at_least"),
        ("1만장을 넘는", "at_least"),
        ("1만장이 넘는", "at_least"),
        ("5000억원보다 많은 금액", "at_least"),
        ("1만장보다 적은 GPU", "up_to"),
        ("2000장을 넘지 않는", "up_to"),
        ("5만장 넘어가는 물량", "at_least"),
        ("1만장을 넘어섰다", "at_least"),
        ("1만장을 넘어 데이터센터까지", "exact"),  # beyond it
        ("2000장이 넘어와", "exact"),  # handed over
        ("up to 260,000 GPUs", "up_to"),
        ("as many as 20,000 GPUs", "up_to"),
        ("more than 1.3 million GPUs", "at_least"),
        ("over 18,000 GPUs", "at_least"),
        ("at least 18,000 chips", "at_least"),
        ("50,000+ GPUs", "at_least"),
        ("about $3 billion", "about"),
        ("around 1,000 GPUs", "about"),
        ("roughly 25,000 chips", "about"),
        ("nearly 100,000 GPUs", "about"),
        ("approximately $165bn", "about"),
        ("some 10,000 GPUs", "about"),
        ("26만장", "exact"),
    ],
)
def test_qualifiers_before_and_after_the_number(text: str, qualifier: str) -> None:
    assert _only(text).qualifier == qualifier


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("H100 1만장보다 성능이 3배 높은", []),  # compared in something else
        ("5000장보다 두 배 많은", []),  # a multiple of it
        ("1만장보다 많지 않은", []),  # denied
        ("원전 1기보다 많은 전력", []),  # more of something else
        ("GPU 10만장보다 많은 15만장", [150000]),  # the figure compared with it is the one
        ("계획보다 1만장 적은 3만장", [30000]),  # a difference
        ("전년 대비 2조원 증가한 10조원", [10e12]),
        ("수요에 대비해 1조원을 추가", [1e12]),  # in preparation for: no comparison
        ("트래픽 폭증 대비 GPU 1만장 추가", [10000]),
        ("무엇보다 GPU 1만장을 추가로", [10000]),  # above all
        ("기존보다 GPU 2000장을 추가로", [2000]),  # added to what is held
        ("지금보다 5000장 더", [5000]),
        ("눈치를 보다 GPU 3000장을 더 주문", [3000]),  # 보다: to watch
        ("임차보다는 GPU 2000장을 더 사들이기로", [2000]),  # rather than
        ("작년보다 GPU 10만장을 더 비싼 가격에", [100000]),  # what is more is the price
        ("H100 5000장보다 B200 1만장을 더 많이", [10000]),  # the B200s are what is more
        ("작년 1만장보다 5000장 많은 1만5000장", [15000]),
        ("GPU보다 NPU 2000장을 추가 도입", [2000]),  # rather than: 추가 measures from no time
        ("계획보다 GPU 2000장을 더 늦게", [2000]),  # what is more is the delay
        ("지난해보다 무려 GPU 1만장 늘어난 3만장", [30000]),
        ("전년 대비 투자를 2조원 확대해 10조원을", [10e12]),  # the object between
        ("계획보다 GPU 도입을 5000장 줄였다", []),
        ("지난해보다 데이터센터 전력을 100MW 더 확보했다", []),
        ("경쟁사보다 먼저 GPU를 1만장 확보했다", [10000]),  # 먼저: no object of the difference
    ],
)
def test_a_figure_compared_with_or_a_difference_is_no_quantity(
    text: str, values: list[float]
) -> None:
    assert [q.value for q in find_quantities(text)] == values


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("GPU 1500장만 구매한다", 1500),
        ("GPU 1만장만을 들여온다", 10000),
        ("서버 100대만 도입했다", 100),
        ("GPU 300장밖에 확보하지 못했다", 300),
        ("GPU 1만장뿐 아니라", 10000),
        ("1000억원만 투자한다", 1e11),
    ],
)
def test_a_figure_with_only_after_its_unit_is_a_quantity(text: str, value: float) -> None:
    """만, 밖에 and 뿐 ("only") after the unit: 장만 is no verb (장만하다), 대만 no Taiwan."""
    q = _only(text)
    assert (q.value, q.qualifier) == (value, "exact")


def test_a_figure_only_measured_against_is_no_quantity() -> None:
    """1만장만큼의 성능: the performance of 10,000 GPUs, not a count of any."""
    assert find_quantities("H100 1만장만큼의 성능") == []


@pytest.mark.parametrize("text", ["수만 개", "수천 장", "수십억 달러", "tens of thousands of GPUs"])
def test_vague_amounts_have_no_value(text: str) -> None:
    q = _only(text)
    assert q.value is None
    assert q.qualifier == "about"


@pytest.mark.parametrize(
    "text",
    [
        "2025 APEC", "지난 30일", "31일 오후", "4분기", "30%", "1위", "H100", "GB200", "6호기",
        "2025년 10월", "RTX 5090 GPUs", "HBM4", "No. 1", "10만 개발자",
    ],
)
def test_dates_percentages_ranks_years_and_model_names_are_not_quantities(text: str) -> None:
    assert find_quantities(text) == []


def test_offsets_cover_the_qualifier_and_unit() -> None:
    text = "정부는 최대 5만개 GPU를"
    q = _only(text)
    assert text[q.start : q.end] == "최대 5만개"


def test_a_range_whose_upper_bound_is_no_quantity_leaves_the_lower_bound_alone() -> None:
    # "10-20%": the percentage is no quantity, so no range replaces "10"
    text = "Meta will buy 5,000 GPUs, 10-20% more than last year."
    assert [q.value for q in find_quantities(text)] == [5000, 10]


@pytest.mark.parametrize(
    "text",
    ["4 times faster than the H100", "3x more H100s", "a 10-fold rise", "H100보다 4배 빠르다"],
)
def test_a_multiplier_is_no_quantity(text: str) -> None:
    assert find_quantities(text) == []


def test_a_count_before_a_word_that_starts_like_a_multiplier_stays() -> None:
    assert [q.value for q in find_quantities("GPU 5000개 배치")] == [5000]


@pytest.mark.parametrize(
    "text",
    [
        "SK hynix has received orders from Nvidia and AMD for its 12-high HBM3E chips.",
        "Samsung will supply 8-Hi HBM3E stacks to Nvidia.",
        "Micron will ship 16-layer HBM4 to AMD.",
        "Oracle will deploy 72-GPU racks.",
    ],
)
def test_a_number_that_describes_the_goods_counts_nothing(text: str) -> None:
    assert find_quantities(text) == []


def test_the_gpus_of_each_machine_are_no_count_but_the_machines_are() -> None:
    assert [q.value for q in find_quantities("Nvidia bought 2,000 8-GPU servers.")] == [2000]
    assert [q.value for q in find_quantities("xAI will build a 100,000-GPU cluster.")] == [
        100_000
    ]


@pytest.mark.parametrize(
    "text",
    [
        "정부는 5개 스타트업에 GPU 1000장을 공급한다.",
        "과기정통부는 3개 컨소시엄에 GPU 1000장을 배분한다.",
        "KT는 업스테이지 등 5개 기업들에게 GPU 1000장을 임대한다.",
        "정부는 5개 정예팀과 3개 이동통신사에 GPU 1000장을 배분한다.",
        "정부는 2대 주주로서 GPU 1000장을 확보한다.",
    ],
)
def test_a_counter_of_organisations_counts_no_compute(text: str) -> None:
    assert [q.value for q in find_quantities(text)] == [1000]
