"""Regular expressions built from word lists.

A plain alternation of hundreds of words makes the regex engine try every word at every
position; :func:`trie_pattern` factors the words into a prefix tree instead, so each position
costs a few character comparisons.  The tree has no unbounded repetition: matching is linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

_Trie = dict[str, "_Trie"]
_END: Final = ""


def _insert(trie: _Trie, word: str) -> None:
    node = trie
    for char in word:
        node = node.setdefault(char, {})
    node[_END] = {}


def _render(node: _Trie) -> str:
    ends_here = _END in node
    branches = [re.escape(char) + _render(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if ends_here:
        # Greedy optional: the longest word wins, the shorter one is the fallback.
        return "(?:" + body + ")?"
    return body


def trie_pattern(words: Iterable[str]) -> str:
    """A regex source matching any of ``words``, preferring the longest at each position."""
    trie: _Trie = {}
    for word in words:
        if word:
            _insert(trie, word)
    if not trie:
        return "(?!)"
    return _render(trie)


def variants(words: Iterable[str]) -> set[str]:
    """Each word as written, in lower case, capitalised, title case and upper case: matching
    these is much faster than a case-insensitive pattern."""
    found: set[str] = set()
    for word in words:
        found |= {word, word.lower(), word.capitalize(), word.title(), word.upper()}
    return found


def at_word_start(text: str, start: int, *, hangul: bool = False) -> bool:
    """A match starting with a Latin letter or digit must not continue a word (nor, when
    ``hangul``, follow a Hangul syllable)."""
    if start == 0:
        return True
    before = text[start - 1]
    if hangul and is_hangul(before):
        return False
    return not (is_latin(text[start]) and is_latin(before)) and not (
        hangul and is_latin(before)
    )


def at_word_end(text: str, end: int) -> bool:
    return end >= len(text) or not (is_latin(text[end - 1]) and is_latin(text[end]))


def is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3" or "\u3131" <= char <= "\u318e"
