"""Bytes → text for HTML and XML documents.

Order of evidence: the HTTP ``Content-Type`` charset, a byte-order mark, ``<meta charset>`` /
``<meta http-equiv=Content-Type>`` (or the XML declaration) in the first 4 KiB, then statistical
detection (charset-normalizer).  A declared charset is accepted when the body decodes with it
(or with fewer than 0.5 % replacement characters — real pages contain the odd broken byte);
otherwise the next piece of evidence is tried.  EUC-KR and its aliases are decoded as CP949 (its
superset, what Korean servers actually send).  The result never fails: the last resort is UTF-8
with replacement characters.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from charset_normalizer import from_bytes

_ALIASES = {
    "euc-kr": "cp949",
    "euckr": "cp949",
    "euc_kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "ksc5601": "cp949",
    "ksc_5601": "cp949",
    "korean": "cp949",
    "x-windows-949": "cp949",
    "windows-949": "cp949",
    "uhc": "cp949",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([\w.:+-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:+-]+)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]+encoding\s*=\s*[\"']([\w.:+-]+)[\"']", re.IGNORECASE)
_MAX_BAD_RATIO = 0.005


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    """The codec used (``cp949`` for EUC-KR pages)."""
    evidence: str
    """Where the encoding came from: ``header``, ``bom``, ``meta``, ``detected`` or ``fallback``."""


def normalise_encoding(name: str | None) -> str | None:
    """A Python codec name for a declared charset, or ``None`` if unknown."""
    if not name:
        return None
    name = name.strip().strip("\"'").lower()
    name = _ALIASES.get(name, name)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return _ALIASES.get(codec, codec)


def charset_from_content_type(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    return match.group(1) if match else None


def _bom(body: bytes) -> tuple[str, int] | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name, len(bom)
    return None


def _declared_in_document(body: bytes) -> str | None:
    head = body[:4096]
    match = _XML_ENCODING.search(head) or _META_CHARSET.search(head)
    return match.group(1).decode("ascii", "replace") if match else None


def _try(body: bytes, codec: str) -> str | None:
    try:
        return body.decode(codec)
    except UnicodeDecodeError:
        text = body.decode(codec, errors="replace")
        bad = text.count("\ufffd")
        return text if bad <= max(1, int(len(text) * _MAX_BAD_RATIO)) else None
    except LookupError:
        return None


def decode_document(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode an HTML/XML body; see the module docstring for the order of evidence."""
    candidates: list[tuple[str, str, int]] = []
    header = normalise_encoding(charset_from_content_type(content_type))
    bom = _bom(body)
    if header and header.startswith(("utf-16", "utf-32")) and b"\x00" not in body[:1024]:
        header = None  # markup in UTF-16 has a zero byte in every ASCII character; this has none
    if header and not (bom and header.startswith("utf-16")):
        candidates.append((header, "header", 0))
    if bom:
        candidates.append((bom[0], "bom", bom[1]))
    meta = normalise_encoding(_declared_in_document(body))
    if meta and meta.startswith(("utf-16", "utf-32")) and not bom:
        meta = "utf-8"  # an ASCII-readable document cannot really be UTF-16
    if meta:
        # Servers default to ISO-8859-1 far more often than pages are really Latin-1.
        position = 0 if header == "cp1252" and meta != "cp1252" else len(candidates)
        candidates.insert(position, (meta, "meta", 0))
    for codec, evidence, skip in candidates:
        text = _try(body[skip:], codec)
        if text is not None:
            return Decoded(text.removeprefix("\ufeff"), codec, evidence)
    best = from_bytes(body[:200_000]).best() if body else None
    if best is not None and best.encoding:
        codec = normalise_encoding(best.encoding) or "utf-8"
        text = _try(body, codec)
        if text is not None:
            return Decoded(text, codec, "detected")
    return Decoded(body.decode("utf-8", errors="replace"), "utf-8", "fallback")
