"""Sentence splitting with character offsets.

A sentence runs from a non-space character to ``.``/``!``/``?`` followed by white space (not
after abbreviations such as "U.S." or "Inc."), to a line break or to the end of the text; a
sentence longer than :data:`MAX_SENTENCE` characters is cut there, so that no rule ever sees an
unbounded string.  Two or more line breaks start a new paragraph.

The splitter searches for sentence ends only (one regex search per sentence, never rescanning
text it has passed), which costs a fraction of matching whole sentences.  The end pattern starts
with a character class, so the regex engine skips to the next possible end at C speed instead of
trying the pattern at every character.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

MAX_SENTENCE = 1200

_END = r"""[.!?。…\n](?:(?<=\n)|[.!?。…]*["'”’」』)\]]*(?=\s|\Z))"""
"""Where a sentence can end: a line break (the sentence ends before it), or a run of terminators
(and closing quotes) before white space or the end."""
_BREAK = re.compile("(" + _END + r")\s*")
"""A sentence end and the white space after it: the next piece starts where this ends."""
_START = re.compile(r"\S")
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]|U\.S|U\.K|Inc|Corp|Co|Ltd|Mr|Ms|Mrs|Dr|No|vs|approx|e\.g|i\.e|St|Jr|Sr|Gov|"
    r"Rep|Sen|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec))\.$"
)


class Sentence(NamedTuple):
    """A sentence's offsets (a named tuple: articles have many, and tuples are cheap)."""

    start: int
    end: int
    paragraph: int


def _abbreviation(text: str, end: int) -> bool:
    """Whether ``text[:end]`` ends with an abbreviation's period ("U.S.", "Inc.")."""
    return (
        text[end - 2 : end - 1].isascii()
        and text[end - 2 : end - 1].isalpha()
        and _ABBREVIATION.search(text, max(0, end - 7), end) is not None
    )


def _pieces(text: str) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each piece: from a non-space character to the first sentence end
    within :data:`MAX_SENTENCE` characters (else exactly that many)."""
    length = len(text)
    piece = _START.search(text)
    if piece is None:
        return
    begin = piece.start()
    ends = _BREAK.finditer(text, begin + 1)
    found = next(ends, None)  # the first sentence end after the current piece's start
    while True:
        if found is not None and found.start() <= begin:
            # Passed by a cut piece or a terminator starting a piece: search again from here
            # (the iterator would skip an end overlapping the one it gave).
            ends = _BREAK.finditer(text, begin + 1)
            found = next(ends, None)
        if found is None or found.start() - begin >= MAX_SENTENCE:
            end = min(begin + MAX_SENTENCE, length)
            yield begin, end
            piece = _START.search(text, end)
            if piece is None:
                return
            begin = piece.start()
        else:
            yield begin, found.end(1) if text[found.start()] != "\n" else found.start()
            begin = found.end()
            if begin == length:
                return
            found = next(ends, None)


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` as offsets; ``text[s.start:s.end]`` is stripped of spaces.

    A piece ending with an abbreviation's period continues into the next one."""
    sentences: list[Sentence] = []
    paragraph = 0
    start = -1  # start of a sentence continued after an abbreviation
    previous_end = end = 0
    for begin, end in _pieces(text):
        if text[end - 1].isspace():
            end = len(text[begin:end].rstrip()) + begin
        if start < 0:
            if sentences and text.count("\n", previous_end, begin) > 1:
                paragraph += 1
            start = begin
        if not (
            text[end - 1] == "."
            and text[end : end + 1] == " "
            and end - start < MAX_SENTENCE
            and _abbreviation(text, end)
        ):
            sentences.append(Sentence(start, end, paragraph))
            previous_end = end
            start = -1
    if start >= 0:  # the text ends with an abbreviation
        sentences.append(Sentence(start, end, paragraph))
    return sentences
