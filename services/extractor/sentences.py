"""Sentence splitting with character offsets.

A sentence runs from a non-space character to ``.``/``!``/``?`` followed by white space (not
after abbreviations such as "U.S." or "Inc."), to a line break or to the end of the text; a
sentence longer than :data:`MAX_SENTENCE` characters is cut there, so that no rule ever sees an
unbounded string.  Two or more line breaks start a new paragraph.
"""

from __future__ import annotations

import re
from typing import NamedTuple

MAX_SENTENCE = 1200

_SENTENCE = re.compile(
    r"\S(?:[^\n]{0," + str(MAX_SENTENCE - 2) + r"}?(?:[.!?。…]+[\"'”’」』)\]]*(?=\s|\Z)|(?=\n)|\Z)"
    r"|[^\n]{0," + str(MAX_SENTENCE - 1) + "})"
)
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


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` as offsets; ``text[s.start:s.end]`` is stripped of spaces."""
    sentences: list[Sentence] = []
    paragraph = 0
    start = -1  # start of a sentence continued after an abbreviation
    previous_end = end = 0
    for match in _SENTENCE.finditer(text):
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
    if start >= 0:  # the text ends with an abbreviation
        sentences.append(Sentence(start, end, paragraph))
    return sentences
