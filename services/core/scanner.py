"""Every occurrence of a set of words in a whole text, from one pass of an Aho-Corasick automaton.

Python's regex engine tries a prefix-tree pattern at each possible start of a word, about
100 ns a try; an article has thousands.  An Aho-Corasick automaton reads the text once, a
character at a time, and is in a state that names every word ending there.  It is built here,
from the words (pure Python, the definition); the walk over a text is C (``_scan.c``, built with
the package), which reads the str's code points as they are, so that its offsets are character
offsets for any text.  It reports every occurrence, overlapping ones included; the caller makes
the choice it needs: the extractor's lexicon the one a regex would (leftmost, longest, never
overlapping — :func:`services.extractor.lexicon.chosen_hits`), the crawler's relevance rules a
count per term (:func:`services.crawler.relevance.term_counts`).

Why not a library: Hyperscan matched the words in one SIMD pass, but its binding reported each
occurrence through a Python callback, which cost more than the scan; ``pyahocorasick`` took 4.6×
Hyperscan's time on the same words (see the README's dependency table).
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Mapping, Sequence
from typing import Final, Generic, TypeVar

from services.core import _scan

T = TypeVar("T")
Occurrence = tuple[int, int, T]
"""``(start, end, payload)``: where a word occurs, and what the caller attached to the word."""

_BMP: Final = 65536


class Automaton:
    """An Aho-Corasick automaton of words, as tables (states are numbered from the root, 0)."""

    def __init__(self, words: Sequence[str]) -> None:
        goto: list[dict[int, int]] = [{}]
        ends: list[list[int]] = [[]]
        for index, word in enumerate(words):
            state = 0
            for char in word:
                code = ord(char)
                following = goto[state].get(code)
                if following is None:
                    following = len(goto)
                    goto[state][code] = following
                    goto.append({})
                    ends.append([])
                state = following
            ends[state].append(index)
        fail = [0] * len(goto)
        order: list[int] = []
        queue = deque(goto[0].values())
        while queue:  # breadth first: a state's suffix is done before the state
            state = queue.popleft()
            order.append(state)
            for code, following in goto[state].items():
                suffix = fail[state]
                while suffix and code not in goto[suffix]:
                    suffix = fail[suffix]
                fail[following] = goto[suffix].get(code, 0) if state else 0
                queue.append(following)
        outputs: list[list[int]] = [[] for _ in goto]
        for state in order:  # its own word (the longest) first, then its suffixes'
            outputs[state] = ends[state] + outputs[fail[state]]
        self.goto = goto
        self.fail = fail
        self.outputs = outputs
        self.lengths = [len(word) for word in words]

    def transitions(self) -> tuple[bytes, bytes, int]:
        """The transitions as ``_scan.c`` looks them up: the root's on the Basic Multilingual
        Plane by code point, the others in a hash table of (state + 1, code point, next state)
        at most a quarter full; and the table's mask."""
        root = array("I", [0]) * _BMP
        others = [
            (state, code, following)
            for state, moves in enumerate(self.goto)
            for code, following in moves.items()
            if state or code >= _BMP
        ]
        for code, following in self.goto[0].items():
            if code < _BMP:
                root[code] = following
        size = 4
        while size < 4 * len(others) + 1:
            size *= 2
        mask = size - 1
        slots = array("I", [0]) * (3 * size)
        for state, code, following in others:
            slot = _slot(state, code, mask)
            while slots[3 * slot]:
                slot = (slot + 1) & mask
            slots[3 * slot : 3 * slot + 3] = array("I", [state + 1, code, following])
        return _uint32(root), _uint32(slots), mask

    def tables(self) -> tuple[tuple[bytes, ...], int]:
        """Every table ``_scan.Automaton`` takes, and the transitions' mask."""
        first = [0]
        words: list[int] = []
        for found in self.outputs:
            words += found
            first.append(len(words))
        root, slots, mask = self.transitions()
        return (
            root,
            slots,
            _uint32(array("I", self.fail)),
            _uint32(array("I", first)),
            _uint32(array("I", words)),
            _uint32(array("I", self.lengths)),
        ), mask


def _slot(state: int, code: int, mask: int) -> int:
    """``slot_of`` in ``_scan.c``: the first slot a transition is looked for in."""
    return (((state * 2654435761) & 0xFFFFFFFF) ^ ((code * 2246822519) & 0xFFFFFFFF)) & mask


def _uint32(values: array[int]) -> bytes:
    """The table as ``_scan.c`` reads it: uint32 in the machine's byte order."""
    if values.itemsize != 4:
        raise ValueError("uint32 tables need a 4-byte array type")
    return values.tobytes()


class WordScanner(Generic[T]):
    """A compiled set of words (matched case-sensitively as written), each with a payload."""

    def __init__(self, words: Mapping[str, T]) -> None:
        unique = sorted(word for word in words if word)
        tables, mask = Automaton(unique).tables()
        self._automaton = _scan.Automaton(tables, mask, tuple(words[word] for word in unique))

    def occurrences(self, text: str) -> list[Occurrence[T]]:
        """Every occurrence of every word, in character offsets, ordered by start and, at one
        start, longest first."""
        found: list[Occurrence[T]] = self._automaton.occurrences(text)
        return found
