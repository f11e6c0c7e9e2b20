"""Every occurrence of a list of words in a whole text, from one pass of Hyperscan.

Python's regex engine tries a prefix-tree pattern at each possible start of a word, about
100 ns a try; an article has thousands.  Hyperscan matches all the words at once (SIMD literal
matching), several times cheaper per article.  It reports every occurrence, overlapping ones
included, as byte offsets into the encoded text; :meth:`WordScanner.spans` turns them into
character offsets, and the caller makes the choice a regex would (leftmost, longest, never
overlapping — see :meth:`services.extractor.lexicon.WordList.find_all`).

Which encoding is scanned: ASCII text as is (a byte is a character); other text as UTF-16
(two bytes a character, unless it holds characters beyond the Basic Multilingual Plane, such as
emoji); those few texts as UTF-8, whose byte offsets are converted by decoding.

Hyperscan ships wheels for x86-64 Linux and for macOS, not for Linux on ARM; there
:func:`word_scanner` gives ``None`` and callers use the regexes (slower, same results).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from operator import itemgetter

try:
    import hyperscan
except ImportError:  # pragma: no cover - only where no wheel exists (Linux on ARM)
    AVAILABLE = False
else:
    AVAILABLE = True

_SURROGATES = "surrogatepass"
"""Texts may hold lone surrogates; they round-trip like any other character."""

_Spans = list[tuple[int, int]]


class _Words:
    """One compiled database of the words in one encoding, with a scratch space per thread."""

    def __init__(self, encoded: Sequence[bytes]) -> None:
        self.lengths = [len(word) for word in encoded]
        self._database = hyperscan.Database()
        # Escaped bytes rather than the literal API, which stops a word at a zero byte.
        self._database.compile(
            expressions=[b"".join(b"\\x%02x" % byte for byte in word) for word in encoded],
            ids=list(range(len(encoded))),
            elements=len(encoded),
            flags=0,
        )
        self._local = threading.local()

    def scan(self, data: bytes, on_match: Callable[[int, int, int, int, object], None]) -> None:
        scratch: hyperscan.Scratch | None = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        self._database.scan(data, match_event_handler=on_match, scratch=scratch)

    def spans(self, data: bytes) -> _Spans:
        """Byte spans of every occurrence, in the order their ends come."""
        lengths = self.lengths
        found: _Spans = []

        def on_match(word: int, _start: int, end: int, _flags: int, _context: object) -> None:
            found.append((end - lengths[word], end))

        self.scan(data, on_match)
        return found


class WordScanner:
    """A compiled set of words, matched case-sensitively as written."""

    def __init__(self, words: Iterable[str]) -> None:
        unique = sorted({word for word in words if word})
        self._empty = not unique
        if unique:
            self._utf8 = _Words([word.encode("utf-8", _SURROGATES) for word in unique])
            self._utf16 = _Words([word.encode("utf-16-le", _SURROGATES) for word in unique])

    def spans(self, text: str) -> _Spans:
        """``(start, end)`` character offsets of every occurrence of every word, ordered by
        start and, at one start, longest first."""
        if self._empty or not text:
            return []
        if text.isascii():
            found = self._utf8.spans(text.encode("ascii"))
        else:
            data = text.encode("utf-16-le", _SURROGATES)
            if len(data) == 2 * len(text):
                found = [(a >> 1, b >> 1) for a, b in self._utf16.spans(data) if not a & 1]
            else:  # characters beyond the BMP take two UTF-16 units: count in UTF-8 instead
                data = text.encode("utf-8", _SURROGATES)
                found = _to_characters(data, self._utf8.spans(data))
        # By end (they come so already: cheap), then by start descending — a stable sort keeps
        # shorter words first at one start — and reversed: by start, longest first.
        found.sort(key=itemgetter(1))
        found.sort(key=itemgetter(0), reverse=True)
        found.reverse()
        return found


def _to_characters(data: bytes, spans: _Spans) -> _Spans:
    """UTF-8 byte spans as character spans.  Whole UTF-8 words start and end on character
    boundaries, so each offset is the length of the text decoded up to it."""
    characters: dict[int, int] = {}
    position = previous = 0
    for offset in sorted({offset for span in spans for offset in span}):
        position += len(data[previous:offset].decode("utf-8", _SURROGATES))
        characters[offset] = position
        previous = offset
    return [(characters[start], characters[end]) for start, end in spans]


def word_scanner(words: Iterable[str]) -> WordScanner | None:
    """A scanner of ``words``, or ``None`` where Hyperscan is not installed."""
    return WordScanner(words) if AVAILABLE else None
