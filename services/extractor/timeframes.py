"""When a commitment applies (timeframe) and which phase it is (scope)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

_TIMEFRAME_KO: Final = re.compile(
    r"향후\s?(?:\d{1,2}|수|몇)\s?(?:년|개월)(?:간|동안)?"
    r"|(?:(?:19|20)\d\d년\s?)?(?:[1-4]분기|상반기|하반기|연말|연초)(?:까지|부터)?"
    r"|(?:19|20)\d\d년(?:까지|부터|말|초|중)?"
    r"|(?:내년|올해|연내)(?:까지|부터|초|말|중)?"
)
_TIMEFRAME_EN: Final = re.compile(
    r"(?:by|through|until|in|from|starting(?:\sin)?)\s(?:the\send\sof\s)?(?:19|20)\d\d"
    r"|over\sthe\s(?:next|coming)\s(?:\w+\s)?(?:years|months)"
    r"|(?:next|this)\syear|by\syear[-\s]end"
    r"|(?:first|second|third|fourth)\squarter(?:\sof\s(?:19|20)\d\d)?|Q[1-4](?:\s(?:19|20)\d\d)?"
)
_NEEDLES: Final = (
    (_TIMEFRAME_KO, ("향후", "분기", "반기", "연말", "연초", "년", "올해", "연내")),
    (_TIMEFRAME_EN, ("19", "20", "over", "year", "quarter", "Q")),
)
"""Each timeframe pattern, with strings one of which every match of it contains: most sentences
hold none of them, and ``str.find`` rules that out faster than the pattern would.  A Korean
match starts with a digit or a Hangul syllable, an English one with a Latin letter, so the two
never start at the same place."""
_YEAR: Final = re.compile(r"(?:19|20)\d\d")
_UNTIL: Final = re.compile(r"까지|by|through|until|말", re.IGNORECASE)
_SCOPE: Final = re.compile(
    r"(?<![\d.])(\d)\s?(?:단계|차\s?(?:사업|구축|분))|[Pp]hase\s(\d)|(first|second|third) phase"
)
_SCOPE_NEEDLES: Final = ("단계", "차", "hase")
"""Every match of ``_SCOPE`` contains one of these."""
_ORDINAL: Final = {"first": "1", "second": "2", "third": "3"}


@dataclass(frozen=True)
class TimeframeMention:
    text: str
    start: int
    end: int
    start_date: str | None
    end_date: str | None


def find_timeframe(text: str, start: int, end: int) -> TimeframeMention | None:
    """The first period named in ``text[start:end]`` ("향후 수년간", "2027년까지", "by 2027")."""
    match = None
    for pattern, needles in _NEEDLES:
        if _holds_any(text, needles, start, end):
            found = pattern.search(text, start, end)
            if found is not None and (match is None or found.start() < match.start()):
                match = found
    if match is None:
        return None
    written = match.group()
    year = _YEAR.search(written)
    begin = until = None
    if year is not None:
        if _UNTIL.search(written):
            until = year.group()
        else:
            begin = year.group()
    return TimeframeMention(written, match.start(), match.end(), begin, until)


def find_scope(text: str, start: int, end: int) -> tuple[str, int, int] | None:
    """A phase named in the sentence, as ``phase N``."""
    if not _holds_any(text, _SCOPE_NEEDLES, start, end):
        return None
    match = _SCOPE.search(text, start, end)
    if match is None:
        return None
    number = match.group(1) or match.group(2) or _ORDINAL[match.group(3)]
    return f"phase {number}", match.start(), match.end()


def _holds_any(text: str, needles: tuple[str, ...], start: int, end: int) -> bool:
    return any(text.find(needle, start, end) >= 0 for needle in needles)
