"""Whole-text word scans: one pass of an automaton finds what the prefix-tree regexes find.

``scan_text(lexicon, text)`` is the cheap way to ask ``lexicon.triggers.find(text, 0, len(text))``
and ``lexicon.references.find(text, 0, len(text))``, in one pass with the cues; the property
tests hold it to those definitions on texts made of the lexicon's own words, the characters that
separate them, and the characters that change how a text is scanned (non-ASCII, emoji beyond the
Basic Multilingual Plane, lone surrogates).
"""

from __future__ import annotations

import gc
import sys
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.core import _scan
from services.core.scanner import Automaton, WordScanner
from services.extractor.lexicon import Lexicon, default_lexicon, scan_text

LEXICON: Lexicon = default_lexicon()
_WORDS = sorted(LEXICON.triggers.categories) + sorted(LEXICON.references.categories)
_PIECES = st.one_of(
    st.sampled_from(_WORDS),
    st.sampled_from([w.upper() for w in _WORDS] + [w.title() for w in _WORDS]),
    st.sampled_from([" ", "  ", "\n", "\n\n", "(", "“", "-", ".", ",", "·", "/", "'"]),
    st.sampled_from(["a", "s", "ed", "X", "9", "는", "을", "한", "é", "😀", "\ud800", "\u3000"]),
    st.text(max_size=4),
)
_TEXTS = st.lists(_PIECES, max_size=40).map("".join)


def _scans_agree(text: str) -> None:
    scan = scan_text(LEXICON, text)
    assert scan.triggers == LEXICON.triggers.find(text, 0, len(text))
    assert scan.cues.references == LEXICON.references.find(text, 0, len(text))


@settings(max_examples=800, deadline=None)
@given(_TEXTS)
def test_trigger_and_reference_words_found_in_one_scan_equal_the_regex_definitions(
    text: str,
) -> None:
    _scans_agree(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Samsung signed a memorandum of understanding and will deploy GPUs.",
        "삼성전자는 엔비디아와 공급받기로 한 GPU를 도입했다.",
        "Nvidia 😀 will supply “up to” 50,000 GPUs — delivered.",
        "up to 50,000 GPUs",  # a Latin word at the very start
        "supplying supplied supplies",  # prefix words at the start of longer ones
        "\ud800 deploy \udfff 도입",
    ],
)
def test_named_texts_scan_like_the_regex(text: str) -> None:
    _scans_agree(text)


def _every_occurrence(words: list[str], text: str) -> list[tuple[int, int]]:
    spans = [
        (i, i + len(w)) for w in words for i in range(len(text)) if text.startswith(w, i)
    ]
    return sorted(spans, key=lambda span: (span[0], -span[1]))


@pytest.mark.parametrize(
    "text",
    ["up to 5 GPU, up to 6 GPU", "한 GPU 도입, 도입 완료", "😀 GPU 도입 😀 up to", "\ud800GPU도입"],
    ids=["ascii", "utf-16", "beyond the BMP", "lone surrogate"],
)
def test_spans_are_character_offsets_in_every_encoding(text: str) -> None:
    words = ["GPU", "도입", "up to", "up"]
    found = WordScanner({w: w for w in words}).occurrences(text)
    assert [(a, b) for a, b, _ in found] == _every_occurrence(words, text)
    assert all(text[a:b] == word for a, b, word in found)


def test_overlapping_words_come_leftmost_then_longest_first() -> None:
    scanner = WordScanner({"공급": 1, "공급받": 2, "급받": 3})
    assert scanner.occurrences("공급받는다") == [(0, 3, 2), (0, 2, 1), (1, 3, 3)]



def test_a_scanner_of_no_words_finds_nothing() -> None:
    assert WordScanner[int]({}).occurrences("anything") == []


_ALPHABET = st.sampled_from(["a", "b", "ab", "가", "나", "😀", "\ud800", " "])
_SMALL_WORDS = st.lists(st.lists(_ALPHABET, min_size=1, max_size=4).map("".join), max_size=8)


@settings(max_examples=400, deadline=None)
@given(words=_SMALL_WORDS, text=st.lists(_ALPHABET, max_size=30).map("".join))
def test_every_occurrence_of_every_word_is_found_overlapping_ones_included(
    words: list[str], text: str
) -> None:
    unique = sorted(set(words))
    found = WordScanner({w: w for w in unique}).occurrences(text)
    assert [(a, b) for a, b, _ in found] == _every_occurrence(unique, text)
    assert all(text[a:b] == word for a, b, word in found)


def test_a_malformed_automaton_is_refused_with_a_reason() -> None:
    tables, mask = Automaton(["GPU", "도입"]).tables()
    root, slots, fail, first, words, lengths = tables
    far = (len(fail) // 4 + 7).to_bytes(4, sys.byteorder)
    for broken, reason in [
        ((root, slots, fail, first, words), "six tables"),
        ((root[:-4], slots, fail, first, words, lengths), "uint32"),
        ((root, slots, far + fail[4:], first, words, lengths), "failure link"),
        ((root, slots, fail, first, far + words[4:], lengths), "word index"),
        ((root, slots, fail[:4] + (1).to_bytes(4, sys.byteorder) + fail[8:], first, words, lengths),
         "cycle"),
        ((root, slots, fail, first, words, bytes(4) + lengths[4:]), "no characters"),
        ((root, slots, fail, first, words, lengths[:-4]), "uint32 expected"),
        ((root, far + slots[4:], fail, first, words, lengths), "leaves"),
        ((root, b"\x01\x00\x00\x00" * (len(slots) // 4), fail, first, words, lengths), "empty"),
    ]:
        with pytest.raises(ValueError, match=reason):
            _scan.Automaton(broken, mask, ("GPU", "도입"))
    with pytest.raises(TypeError):
        _scan.Automaton(tables, mask, ("GPU", "도입")).occurrences(b"GPU")  # type: ignore[arg-type]
    too_long = lengths[:4] + (50).to_bytes(4, sys.byteorder)
    scanner = _scan.Automaton((root, slots, fail, first, words, too_long), mask, ("GPU", "도입"))
    with pytest.raises(ValueError, match="longer than the text"):
        scanner.occurrences("도입")


class _Payload:
    scanner: object = None


def test_an_automaton_and_its_payloads_are_collected_together() -> None:
    tables, mask = Automaton(["GPU"]).tables()
    payload = _Payload()
    payload.scanner = _scan.Automaton(tables, mask, (payload,))
    alive = weakref.ref(payload)
    del payload
    gc.collect()
    assert alive() is None


def test_a_long_word_builds_and_is_found() -> None:
    word = "가" * 50_000
    assert WordScanner({word: 1}).occurrences("나" + word) == [(1, 50_001, 1)]
