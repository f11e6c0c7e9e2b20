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
        "KT는 GPU 300장은 업스테이지에, 200장은 리벨리온에 임대한다.",
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
    listed = "정부는 GPU 1만장을 확보했으며 3000장을 업스테이지에, 2000장을 네이버에 배분한다."
    assert _read(listed) == [
        ("gpu_commitment", "kr-government", None, 10000),
        ("supply", "kr-government", "upstage", 3000),
        ("supply", "kr-government", "naver", 2000),
    ]


@pytest.mark.parametrize(
    ("text", "seller"),
    [
        ("SK텔레콤은 람다에 GPU 1000장을 임차했고, 연말까지 500장을 추가 임차한다.", "lambda"),
        ("KT는 엔비디아에 GPU 공급 확대를 요구해 3000장을 확보했으며 내년 2000장을 추가 도입한다.",
         "nvidia"),
        ("카카오는 AWS에 GPU 500장 제공을 요청하고, 300장을 추가로 임차한다.", "amazon"),
        ("SK텔레콤은 슈퍼마이크로에 GPU 서버 500대를 주문했고, 내년에 300대를 추가 주문한다.",
         "supermicro"),
        ("업스테이지는 GPU 1000장을 올해에, 2000장을 내년에 코어위브에 임차한다.", "coreweave"),
    ],
)  # fmt: skip
def test_a_seller_named_with_e_in_another_clause_still_sells_both(text: str, seller: str) -> None:
    """Only a recipient of a handing over (임대, 공급, 배분 …, not asked for: 공급을 요청) is not a
    commitment's party: 람다에 … 임차 names the seller of every figure."""
    assert {f.counterparty.id if f.counterparty else None for f in extract(text)} == {seller}


def test_the_recipient_of_what_is_built_is_no_seller_of_it() -> None:
    text = "LG유플러스는 평촌2센터에 GPU 500장을 구축해 업스테이지에 임대한다."
    assert _read(text) == [("gpu_commitment", "lg-uplus", None, 500)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("정부가 배분한 GPU 1000장을, 업스테이지는 500장을 학습에 활용한다.",
         ("supply", "kr-government", None, 1000)),
        ("엔비디아가 공급한 GPU 5만장을, 삼성전자는 2만장을 데이터센터에 배치한다.",
         ("supply", "nvidia", None, 50000)),
    ],
)  # fmt: skip
def test_a_verb_describing_a_figure_is_its_own_not_the_list_s(
    text: str, expected: tuple[str, str, str | None, float]
) -> None:
    """배분한 GPU 1000장: the verb right before the figure governs it, not one after a list."""
    assert _read(text)[0] == expected


def test_a_list_does_not_share_a_verb_across_another_verb() -> None:
    """3000장을 세종에, 1000장을 춘천에 두고: the lease after 두고 is the 500's alone."""
    facts = _read("네이버클라우드는 GPU 3000장을 세종에, 1000장을 춘천에 두고 업스테이지에 500장을 "
                  "임대한다.")  # fmt: skip
    assert ("supply", "naver-cloud", "upstage", 500) in facts
    assert ("supply", "naver-cloud", "upstage", 3000) not in facts


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
    "text",
    [
        "KT는 업스테이지 등 경쟁력 있는 스타트업에 GPU 1000장을 임대한다.",
        "KT는 업스테이지 등 경쟁사보다 적은 GPU 500장을 확보했다.",
    ],
)
def test_a_describing_word_after_and_others_is_no_particle(text: str) -> None:
    """있는, 적은: an ending, not the topic particle — the subject stays KT."""
    assert {f.subject.id for f in extract(text)} == {"kt"}


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
        "KT는 GPU 1만장이 탑재된 슈퍼컴퓨터를 보유하고 있다.",
        "네이버는 엔비디아 H100 3000장을 탑재한 서버를 보유하고 있다.",
        "카카오는 GPU 2000장을 가동하는 데이터센터를 보유 중이다.",
    ],
)
def test_a_holding_of_compute_still_is_no_commitment(text: str) -> None:
    """A figure, GPU word or model before the holding is what is held, in whatever it is
    built into."""
    assert extract(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "KT는 GPU 1만장을 자체 서비스에 쓸 계획이 없다고 밝혔다.",
        "오픈AI 샘 올트먼 CEO는 자신의 블로그에 GPU 10만장이 부족하다고 썼다.",
        "KT는 GPU 1만장 규모의 클러스터 유치에 힘쓴다.",
        "SK텔레콤은 GPU 300장 운영 효율화에 신경을 쓴다.",
        "네이버는 GPU 1만장으로 국내 AI 역사를 새로 쓴다.",
    ],
)
def test_writing_and_striving_are_no_use(text: str) -> None:
    """썼다 ("wrote"), 힘쓴다 ("strives"), 신경을 쓴다 ("minds") and 역사를 새로 쓴다 ("makes
    history") are no 쓴다 ("uses"), and 쓸 계획이 없다 is a plan denied."""
    assert extract(text) == []


def test_using_as_planned_is_a_plan() -> None:
    [fact] = extract("SK텔레콤은 GPU 1000장을 에이닷 서비스에 쓸 계획이다.")
    assert fact.status == "planned"


def test_a_recipient_of_something_else_is_still_the_seller() -> None:
    """엔비디아에 HBM을 공급하는 대가로: Nvidia receives HBM, and sells the GPUs."""
    facts = _read("삼성전자는 엔비디아에 HBM을 공급하는 대가로 GPU 5만장을 확보했다.")
    assert ("gpu_commitment", "samsung-electronics", "nvidia", 50000) in facts


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("카카오는 올해 AI 인프라에 5000억원을 쓰기로 했다.",
         [("investment", "kakao", None, 5e11)]),
        ("정부는 센터 전기요금으로 연간 1000억원을 쓴다.", []),
        ("카카오는 AI 마케팅에 1000억원을 쓰기로 했다.", []),
        ('김성훈 대표는 "GPU를 1만장 쓴다고 해서 좋은 모델이 나오지는 않는다"고 말했다.', []),
    ],
)  # fmt: skip
def test_money_used_is_an_investment_only_on_infrastructure(
    text: str, expected: list[tuple[str, str, str | None, float]]
) -> None:
    """쓴다 with money: infrastructure is invested in, running costs and advertising are not;
    쓴다고 해서 is no statement of use."""
    assert _read(text) == expected


def test_a_recipient_before_a_use_is_no_seller() -> None:
    """1000장은 SK하이닉스에, 500장은 자체 개발에 쓴다: GPUs used come from no 에-party."""
    assert _read("SK텔레콤은 GPU 1000장은 SK하이닉스에, 500장은 자체 개발에 쓴다.") == [
        ("gpu_commitment", "sk-telecom", None, 1000),
        ("gpu_commitment", "sk-telecom", None, 500),
    ]


def test_what_an_organisation_is_one_of_names_no_organisation() -> None:
    """엔비디아 등 미국 기업과: 미국 is the kind of company, not a party."""
    facts = extract("KT는 엔비디아 등 미국 기업과 협력해 데이터센터를 짓는다.")
    assert {(f.subject.id, f.counterparty.id if f.counterparty else None) for f in facts} == {
        ("kt", "nvidia")
    }
