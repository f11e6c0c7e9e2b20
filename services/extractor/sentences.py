"""Sentence splitting with character offsets.

A sentence runs from a non-space character to ``.``/``!``/``?`` followed by white space (not
after abbreviations such as "U.S." or "Inc."), to a line break or to the end of the text; a
sentence longer than :data:`MAX_SENTENCE` characters is cut there, so that no rule ever sees an
unbounded string.  Two or more line breaks start a new paragraph.

The definitions are here; the walk over the text is C (``_split.c``, built with the package):
every article is split whole, and an interpreted loop per sentence was a fifth of extraction.
``tests/extractor/test_sentences.py`` holds the walk to the definition as one regular expression.
"""

from __future__ import annotations

import string
from typing import Final, NamedTuple

from services.extractor import _split

MAX_SENTENCE: Final = 1200
TERMINATORS: Final = ".!?。…"
"""A run of these before white space (or the end) ends a sentence; so does a line break."""
CLOSERS: Final = "\"'”’」』)]"
"""Closing quotes and brackets after the terminators belong to the sentence."""
ABBREVIATIONS: Final = (
    *string.ascii_uppercase,
    *("U.S", "U.K", "Inc", "Corp", "Co", "Ltd", "Mr", "Ms", "Mrs", "Dr", "No", "vs", "approx"),
    *("e.g", "i.e", "St", "Jr", "Sr", "Gov", "Rep", "Sen", "Jan", "Feb", "Mar", "Apr", "Jun"),
    *("Jul", "Aug", "Sep", "Sept", "Oct", "Nov", "Dec"),
)
"""Words whose period (after an ASCII letter, before a space, at a word start) ends no
sentence: "U.S. officials", "Samsung Electronics Co. Ltd."."""


class Sentence(NamedTuple):
    """A sentence's offsets (a named tuple: articles have many, and tuples are cheap)."""

    start: int
    end: int
    paragraph: int


def split_sentences(text: str) -> list[Sentence]:
    """The sentences of ``text`` as offsets; ``text[s.start:s.end]`` is stripped of spaces.

    A piece ending with an abbreviation's period continues into the next one."""
    return _split.split(text, Sentence, TERMINATORS, CLOSERS, ABBREVIATIONS, MAX_SENTENCE)
