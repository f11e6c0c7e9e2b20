"""Sentence splitting: the splitter equals its definition as regular expressions.

The definition (``_DEFINITION`` and ``_ABBREVIATION`` below, the splitter's first
implementation) matches a whole sentence with a lazy repetition; the splitter is a C walk over
the text that looks for sentence ends only.  The property tests check they agree on any text.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.extractor import _split
from services.extractor.sentences import ABBREVIATIONS, MAX_SENTENCE, Sentence, split_sentences

_DEFINITION = re.compile(
    r"\S(?:[^\n]{0," + str(MAX_SENTENCE - 2) + r"}?(?:[.!?。…]+[\"'”’」』)\]]*(?=\s|\Z)|(?=\n)|\Z)"
    r"|[^\n]{0," + str(MAX_SENTENCE - 1) + "})"
)
_ABBREVIATION = re.compile(r"\b(?:" + "|".join(map(re.escape, ABBREVIATIONS)) + r")\.$")
_LONGEST = max(map(len, ABBREVIATIONS)) + 1


def _abbreviation(text: str, end: int) -> bool:
    """Whether ``text[:end]`` ends with an abbreviation's period after an ASCII letter."""
    letter = text[end - 2 : end - 1]
    return (
        letter.isascii()
        and letter.isalpha()
        and _ABBREVIATION.search(text, max(0, end - _LONGEST), end) is not None
    )


def _by_definition(text: str) -> list[Sentence]:
    sentences: list[Sentence] = []
    paragraph, start, previous_end, end = 0, -1, 0, 0
    for match in _DEFINITION.finditer(text):
        begin, end = match.span()
        if text[end - 1].isspace():
            end = begin + len(match.group().rstrip())
        if start < 0:
            if sentences and text.count("\n", previous_end, begin) > 1:
                paragraph += 1
            start = begin
        if (
            text[end - 1] == "."
            and text[end : end + 1] == " "
            and end - start < MAX_SENTENCE
            and _abbreviation(text, end)
        ):
            continue
        sentences.append(Sentence(start, end, paragraph))
        previous_end = end
        start = -1
    if start >= 0:
        sentences.append(Sentence(start, end, paragraph))
    return sentences


def _texts(sentences: list[Sentence], text: str) -> list[str]:
    return [text[s.start : s.end] for s in sentences]


def test_korean_and_english_sentences_with_paragraphs() -> None:
    text = "삼성전자는 GPU 5만 장을 도입한다. 회사는 밝혔다!\n\nNvidia said so. Really?"
    sentences = split_sentences(text)
    assert _texts(sentences, text) == [
        "삼성전자는 GPU 5만 장을 도입한다.",
        "회사는 밝혔다!",
        "Nvidia said so.",
        "Really?",
    ]
    assert [s.paragraph for s in sentences] == [0, 0, 1, 1]


def test_abbreviations_and_decimals_do_not_end_a_sentence() -> None:
    text = "The U.S. firm Acme Inc. bought 2.5 GW. It paid $3.5 billion."
    assert _texts(split_sentences(text), text) == [
        "The U.S. firm Acme Inc. bought 2.5 GW.",
        "It paid $3.5 billion.",
    ]


def test_closing_quotes_belong_to_the_sentence_and_lines_end_sentences() -> None:
    text = '그는 "GPU를 늘리겠다."라고 했다. 제목 없는 줄\n다음 줄'
    assert _texts(split_sentences(text), text) == [
        '그는 "GPU를 늘리겠다."라고 했다.',
        "제목 없는 줄",
        "다음 줄",
    ]


def test_a_sentence_without_an_end_is_cut_at_the_limit() -> None:
    text = "x" * (3 * MAX_SENTENCE + 5)
    assert [(s.start, s.end) for s in split_sentences(text)] == [
        (0, MAX_SENTENCE),
        (MAX_SENTENCE, 2 * MAX_SENTENCE),
        (2 * MAX_SENTENCE, 3 * MAX_SENTENCE),
        (3 * MAX_SENTENCE, 3 * MAX_SENTENCE + 5),
    ]


@pytest.mark.parametrize("text", ["", " ", "\n\n\t ", "."])
def test_empty_and_blank_texts(text: str) -> None:
    assert split_sentences(text) == _by_definition(text)


def test_ten_megabytes_without_a_sentence_end_take_linear_time() -> None:
    started = time.process_time()
    sentences = split_sentences("가나다 1.5 " * 1_000_000)
    assert time.process_time() - started < 20
    assert all(s.end - s.start <= MAX_SENTENCE for s in sentences)


_PIECES = st.sampled_from(
    ["a", "가", " ", "  ", "\n", "\n\n", "\t", ".", "!", "?", "…", "。", '"', "'", ")", "”", "」",
     "U.S. ", "Inc. ", "Mr. ", "e.g. ", "1.5", ". ", "x" * 300, "다. ", "_X. ", "éA. ", "9Co. ",
     "\u00a0", "\u2029", "\u3000", "\r", "😀", "Sept. "]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_PIECES, max_size=60))
def test_any_text_splits_as_the_definition_says(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert split_sentences(text) == _by_definition(text)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2 * MAX_SENTENCE), st.sampled_from([". Next.", "\nNext", " Inc. Next."]))
def test_sentences_near_the_length_limit_split_as_the_definition_says(
    length: int, tail: str
) -> None:
    text = "y" * length + tail + " z" * 700
    assert split_sentences(text) == _by_definition(text)


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        (("text", dict, ".", ")", (), MAX_SENTENCE), ValueError),  # not a tuple type
        (("text", Sentence, ".", ")", ("Inc", 7), MAX_SENTENCE), TypeError),
        (("text", Sentence, ".", ")", (), 0), ValueError),
        ((b"bytes", Sentence, ".", ")", (), MAX_SENTENCE), TypeError),
    ],
)
def test_the_c_walker_rejects_wrong_arguments_with_an_error(
    arguments: tuple[object, ...], error: type[Exception]
) -> None:
    with pytest.raises(error):
        _split.split(*arguments)  # type: ignore[arg-type]
