"""Every occurrence of a list of words in a whole text, from one pass of Hyperscan.

Python's regex engine tries a prefix-tree pattern at each possible start of a word, about
100 ns a try; an article has thousands.  Hyperscan matches all the words at once (SIMD literal
matching), several times cheaper per article.  It reports every occurrence, overlapping ones
included, as byte offsets into the encoded text; :meth:`WordScanner.occurrences` turns them into
character offsets, and the caller makes the choice a regex would (leftmost, longest, never
overlapping — see :func:`services.extractor.lexicon.chosen_hits`).

Which encoding is scanned: ASCII text as is (a byte is a character); other text as UTF-16
(two bytes a character, unless it holds characters beyond the Basic Multilingual Plane, such as
emoji); those few texts as UTF-8, whose byte offsets are converted by decoding.

Hyperscan ships wheels for x86-64 Linux and for macOS, not for Linux on ARM; there
:func:`word_scanner` gives ``None`` and callers use the regexes (slower, same results).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Final, Generic, TypeVar

try:
    import hyperscan
except ImportError:  # pragma: no cover - only where no wheel exists (Linux on ARM)
    AVAILABLE = False
else:
    AVAILABLE = True

_SURROGATES: Final = "surrogatepass"
"""Texts may hold lone surrogates; they round-trip like any other character."""

T = TypeVar("T")
Occurrence = tuple[int, int, T]
"""``(start, end, payload)``: where a word occurs, and what the caller attached to the word."""


class _Words(Generic[T]):
    """One compiled database of the words in one encoding, with a scratch space per thread."""

    def __init__(self, encoded: Sequence[bytes], payloads: Sequence[T]) -> None:
        self._found = list(zip(map(len, encoded), payloads, strict=True))
        self._database = hyperscan.Database()
        # Escaped bytes rather than the literal API, which stops a word at a zero byte.
        self._database.compile(
            expressions=[b"".join(b"\\x%02x" % byte for byte in word) for word in encoded],
            ids=list(range(len(encoded))),
            elements=len(encoded),
            flags=0,
        )
        self._local = threading.local()

    def occurrences(self, data: bytes) -> list[Occurrence[T]]:
        """Byte spans of every occurrence, in the order their ends come."""
        scratch: hyperscan.Scratch | None = getattr(self._local, "scratch", None)
        if scratch is None:
            scratch = self._local.scratch = hyperscan.Scratch(self._database)
        words = self._found
        found: list[Occurrence[T]] = []

        def on_match(word: int, _start: int, end: int, _flags: int, _context: object) -> None:
            length, payload = words[word]
            found.append((end - length, end, payload))

        self._database.scan(data, match_event_handler=on_match, scratch=scratch)
        return found


class WordScanner(Generic[T]):
    """A compiled set of words (matched case-sensitively as written), each with a payload."""

    def __init__(self, words: Mapping[str, T]) -> None:
        unique = sorted(word for word in words if word)
        payloads = [words[word] for word in unique]
        # (UTF-8, UTF-16) databases; Hyperscan compiles no database of no words.
        self._databases = (
            _Words([w.encode("utf-8", _SURROGATES) for w in unique], payloads),
            _Words([w.encode("utf-16-le", _SURROGATES) for w in unique], payloads),
        ) if unique else None

    def occurrences(self, text: str) -> list[Occurrence[T]]:
        """Every occurrence of every word, in character offsets, ordered by start and, at one
        start, longest first."""
        if self._databases is None or not text:
            return []
        utf8, utf16 = self._databases
        if text.isascii():
            found = utf8.occurrences(text.encode("ascii"))
        else:
            data = text.encode("utf-16-le", _SURROGATES)
            if len(data) == 2 * len(text):
                units = utf16.occurrences(data)
                found = [(a >> 1, b >> 1, p) for a, b, p in units if not a & 1]
            else:  # characters beyond the BMP take two UTF-16 units: count in UTF-8 instead
                data = text.encode("utf-8", _SURROGATES)
                found = _to_characters(data, utf8.occurrences(data))
        # By end (they come so already: cheap), then by start descending — a stable sort keeps
        # shorter words first at one start — and reversed: by start, longest first.
        found.sort(key=itemgetter(1))
        found.sort(key=itemgetter(0), reverse=True)
        found.reverse()
        return found


def _to_characters(data: bytes, found: list[Occurrence[T]]) -> list[Occurrence[T]]:
    """UTF-8 byte spans as character spans.  Whole UTF-8 words start and end on character
    boundaries, so each offset is the length of the text decoded up to it."""
    characters: dict[int, int] = {}
    position = previous = 0
    for offset in sorted({offset for start, end, _ in found for offset in (start, end)}):
        position += len(data[previous:offset].decode("utf-8", _SURROGATES))
        characters[offset] = position
        previous = offset
    return [(characters[start], characters[end], payload) for start, end, payload in found]


def word_scanner(words: Mapping[str, T]) -> WordScanner[T] | None:
    """A scanner of ``words``, or ``None`` where Hyperscan is not installed."""
    return WordScanner(words) if AVAILABLE else None
