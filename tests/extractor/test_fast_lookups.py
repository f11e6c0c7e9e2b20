"""Fast lookups find exactly what their plain definitions find.

Three per-sentence patterns take a shortcut: the qualifier before a number is matched once on the
reversed text before it (instead of at every position of the look-back), and the timeframe and
phase patterns run only where a string that every match contains occurs.  The property tests
hold each shortcut to the plain pattern it replaces, on texts made of the words those patterns
look for, pieces of them, whitespace and numbers.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.extractor import rules, timeframes
from services.extractor.numbers import QUALIFIER_WORDS, Qualifier, qualifier_before
from services.extractor.timeframes import find_scope, find_timeframe

_WORDS = [word for words in QUALIFIER_WORDS.values() for word in words]
_TIME_AND_PHASE = [
    "향후", "수년간", "3년간", "2027년까지", "2026년", "1분기", "상반기", "연말", "내년", "올해",
    "연내", "by 2027", "in 2026", "from 1999", "starting in 2030", "the end of",
    "over the next five years", "over the coming months", "next year", "this year",
    "by year-end", "first quarter of 2025", "Q3 2026", "1단계", "2차 사업", "3차분", "phase 2",
    "Phase 3", "second phase", "현대차", "총", "만", "개", "50,000", "5", "19", "20", "Q", "년",
    "ſome", "K",
]  # fmt: skip
_PIECES = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from([w.upper() for w in _WORDS] + [w.replace(" ", "\t") for w in _WORDS]),
    st.sampled_from([w[: len(w) // 2] for w in _WORDS] + [w[len(w) // 2 :] for w in _WORDS]),
    st.sampled_from(_TIME_AND_PHASE),
    st.sampled_from([" ", "  ", "\n", "\xa0", ".", ",", "(", "-", "9", "x", "는"]),
    st.text(max_size=3),
)
_TEXTS = st.lists(_PIECES, max_size=24).map("".join)


def _spaced(word: str) -> str:
    return re.escape(word).replace(r"\ ", r"\s")


_KINDS = [(word, kind) for kind, words in QUALIFIER_WORDS.items() for word in words]
_PLAIN_QUALIFIER = re.compile(
    "(?:"
    + "|".join(f"(?P<w{index}>{_spaced(word)})" for index, (word, _) in enumerate(_KINDS))
    + r")\s{0,2}(?:총\s?)?$",
    re.IGNORECASE,
)


def _plain_qualifier(text: str, start: int) -> tuple[Qualifier | None, int]:
    """The definition: the leftmost qualifier word in the 24 characters before ``start`` that
    is followed by at most two spaces, an optional 총 and its space, and then ``start`` (or a
    line break just before it: ``$``), and is not the end of another word (계약)."""
    match = _PLAIN_QUALIFIER.search(text, max(0, start - 24), start)
    if match is None or match.lastgroup is None:
        return None, start
    if match.start() > 0 and text[match.start() - 1].isalnum():
        return None, start
    return _KINDS[int(match.lastgroup[1:])][1], match.start()


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(_TEXTS)
def test_the_qualifier_before_a_number_is_the_plain_patterns_at_every_position(
    text: str,
) -> None:
    for start in range(len(text) + 1):
        assert qualifier_before(text, start) == _plain_qualifier(text, start), (text, start)


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        ("삼성은 최대 ", ("up_to", 4)),
        ("they will buy no more than ", ("up_to", 14)),
        ("they will buy more than ", ("at_least", 14)),
        ("roughly 총 ", ("about", 0)),
        ("APPROX. ", ("about", 0)),
        ("approximately\t", ("about", 0)),
        ("moreover ", (None, 9)),  # "over" ends another word: no qualifier
        ("공급 계약 ", (None, 6)),  # nor is the 약 of 계약 "about"
        ("fewer than ", ("up_to", 0)),
        ("an estimate of  총 ", ("about", 0)),
        ("about  \n", ("about", 0)),
        ("최대 총 \n", ("up_to", 0)),
        ("over\t \n", ("at_least", 0)),
        ("up to   ", (None, 8)),
        ("", (None, 0)),
    ],
)
def test_qualifier_words_and_where_they_start(
    before: str, expected: tuple[Qualifier | None, int]
) -> None:
    assert qualifier_before(before + "5만 개", len(before)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("deliveries by 2027, with 2026년 orders", "by 2027"),
        ("2026년 주문, deliveries by 2027", "2026년"),
        ("향후 3년간 over the next five years", "향후 3년간"),
        ("Q3 2026 상반기", "Q3 2026"),
        ("현대차는 GPU 5만 개를 도입한다", None),
    ],
)
def test_the_earlier_of_a_korean_and_an_english_timeframe(text: str, expected: str | None) -> None:
    found = find_timeframe(text, 0, len(text))
    assert (found.text if found else None) == expected


_EVERY_TIMEFRAME = [
    "향후 3년간", "향후 수년간", "향후 6개월간", "1분기", "하반기", "2026년 하반기", "연말까지",
    "연초", "2027년까지", "내년", "올해 말", "연내", "by 2027", "through the end of 2026",
    "starting in 2030", "in 2025", "over the next five years", "over the coming months",
    "next year", "this year", "by year-end", "the first quarter", "first quarter of 2025", "Q4",
    "Q3 2026",
]  # fmt: skip
"""One of each kind, each alone: every string the shortcut looks for is the only one present in
at least one of them."""


@pytest.mark.parametrize("written", _EVERY_TIMEFRAME)
def test_every_kind_of_timeframe_alone_is_found(written: str) -> None:
    text = f"GPU 5만 개 ({written})"
    found = find_timeframe(text, 0, len(text))
    plain = _PLAIN_TIMEFRAME.search(text)
    assert found is not None and plain is not None
    assert (found.text, found.start) == (plain.group(), plain.start())


@pytest.mark.parametrize(
    ("written", "phase"),
    [("1단계", "phase 1"), ("2차 사업", "phase 2"), ("3차분", "phase 3"), ("Phase 4", "phase 4"),
     ("phase 5", "phase 5"), ("second phase", "phase 2")],
)  # fmt: skip
def test_every_kind_of_phase_alone_is_found(written: str, phase: str) -> None:
    text = f"GPU 5만 개 ({written})"
    found = find_scope(text, 0, len(text))
    assert found is not None and found[0] == phase


_PLAIN_TIMEFRAME = re.compile(
    timeframes._TIMEFRAME_KO.pattern + "|" + timeframes._TIMEFRAME_EN.pattern
)


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(_TEXTS, st.integers(0, 30), st.integers(0, 30))
def test_timeframe_and_phase_are_the_plain_patterns_first_matches(
    text: str, cut: int, trim: int
) -> None:
    start, end = min(cut, len(text)), max(min(cut, len(text)), len(text) - trim)
    plain = _PLAIN_TIMEFRAME.search(text, start, end)
    found = find_timeframe(text, start, end)
    assert ((found.start, found.end) if found else None) == (plain.span() if plain else None)
    phase = timeframes._SCOPE.search(text, start, end)
    scope = find_scope(text, start, end)
    assert ((scope[1], scope[2]) if scope else None) == (phase.span() if phase else None)


_NUMBERISH = re.compile(r"[0-9]|수\s?(?:십|백|천)?\s?[만억조천백십]")
"""The definition of a sentence that may hold a number in figures (what ``_numberish`` tests)."""


@settings(max_examples=400, deadline=None)
@given(
    text=st.lists(
        st.sampled_from(["수", "십", "만", "억", " ", "\n", "7", "0", "x", "는", "수만", "٣"]),
        max_size=16,
    ).map("".join)
)
def test_a_sentence_holds_a_figure_exactly_where_the_plain_pattern_finds_one(text: str) -> None:
    for a in range(len(text) + 1):
        for b in range(a, len(text) + 1):
            assert rules._numberish(text, a, b) == bool(_NUMBERISH.search(text, a, b)), (a, b)
