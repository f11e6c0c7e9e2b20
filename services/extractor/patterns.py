"""Regular expressions built from word lists.

A plain alternation of hundreds of words makes the regex engine try every word at every
position; :func:`trie_pattern` factors the words into a prefix tree instead, so each position
costs a few character comparisons.  The tree has no unbounded repetition: matching is linear.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_Trie = dict[str, "_Trie"]
_END = ""


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


def is_latin(char: str) -> bool:
    return char.isascii() and char.isalnum()


def is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3" or "\u3131" <= char <= "\u318e"
