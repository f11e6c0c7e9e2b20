"""Content fingerprints: an exact hash and a 64-bit SimHash for near-duplicates.

- :func:`normalise_text` collapses whitespace; :func:`content_hash` is the SHA-256 hex of it
  (``ArticleV1.content_hash``).
- :func:`simhash` is a 64-bit SimHash over character 5-shingles of the lower-cased text with
  whitespace and punctuation removed — language-agnostic, so Korean needs no tokenizer, and
  insensitive to re-wrapping and small edits (a syndicated copy with another byline or a
  different footer).  Two texts are near-duplicates when the Hamming distance of their
  SimHashes is at most :data:`NEAR_DUPLICATE_BITS`.
- :func:`bands` splits a SimHash into ``NEAR_DUPLICATE_BITS + 1`` bands; by the pigeonhole
  principle two hashes within the threshold share at least one band exactly, so the database
  looks up candidates by indexed band equality instead of scanning every fingerprint.
"""

from __future__ import annotations

import hashlib
import re

NEAR_DUPLICATE_BITS = 3
BAND_COUNT = NEAR_DUPLICATE_BITS + 1
SHINGLE = 5
_MASK64 = (1 << 64) - 1
_WS = re.compile(r"\s+")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    return _WS.sub(" ", text).strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def _shingles(text: str) -> list[str]:
    compact = _NON_WORD.sub("", text.lower())
    if len(compact) <= SHINGLE:
        return [compact] if compact else []
    return [compact[i : i + SHINGLE] for i in range(len(compact) - SHINGLE + 1)]


def simhash(text: str) -> int:
    """Unsigned 64-bit SimHash of ``text`` (0 for text without letters or digits)."""
    weights = [0] * 64
    counts: dict[str, int] = {}
    for shingle in _shingles(text):
        counts[shingle] = counts.get(shingle, 0) + 1
    if not counts:
        return 0
    for shingle, count in counts.items():
        h = int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")
        for bit in range(64):
            weights[bit] += count if (h >> bit) & 1 else -count
    value = 0
    for bit in range(64):
        if weights[bit] > 0:
            value |= 1 << bit
    return value


def hamming(a: int, b: int) -> int:
    return ((a ^ b) & _MASK64).bit_count()


def is_near_duplicate(a: int, b: int, bits: int = NEAR_DUPLICATE_BITS) -> bool:
    return hamming(a, b) <= bits


def bands(value: int, count: int = BAND_COUNT) -> tuple[int, ...]:
    """``count`` disjoint bit ranges of ``value`` (64 bits split as evenly as possible)."""
    out: list[int] = []
    start = 0
    for i in range(count):
        width = 64 // count + (1 if i < 64 % count else 0)
        out.append((value >> start) & ((1 << width) - 1))
        start += width
    return tuple(out)


def to_signed(value: int) -> int:
    """Store an unsigned 64-bit value in a signed BIGINT column."""
    return value - (1 << 64) if value >= 1 << 63 else value


def from_signed(value: int) -> int:
    return value & _MASK64
