"""Sentence splitting with character offsets.

Sentences end at ``.``/``!``/``?`` followed by white space (not after abbreviations such as
"U.S." or "Inc."), at line breaks, and — so that no rule ever sees an unbounded string — after
:data:`MAX_SENTENCE` characters, at the last space before that limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

MAX_SENTENCE = 1200

_LINE = re.compile(r"[^\n]+")
_END = re.compile(r"[.!?。…]+[\"'”’」』)\]]*(?=\s|$)")
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]|U\.S|U\.K|Inc|Corp|Co|Ltd|Mr|Ms|Mrs|Dr|No|vs|approx|e\.g|i\.e|St|Jr|Sr|Gov|"
    r"Rep|Sen|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec))$"
)
_BLANK_LINES = re.compile(r"\n[ \t\r\f\v]*\n")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int


def _pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """One line cut into sentences (unstripped bounds)."""
    cursor = start
    for match in _END.finditer(text, start, end):
        if _ABBREVIATION.search(text, max(start, match.start() - 6), match.start()):
            continue
        yield cursor, match.end()
        cursor = match.end()
    if cursor < end:
        yield cursor, end


def _bounded(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Cut pieces longer than MAX_SENTENCE at a space (or hard, when there is none)."""
    while end - start > MAX_SENTENCE:
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        cut = cut + 1 if cut > 0 else start + MAX_SENTENCE
        yield start, cut
        start = cut
    yield start, end


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` as offsets; ``text[s.start:s.end]`` is stripped of spaces."""
    sentences: list[Sentence] = []
    paragraph = 0
    previous_end = 0
    for line in _LINE.finditer(text):
        if _BLANK_LINES.search(text, previous_end, line.start() + 1):
            paragraph += 1
        previous_end = line.end()
        for piece_start, piece_end in _pieces(text, line.start(), line.end()):
            for start, end in _bounded(text, piece_start, piece_end):
                while start < end and text[start].isspace():
                    start += 1
                while end > start and text[end - 1].isspace():
                    end -= 1
                if start < end:
                    sentences.append(Sentence(start, end, paragraph))
    return sentences
