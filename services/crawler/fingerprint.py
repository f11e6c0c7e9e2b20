"""Content fingerprints: an exact hash, and MinHash signatures with LSH keys for near-duplicates.

- :func:`normalise_text` collapses whitespace; :func:`content_hash` is the SHA-256 hex of it
  (``ArticleV1.content_hash``).
- :func:`minhash` is a 64-bin (one-permutation) MinHash signature over character 5-shingles of
  the lower-cased text with whitespace and punctuation removed — language-agnostic (Korean
  needs no tokenizer) and insensitive to re-wrapping.  :func:`similarity` estimates the Jaccard
  similarity of the shingle sets; a syndicated copy (other headline, byline or footer, same
  body) scores well above :data:`NEAR_DUPLICATE_SIMILARITY`, an unrelated story near zero.
- :func:`lsh_keys` cuts the signature into 16 bands of 4 values and hashes each band to a 64-bit
  key.  Two texts with Jaccard similarity ``s`` share at least one key with probability
  ``1 - (1 - s⁴)¹⁶`` (0.89 at 0.6, 0.98 at 0.7, 0.12 at 0.3), so the database finds candidates by
  indexed key equality instead of scanning every fingerprint; candidates are then verified with
  :func:`similarity`.

Why not SimHash: with 64 bits and the usual 3-bit threshold, a short news item whose headline
and byline changed already differs by 10+ bits; MinHash degrades proportionally to the changed
fraction, which is what "syndicated copy" means.
"""

from __future__ import annotations

import hashlib
import operator
import re
from collections.abc import Hashable, Sequence

from services.crawler import _minhash

NUM_PERM = 64
BANDS = 16
ROWS = NUM_PERM // BANDS
SHINGLE = 5
NEAR_DUPLICATE_SIMILARITY = 0.6
_WS = re.compile(r"\s+")
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


EMPTY = 1 << 58
"""Value of a bin no shingle fell into (larger than any real value)."""
_EMPTY_HEX = format(EMPTY, "x")


def normalise_text(text: str) -> str:
    return _WS.sub(" ", text).strip()


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def minhash(text: str) -> tuple[int, ...]:
    """The MinHash signature of ``text``: one-permutation hashing into ``NUM_PERM`` bins.

    The text is lower-cased and loses whitespace, punctuation and ``_``; each run of
    ``SHINGLE`` characters of what is left (the whole of it when shorter) is a shingle.  Each
    shingle is hashed once — the 8-byte BLAKE2b digest of its UTF-8 bytes, read as a big-endian
    integer ``h`` —; the low 6 bits of ``h`` choose the bin, ``h >> 6`` is the value, and each
    bin keeps its minimum (:data:`EMPTY` when no shingle fell into it): one pass instead of 64
    permutations, with the same Jaccard estimator (Li, Owen & Zhang, "One Permutation Hashing",
    NIPS 2012).  The hashing runs in C (``_minhash.c``): in Python it was 1.3 ms of a 4.4 KB
    page's parse (one hash object per shingle).
    """
    return _minhash.signature(_NON_WORD.sub("", text.lower()), SHINGLE, NUM_PERM, EMPTY)


def similarity(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    return _agreement(a, b, EMPTY)


def signature_parts(encoded: str) -> tuple[str, ...]:
    """The hex values of an :func:`encode_signature` string: split once, then compared with
    :func:`parts_similarity` against as many candidates as need be, without decoding them
    (equal values have equal hex digits)."""
    return tuple(encoded.split(","))


def parts_similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """:func:`similarity` of two signatures given as their :func:`signature_parts`."""
    return _agreement(a, b, _EMPTY_HEX)


def _agreement(a: Sequence[Hashable], b: Sequence[Hashable], empty: Hashable) -> float:
    """The share of equal bins among the bins at least one side uses."""
    if len(a) != len(b) or not a:
        return 0.0
    matches = sum(map(operator.eq, a, b))
    if empty in a and empty in b:
        both_empty = sum(1 for x, y in zip(a, b, strict=True) if x == empty and y == empty)
        matches -= both_empty
        used = len(a) - both_empty
    else:
        used = len(a)
    return matches / used if used else 0.0


def is_near_duplicate(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return similarity(a, b) >= NEAR_DUPLICATE_SIMILARITY


def lsh_keys(signature: tuple[int, ...]) -> tuple[int, ...]:
    """One signed 64-bit key per band (band index included, so bands never collide).

    The retention finds an article's rows of ``crawler_lsh`` by computing its keys again from
    its stored signature: a change to the keys (bands, rows, hash, the empty-bin rule) needs a
    migration that rebuilds that table."""
    keys = []
    for band in range(BANDS):
        part = signature[band * ROWS : (band + 1) * ROWS]
        if EMPTY in part:  # very short texts: an empty bin would match any other empty bin
            continue
        data = f"{band}:" + ",".join(map(str, part))
        value = int.from_bytes(hashlib.blake2b(data.encode(), digest_size=8).digest(), "big")
        keys.append(value - (1 << 64) if value >= 1 << 63 else value)
    return tuple(keys)


def encode_signature(signature: tuple[int, ...]) -> str:
    return ",".join(format(v, "x") for v in signature)


def decode_signature(encoded: str) -> tuple[int, ...]:
    """The signature of an :func:`encode_signature` string."""
    return tuple(int(part, 16) for part in encoded.split(","))
