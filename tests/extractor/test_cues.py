"""Cues: where a text may name an organisation or a GPU model, and the reference words it holds
(양사, "the company"), from one scan of the whole text.

The extractor asks the per-sentence patterns only where a cue says a name may be; so a stretch
without a cue must be a stretch where those patterns find nothing.  A sentence's reference words
come from the same scan, and must be what the reference patterns find in it.  The property tests
hold the cues to that on texts made of the lexicon's own names, reference words and models,
pieces of them, and the characters around them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.extractor.lexicon import (
    Cues,
    Lexicon,
    default_lexicon,
    find_references,
    scan_text,
)
from services.extractor.sentences import split_sentences

LEXICON: Lexicon = default_lexicon()
_NAMES = sorted(LEXICON.org_aliases) + sorted(LEXICON.references.categories)
_MODELS = sorted(LEXICON.gpu_models)
_PRODUCTS = sorted(LEXICON.products)
_PIECES = st.one_of(
    st.sampled_from(_NAMES),
    st.sampled_from(_MODELS),
    st.sampled_from(_PRODUCTS),
    st.sampled_from([w.upper() for w in _NAMES] + [w.title() for w in _NAMES]),
    st.sampled_from([w[: len(w) // 2] for w in _NAMES + _MODELS + _PRODUCTS if len(w) > 1]),
    st.sampled_from([" ", "\n", "(", "“", "-", ".", ",", "·", "'", "는", "와", "의", "X", "9"]),
    st.text(max_size=3),
)
_TEXTS = st.lists(_PIECES, max_size=30).map("".join)


def _ranges(text: str) -> list[tuple[int, int]]:
    return [(a, b) for a in range(0, len(text) + 1, 3) for b in range(a, len(text) + 1, 5)]


_LOOKED_FOR = {  # a kind of cue: whether a stretch may hold one, and the patterns it spares
    "name": (Cues.may_name, (LEXICON.org_pattern.search, LEXICON.references.find)),
    "model": (Cues.may_model, (LEXICON.gpu_pattern.search,)),
    "product": (Cues.may_product, (LEXICON.product_pattern.search,)),
}


@pytest.mark.parametrize("kind", sorted(_LOOKED_FOR))
@settings(max_examples=200, deadline=None)
@given(text=_TEXTS)
def test_a_stretch_without_a_cue_holds_no_match_of_the_patterns_it_spares(
    kind: str, text: str
) -> None:
    may, patterns = _LOOKED_FOR[kind]
    cues = scan_text(LEXICON, text).cues
    for a, b in _ranges(text):
        if not may(cues, a, b):
            assert not any(search(text, a, b) for search in patterns), (kind, a, b)


_STARTS = {  # a kind of cue: the dictionary matched only where that kind of cue starts
    "name": (lambda cues: cues.names, LEXICON.org_pattern),
    "model": (lambda cues: cues.models, LEXICON.gpu_pattern),
    "product": (lambda cues: cues.products, LEXICON.product_pattern),
}


@pytest.mark.parametrize("kind", sorted(_STARTS))
@settings(max_examples=200, deadline=None)
@given(text=_TEXTS)
def test_matching_only_where_cues_start_finds_what_matching_everywhere_finds(
    kind: str, text: str
) -> None:
    starts_of, dictionary = _STARTS[kind]
    starts = starts_of(scan_text(LEXICON, text).cues)
    for a, b in _ranges(text):
        everywhere = [m.span() for m in dictionary.finditer(text, a, b)]
        assert [m.span() for m in dictionary.finditer(text, a, b, starts)] == everywhere


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS)
def test_the_reference_words_of_a_sentence_from_the_cue_scan_equal_the_patterns(
    text: str,
) -> None:
    cues = scan_text(LEXICON, text).cues
    for sentence in split_sentences(text):
        a, b = sentence.start, sentence.end
        assert find_references(cues, a, b) == LEXICON.references.find(text, a, b)


def test_the_cue_scan_finds_reference_words_whole_and_with_their_kinds() -> None:
    text = "양사는 각각 GPU를 도입한다. The company said. Companies rose. 이 회사는 동의했다."
    cues = scan_text(LEXICON, text).cues
    found = [
        (text[a:b], sorted(kinds))
        for s in split_sentences(text)
        for a, b, kinds in find_references(cues, s.start, s.end)
    ]
    assert found == [
        ("양사", ["pair"]),
        ("각각", ["distributive"]),
        ("The company", ["same_subject"]),
        ("이 회사", ["same_subject"]),
    ]


def test_cues_point_at_the_names_and_models_of_a_sentence_and_nowhere_else() -> None:
    text = "Shares rose. 삼성전자는 GB200 5만 장을 도입한다. The rally went on. HBM4 공급."
    cues = scan_text(LEXICON, text).cues
    stretches = [(s.start, s.end) for s in split_sentences(text)]
    assert [cues.may_name(*s) for s in stretches] == [False, True, False, False]
    assert [cues.may_model(*s) for s in stretches] == [False, True, False, False]
    assert [cues.may_product(*s) for s in stretches] == [False, False, False, True]
