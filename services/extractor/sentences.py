"""Sentence splitting with character offsets.

Sentences end at ``.``/``!``/``?`` followed by white space (not after abbreviations such as
"U.S." or "Inc."), at line breaks, and — so that no rule ever sees an unbounded string — after
:data:`MAX_SENTENCE` characters, at the last space before that limit.  A blank line starts a new
paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SENTENCE = 1200

_BREAK = re.compile(r"\n|[.!?。…]+[\"'”’」』)\]]*(?=\s|$)")
_ABBREVIATION = re.compile(
    r"(?:\b(?:[A-Z]|U\.S|U\.K|Inc|Corp|Co|Ltd|Mr|Ms|Mrs|Dr|No|vs|approx|e\.g|i\.e|St|Jr|Sr|Gov|"
    r"Rep|Sen|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec))$"
)


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    paragraph: int


def _emit(text: str, start: int, end: int, paragraph: int, out: list[Sentence]) -> None:
    """Append ``text[start:end]`` stripped, cut into pieces of at most MAX_SENTENCE."""
    while start < end:
        segment = text[start:end]
        stripped = segment.strip()
        if not stripped:
            return
        start += len(segment) - len(segment.lstrip())
        end = start + len(stripped)
        if end - start <= MAX_SENTENCE:
            out.append(Sentence(start, end, paragraph))
            return
        cut = text.rfind(" ", start + MAX_SENTENCE // 2, start + MAX_SENTENCE)
        cut = cut if cut > 0 else start + MAX_SENTENCE
        out.append(Sentence(start, cut, paragraph))
        start = cut


def _abbreviation(text: str, period: int) -> bool:
    before = text[period - 1 : period]
    return before.isascii() and before.isalpha() and bool(
        _ABBREVIATION.search(text, max(0, period - 6), period)
    )


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` as offsets; ``text[s.start:s.end]`` is stripped of spaces."""
    sentences: list[Sentence] = []
    paragraph = 0
    line_breaks = 0  # line breaks since the last sentence
    cursor = 0
    for match in [*_BREAK.finditer(text), None]:
        newline = match is not None and match.group() == "\n"
        if match is None:
            end = len(text)
        elif newline:
            end = match.start()
        elif _abbreviation(text, match.start()):
            continue
        else:
            end = match.end()
        if text[cursor:end].strip():
            if line_breaks > 1 and sentences:
                paragraph += 1
            line_breaks = 0
            _emit(text, cursor, end, paragraph, sentences)
        if newline:
            line_breaks += 1
        cursor = end if match is None else match.end()
    return sentences
