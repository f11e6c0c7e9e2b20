"""Numbers with their unit and qualifier, in Korean and English.

:func:`find_quantities` returns every number that carries a unit — a counter (개, 장, 대, 기;
"GPUs" and other nouns are judged by the rules), a currency or a power unit — or that stands
alone in English ("will each install up to 50,000.").  Dates, percentages, ranks, years and
model numbers carry none of these and are never returned.

All patterns use bounded repetition only, so time is linear in the input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

Kind = Literal["count", "money", "power", "bare"]
Qualifier = Literal["exact", "about", "up_to", "at_least"]

_NUM: Final = r"(?:\d{1,3}(?:,\d{3}){1,4}|\d{1,13})(?:\.\d{1,4})?(?![\d,]\d)"
_KO_GROUP: Final = _NUM + r"\s?(?:[십백천](?:\s?[조억만])?|[조억만])"
_KO_NUMBER: Final = r"(?:" + _KO_GROUP + r"\s?){1,4}(?:\d{1,4}(?![\d.]))?"
_KO_VAGUE: Final = r"수\s?(?:십|백|천)?\s?(?:조|억|만|천|백|십)"
_EN_MAGNITUDE: Final = r"thousand|million|billion|trillion|bn|mn|tn|[kKmMbBT](?![A-Za-z0-9])"
_EN_NUMBER: Final = _NUM + r"(?:\s?(?:" + _EN_MAGNITUDE + r"))?"
_EN_WORDS: Final = (
    r"(?:a|one)\s(?:quarter|third)\sof\sa\s(?:million|billion)|half\sa\s(?:million|billion)"
    r"|(?:a|one|two|three|four|five|six|seven|eight|nine|ten|twenty|fifty|a\shundred)"
    r"\s(?:hundred\s)?(?:thousand|million|billion|trillion)"
)
_EN_VAGUE: Final = (
    r"(?:tens|hundreds)\sof\s(?:thousands|millions|billions)(?:\sof)?"
    r"|(?:thousands|millions|billions)\sof"
)
_CURRENCY_BEFORE: Final = r"US\$|\$|₩|€|£|¥|USD\s?|KRW\s?|EUR\s?|GBP\s?|JPY\s?"
_GLUED_CURRENCY: Final = {
    "HK$": "HKD", "NT$": "TWD", "S$": "SGD", "A$": "AUD", "C$": "CAD", "JP¥": "JPY", "CN¥": "CNY"
}  # fmt: skip
"""Currencies written as letters before ``$`` or ``¥``: read by looking back from the sign, so
that the number pattern's first characters stay few (a capital letter starts no match)."""

_NEVER: Final = "(?!)"


def _number_pattern(
    ko: str, kov: str, en: str, enw: str, env: str, first: str
) -> re.Pattern[str]:
    # The look-ahead on the first character lets the engine skip ahead quickly (five times
    # faster than trying the optional currency at every position).
    return re.compile(
        r"(?=[" + first + r"])(?:(?P<cur>" + _CURRENCY_BEFORE + r")\s?)?(?:"
        r"(?P<ko>" + ko + r")|(?P<kov>" + kov + r")|(?P<en>" + en + r")"
        r"|(?P<enw>" + enw + r")|(?P<env>" + env + r"))"
    )


# Figures in digits, and (only where "million" or "thousand" occurs) figures in words: one
# pattern with both would have to try words at every letter.
_DIGITS: Final = _number_pattern(
    _KO_NUMBER, _KO_VAGUE, _EN_NUMBER, _NEVER, _NEVER, r"0-9$₩€£¥수UKEGJ"
)
_WORDS: Final = _number_pattern(
    _NEVER, _NEVER, _NEVER, _EN_WORDS, _EN_VAGUE, r"aohtfsenUKEGJ$₩€£¥"
)
_WORD_HINTS: Final = ("illion", "ILLION", "housand", "HOUSAND")
"""What every number in words (``_WORDS``) has; ``str.find`` looks for them faster than a regex."""
_NOT_AFTER: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.,-_/")

_KO_AFTER_NUMBER: Final = r"(?P<q1>여|남짓)?\s?"
_THAN_KO: Final = r"보다(?:는|도)?\s?(?:(?:더|훨씬|조금|좀|약간|다소)\s?)?"
_MORE_THAN_KO: Final = _THAN_KO + r"많(?!지)"
_LESS_THAN_KO: Final = _THAN_KO + r"적(?!지)"
"""A figure what is more or less is compared with (1만장보다 많은, 1만장보다 훨씬 적은; not
1만장보다 두 배 많은, 1만장보다 많지 않은)."""
_PARTICLE_FOLLOWS: Final = (
    r"(?=[^가-힣]|$|(?:을|를|의|이|가|은|는|에|과|와|도|씩|로|으로|까지|규모|분|어치|이상|이하|미만|초과"
    r"|여|가량|정도|안팎|내외|쯤|남짓|넘|대|만(?!큼)|밖에|뿐|"
    + _MORE_THAN_KO + "|" + _LESS_THAN_KO + "))"
)
_COUNTED_OTHER_KO: Final = (
    r"(?!\s?(?:(?:AI|국내|해외|민간|공공|중소|중견|대형|글로벌|국책|지역|정예|유망|클라우드)\s?)?"
    r"(?:기업|스타트업|업체|회사|계열사|그룹|기관|연구소|연구기관|대학|학교|병원|컨소시엄|단체|협회"
    r"|사업자|부처|지자체|나라|곳|팀|거점|리전|과제|이동통신사|통신사|주주|강국)(?:사|체|교)?(?:들)?"
    r"(?:에게|에서|에|이|가|은|는|을|를|과|와|의|도|으?로서|으?로)?(?![가-힣]))"
)
"""After 개 or 대, what it counts when that is no compute: organisations, places, projects, or a
rank (정부는 5개 스타트업에 GPU 1000장을 공급한다, 3개 컨소시엄에, 20개 AI 스타트업, 12개
기업체, 5대 그룹이, 2대 주주): no quantity.  장 and 기 count compute only (GPU 1만장 데이터센터)."""
_UNIT_AFTER: Final = re.compile(
    _KO_AFTER_NUMBER
    + r"(?:(?P<power>MW|GW|메가와트|기가와트|megawatts?|gigawatts?)"
    r"|(?P<money>달러|원|유로|엔|위안|파운드)" + _PARTICLE_FOLLOWS
    + r"|(?P<counter>장|기|(?:개|대)" + _COUNTED_OTHER_KO + ")" + _PARTICLE_FOLLOWS
    + r"|(?P<enmoney>dollars|won|euros|yen|USD|KRW|EUR)(?![A-Za-z]))",
    re.IGNORECASE,
)
_QUALIFIER_AFTER: Final = re.compile(
    r"\s?(?:(?P<at_least>[을를이가]\s?(?:넘는|넘게|넘은|넘어서|넘어선|넘어섰|넘었)|넘는|넘게|넘은|넘어|이상|초과"
    r"|\+|\s?plus(?![a-z])|\s?or\smore|" + _MORE_THAN_KO + ")"
    r"|(?P<about>여|가량|정도|안팎|내외|쯤|남짓)"
    r"|(?P<up_to>이하|미만|까지|(?:[을를이가]\s?)?넘지\s?않|" + _LESS_THAN_KO + "))",
)
_FIGURE_NEXT_KO: Final = re.compile(
    r"[가-힣]{0,2}\s(?:[A-Za-z가-힣0-9-]+(?<![을를이가은는에의])\s){0,3}\d"
)
"""After 1만장보다 많은: the figure it is compared with comes next (GPU 10만장보다 많은 15만장),
and the first is no quantity of its own."""
_GOODS_NEXT_KO: Final = re.compile(
    r"[이게](?![가-힣])|[은는]\s?(?:물량|규모|금액|돈|자금|수량|수의|양의|GPU|그래픽|칩|가속기|AI|엔비디아"
    r"|[A-Z])(?!이?다)"
)
"""After 1만장보다 많은: what there is more of — the goods counted (GPU를, 물량을, 금액을) or a
verb (많이, 적게); 원전 1기보다 많은 전력 counts no GPUs."""
QUALIFIER_WORDS: Final[dict[Qualifier, tuple[str, ...]]] = {
    "up_to": ("최대", "up to", "as many as", "as much as", "no more than", "at most",
              "fewer than", "less than"),
    "at_least": ("최소", "적어도", "more than", "over", "at least", "upwards of", "in excess of"),
    "about": ("약", "대략", "어림잡아", "about", "around", "roughly", "nearly", "approximately",
              "some", "almost", "close to", "an estimated", "an estimate of", "approx.", "approx"),
}  # fmt: skip
"""Words before a number that qualify it (a space stands for any one whitespace character,
letters match in any case); after the word come at most two spaces, an optional 총 and its
space, and a line break."""
_BY_LENGTH: Final = sorted(
    ((word, kind) for kind, words in QUALIFIER_WORDS.items() for word in words),
    key=lambda item: len(item[0]),
    reverse=True,
)
_LOOK_BACK: Final = 24
"""How far before a number its qualifier may start: more than the longest word (14
characters), two spaces, 총 and its space, and a line break."""


def _reversed(word: str) -> str:
    """``word`` spelt backwards, as a pattern (a space: any one whitespace character)."""
    return re.escape(word[::-1]).replace(r"\ ", r"\s")


_QUALIFIER_BEFORE_REVERSED: Final = re.compile(
    r"\n?(?:\s?총)?\s{0,2}(?:"
    + "|".join(f"(?P<w{index}>{_reversed(word)})" for index, (word, _) in enumerate(_BY_LENGTH))
    + ")",
    re.IGNORECASE,
)
"""The qualifier before a number, matched once on the reversed text before it: a pattern
anchored at the number's start, searched forwards, would be tried at every position of the
look-back.  Longer words first, so that "no more than" wins over "more than".  The line break
is what the forward pattern's ``$`` allowed: it matches before a final newline too."""
_KIND_OF_GROUP: Final[dict[str | None, Qualifier]] = {
    f"w{index}": kind for index, (_, kind) in enumerate(_BY_LENGTH)
}
_BARE_FOLLOWS: Final = re.compile(  # "install up to 50,000.", "secure 30,000 by 2027"
    r"\s?(?:[.,;:)]|$|each|apiece|units?\b|of\s(?:them|those)\b"
    r"|(?:by|in|over|this|next|from|at|across|within|through|more)\b)"
)
_BARE_TO: Final = re.compile(r"\s?to\s+(?:the\s+)?[a-z]{0,3}[A-Z]")
"""After a number in digits: the name it goes to ("lease 5,000 to Anthropic", "to xAI"; not a
range's "5,000 to 8,000" or "to around 8,000", "500 to train", "30 billion to build")."""

_DASH: Final = r"[~～〜∼\-–—]"
"""A dash or tilde between two numbers ("5만~6만", "50,000-60,000", "3~4월")."""
_RANGE_GAP: Final = re.compile(rf"\s?{_DASH}\s?|\s(?:(?P<to>to)|(?P<between>and))\s")
"""What separates a range's bounds ("5만~6만", "50,000-60,000", "$10–15 billion", "50,000 to
60,000"); ``and`` only after "between"."""
_TIME_RANGE_AFTER: Final = re.compile(
    rf"\s?{_DASH}\s?\d{{1,4}}\s?(?:개월|월|일|년|주|시간|시|분|초)"
)
"""What follows the first bound of a span of time ("3~4월", "10~11일", "2~3년 안에"): that bound
is a date or a duration, not a quantity."""
_MULTIPLIER_AFTER: Final = re.compile(
    r"\s?(?:times\b|-?fold\b|x\b|배(?!치|정|분|포|송|출|달|터|당))", re.IGNORECASE
)
"""What follows a multiplier ("4 times faster than the H100", "3x more", 4배): no quantity."""
_SPEC_AFTER: Final = re.compile(
    r"-(?:high|hi|layer|stack|die)\b"
    r"|-GPUs?\s(?:(?:and|or)\s\d+-GPUs?\s)?(?:[A-Z0-9][\w-]*\s){0,2}"
    r"(?:server|node|rack|system|box|board|tray|instance|machine|pod|chassis)",
    re.IGNORECASE,
)
"""What follows a number that describes the goods instead of counting them: a memory stack's
height ("12-high HBM3E chips", "8-Hi", "16-layer"; 12단 is none already, 단 being no unit) or
the GPUs in each machine ("2,000 8-GPU servers", "72-GPU racks"; not "a 100,000-GPU
cluster", the cluster's size)."""
_ER_NOUNS: Final = (
    r"(?:quarter|cent(?:er|re)|server|customer|partner|supplier|provider|cluster|computer"
    r"|number|user|order|power|tower|layer|developer|maker|chipmaker|hyperscaler|member|player"
    r"|container|buyer|seller|summer|winter|september|october|november|december|hopper)"
)
_NOT_IN_PHRASE: Final = (
    r"(?i:more|less|than|and|or|rather|other|fewer|different|else|worse|(?!" + _ER_NOUNS + r"\b)"
    r"[a-z]+er)\b"
)
"""Words that end the phrase between "more" and its "than": "5,000 more GPUs from Nvidia
rather than AMD", "… at prices lower than Nvidia's", "… in fewer than six months", "… to build
AI smarter than humans" (those "than"s are not the figure's): comparatives, every word in -er
but nouns."""
_COMPARED_AFTER: Final = re.compile(
    r"\s(?i:fewer)\b(?!-)"
    r"|\s(?i:less)(?=\s+(?i:than|on|in|for|to|this|next|last|a|an|per|from|at|by|over)\b"
    r"|\s*[,.;:)]|\s*$)"
    r"|\s(?i:more)(?:\s(?:[A-Z0-9][A-Za-z0-9-]*"
    r"|(?i:(?:GPU|chip|accelerator|server|unit|card|processor|superchip|system|rack)s?))){0,3}"
    r"(?:\s(?i:this|next|last)\s(?i:year|quarter|month))?"
    r"(?:\s(?i:from|of|for|to|in|at|with|by|on|during|within|across|over)"
    r"(?:\s(?!" + _NOT_IN_PHRASE + r")[\w-]+){1,4})?"
    r"\s(?i:than)\b"
)
"""What follows a difference ("10,000 fewer GPUs than planned", "$2 billion less on data
centers", "5,000 more H100s than Google", "5,000 more GPUs from Nvidia than Google", "10,000 more
GPUs this year than last year"): no quantity of a commitment.  "5,000 more GPUs" alone is an
addition, "50,000 less capable H20 chips" a count, and in "20,000 more GPUs across more than 30
sites", "5,000 more H100s rather than wait" the "than" is not the figure's."""
_BASE_KO: Final = (
    r"(?:전년(?:\s?동기)?|전분기|전월|지난해|작년|지난달|올해|계획|목표|예상|예정|당초|발표"
    r"|경쟁사|타사)"
)
"""What a Korean difference is measured from: a time before or a plan (작년보다, 전년 대비)."""
_COMPARED_KO_BEFORE: Final = re.compile(
    r"(?P<base>" + _BASE_KO + r"\s?)?"
    r"(?:(?<![\s을를])(?<!무엇)(?<!누구)(?<!때)(?<!현재)(?<!지금)(?<!기존)(?<!살펴)(?<!지켜)"
    r"보다(?P<rather>는)?(?:도)?|(?P<versus>대비)|에\s?비해서?)"
    r"\s?(?:무려\s?)?"
    r"(?P<word>(?:[A-Za-z0-9가-힣]+\s)?[가-힣]{1,6}[을를]\s?|[A-Za-z][A-Za-z0-9]*[을를]?\s?)?$"
)
"""What comes before a Korean difference: 보다, 대비 or 에 비해, with what it is measured from
when there is one (:data:`_BASE_KO`), and between at most 무려 and one Latin word, or the
object the difference is of (전년 대비 투자를 2조원 확대해, 계획보다 GPU 도입을 5000장 줄였다)."""
_DIFFERENCE_KO_AFTER: Final = re.compile(
    r"\s?(?:(?:이나|[이가을를])\s?)?(?:(?P<added>추가)|더(?![가-힣])(?=\s?(?:$|[.,]|많|적|늘|줄"
    r"|[가-힣]*?(?:도입|확보|구매|구입|들여|사들|주문|배치|받|투자|투입|공급|확대|가동|구축)))"
    r"|많|적(?:은|게|다|었|어)|늘|줄|증가|감소|확대|축소|상향|하향)"
)
"""A difference in Korean: a figure after 보다, 대비 or 에 비해 and before a word of more or less
(계획보다 1만장 적은, 작년보다 5000장 늘어난, 전년 대비 2조원 증가한, 계획보다 GPU 2000장 더): no
quantity of a commitment, as "10,000 fewer GPUs than planned" is none.  None is:

- 대비 after other words (수요 대비, "in preparation for"), 무엇보다 ("above all");
- 현재보다 or 기존보다: what is added to what is held, an acquisition;
- 보다 after a space or 을 (눈치를 보다, the verb "to watch"), or after a figure when a word
  comes before the figure (H100 5000장보다 B200 1만장을 더: the others are compared; not 작년
  1만장보다 5000장 많은);
- 더 before a word other than more, less or a verb of obtaining (더 빨리, 더 비싼 가격에: the
  figure is not what is more);
- 추가, and 보다는 ("rather than"), unless measured from a time or a plan (GPU보다 NPU
  2000장을 추가 도입, 임차보다는 GPU 2000장을 더 사들이기로: the GPUs are bought)."""
_FIGURE_BASE_KO: Final = re.compile(r"[0-9만천][장개대]$")
"""A figure before 보다 (H100 5000장보다): what is compared, when a word follows 보다."""
_COMPARED_KO_REACH: Final = 24
"""How far before a figure :data:`_COMPARED_KO_BEFORE` may start."""
_BETWEEN_BEFORE: Final = re.compile(r"between\s{1,3}$", re.IGNORECASE)
GROWTH_BEFORE: Final = re.compile(r"(?:from|grow|rise)\s{1,3}$", re.IGNORECASE)
"""What precedes the first of two figures that are a change ("rise from 65,000 to 300,000"),
not a range."""
BY_BEFORE: Final = re.compile(r"by\s{1,3}$", re.IGNORECASE)
"""What precedes a change "by X to Y" ("raise its order by 10,000 to 60,000"): X is the change,
Y the new figure — no range."""
_BARE_RANGE_MIN: Final = 1000
"""The least upper bound of a range with neither unit nor noun ("install 50,000-60,000."): smaller
ones are phases, pages, ratings ("in phases 1-3.")."""
_PER_UNIT_BEFORE: Final = re.compile(r"(?:개당|장당|대당)\s?$")
_PER_UNIT_AFTER: Final = re.compile(
    r"\s?(?:each|apiece)\b(?!\s(?:year|month|quarter|week|day)s?\b)", re.IGNORECASE
)
_SPENT_BEFORE: Final = re.compile(
    r"\b(?:invest|spend|commit|pour|inject)\w*\s{1,3}(?:(?:an\s(?:additional|extra|estimated)|"
    r"another|a\sfurther|as\smuch\sas|up\sto|about|around|roughly|nearly|more\sthan|over|some)"
    r"\s{1,3})?$",
    re.IGNORECASE,
)
"""What precedes a sum that "each" after it splits among the spenders, not among units ("will
invest $1-2 billion each")."""

_KO_DIGIT: Final = {"십": 10, "백": 100, "천": 1000}
_KO_BIG: Final = {"만": 10**4, "억": 10**8, "조": 10**12}
_EN_SCALE: Final = {
    "thousand": 1e3, "k": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9,
    "b": 1e9, "trillion": 1e12, "tn": 1e12, "t": 1e12,
}
_EN_WORD_VALUE: Final = {
    "a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twenty": 20, "fifty": 50, "a hundred": 100,
}
_EN_FRACTION: Final = {"quarter": 0.25, "third": 1 / 3, "half": 0.5}
_CURRENCY: Final = {
    "$": "USD", "us$": "USD", "usd": "USD", "달러": "USD", "dollars": "USD",
    "₩": "KRW", "krw": "KRW", "원": "KRW", "won": "KRW",
    "€": "EUR", "eur": "EUR", "유로": "EUR", "euros": "EUR",
    "£": "GBP", "gbp": "GBP", "파운드": "GBP", "¥": "JPY", "jpy": "JPY", "엔": "JPY", "yen": "JPY",
    "위안": "CNY",
}
_POWER: Final = {"mw": "MW", "메가와트": "MW", "megawatt": "MW", "megawatts": "MW",
          "gw": "GW", "기가와트": "GW", "gigawatt": "GW", "gigawatts": "GW"}
_KO_GROUP_RE: Final = re.compile(r"(" + _NUM + r")\s?([십백천])?\s?([조억만])?")


Unit = tuple[Kind, str, int, Qualifier | None]
"""A number's kind, unit, where the unit ends and the qualifier written between number and unit
("5만여 대")."""


@dataclass(init=False, unsafe_hash=True)  # a written __init__: see services.extractor.entities
class QuantityMention:
    start: int
    end: int
    value: float | None
    kind: Kind
    unit: str
    """``MW``/``GW``, a currency code, the counter (개/장/대/기), or "" for English counts"""
    qualifier: Qualifier
    number_end: int
    """Where the number itself ends (before any unit): rules look for nouns after it."""

    def __init__(
        self,
        start: int,
        end: int,
        value: float | None,
        kind: Kind,
        unit: str,
        qualifier: Qualifier,
        number_end: int,
    ) -> None:
        self.start = start
        self.end = end
        self.value = value
        self.kind = kind
        self.unit = unit
        self.qualifier = qualifier
        self.number_end = number_end


def _float(digits: str) -> float:
    return float(digits.replace(",", ""))


def korean_value(text: str) -> float:
    """``26만`` → 260000, ``1조 2000억`` → 1.2e12, ``5만2000`` → 52000, ``5.2만`` → 52000."""
    total = 0.0
    for number, digit, big in _KO_GROUP_RE.findall(text):
        value = _float(number) * _KO_DIGIT.get(digit, 1) * _KO_BIG.get(big, 1)
        total += value
    return total


_EN_NUMBER_WORD: Final = re.compile(r"(" + _NUM + r")\s?([A-Za-z]*)")


def english_value(number: str) -> float:
    match = _EN_NUMBER_WORD.fullmatch(number)
    if match is None:
        return 0.0
    return _float(match.group(1)) * _EN_SCALE.get(match.group(2).lower(), 1.0)


def english_words_value(words: str) -> float:
    parts = words.lower().split()
    scale = _EN_SCALE[parts[-1]]
    if parts[1] in _EN_FRACTION:
        return _EN_FRACTION[parts[1]] * scale
    if parts[0] == "half":
        return 0.5 * scale
    head = " ".join(parts[:2]) if parts[:2] == ["a", "hundred"] else parts[0]
    value = float(_EN_WORD_VALUE[head])
    if "hundred" in parts[1:-1] and head != "a hundred":
        value *= 100
    return value * scale


_QUALIFIERS: Final[dict[str | None, Qualifier]] = {
    "up_to": "up_to", "at_least": "at_least", "about": "about", None: "exact"
}
_MODEL_BEFORE: Final = re.compile(r"[A-Z]{2,}\s?$")
_RANK_BEFORE: Final = re.compile(r"(?:No\.|#|[Nn]umber|[Rr]ank(?:ed)?)\s?$")
_ORDINAL_AFTER: Final = re.compile(r"(?:st|nd|rd|th)(?![A-Za-z])")
_YEAR: Final = re.compile(r"(?:19|20)\d\d")


def qualifier_before(text: str, start: int) -> tuple[Qualifier | None, int]:
    """The qualifier ending just before ``text[start]`` and where it starts, or (None, start)."""
    match = _QUALIFIER_BEFORE_REVERSED.match(text[max(0, start - _LOOK_BACK) : start][::-1])
    if match is None:
        return None, start
    begin = start - match.end()
    if begin > 0 and text[begin - 1].isalnum():  # the end of another word: 계약 is no 약
        return None, start
    return _KIND_OF_GROUP[match.lastgroup], begin


def _is_label(text: str, match: re.Match[str], end: int) -> bool:
    """A plain number that names something: 30일, 4분기, 30%, 6호기, RTX 5090, the year 2025."""
    number = match.group("en")
    if number is None or match.group("cur"):
        return False
    after = text[match.end() : min(end, match.end() + 2)].lstrip(" ")
    if after[:1] in ("%", "°", "위", "호") or (after[:1] and "가" <= after[:1] <= "힣"):
        return True
    if _ORDINAL_AFTER.match(text, match.end()) or _RANK_BEFORE.search(
        text, max(0, match.start() - 8), match.start()
    ):
        return True
    if not number.isdigit():
        return False
    if _YEAR.fullmatch(number):
        return True
    return _MODEL_BEFORE.search(text, max(0, match.start() - 8), match.start()) is not None


def _parse(match: re.Match[str]) -> tuple[float | None, bool]:
    """The value of the number in ``match``, and whether it is Korean."""
    if match.group("ko"):
        return korean_value(match.group("ko")), True
    if match.group("kov"):
        return None, True
    if match.group("en"):
        return english_value(match.group("en")), False
    if match.group("enw"):
        return english_words_value(match.group("enw")), False
    return None, False


def _glued_currency(text: str, match: re.Match[str]) -> tuple[str, int] | None:
    """The currency and start of ``HK$5``, ``NT$300``, ``JP¥150`` whose number ``match`` read
    from the sign on: the letters before it, themselves not glued to a word."""
    sign = match.start()
    if text[sign] not in "$¥":
        return None
    for written, code in _GLUED_CURRENCY.items():
        begin = sign - len(written) + 1
        if (
            begin >= 0
            and text[begin : sign + 1].upper() == written
            and (begin == 0 or text[begin - 1] not in _NOT_AFTER)
        ):
            return code, begin
    return None


def _unit(
    text: str, match: re.Match[str], end: int, korean: bool, glued: str | None = None
) -> Unit | None:
    """The :data:`Unit` of the number ``match`` read; ``glued``: the currency written before the
    number's sign (:func:`_glued_currency`)."""
    if glued is not None:
        return "money", glued, match.end(), None
    currency = match.group("cur")
    unit = _UNIT_AFTER.match(text, match.end(), end)
    inner: Qualifier | None = None
    if unit is not None and unit.group("q1"):
        inner = "about"
    if currency:
        return "money", _CURRENCY[currency.strip().lower()], match.end(), inner
    if unit is None:
        if not korean and (
            _BARE_FOLLOWS.match(text, match.end(), end)
            or (match.group()[-1:].isdigit() and _BARE_TO.match(text, match.end(), end))
        ):
            return "bare", "", match.end(), None
        return ("count", "", match.end(), None) if not korean else None
    if unit.group("power"):
        return "power", _POWER[unit.group("power").lower()], unit.end(), inner
    if unit.group("money"):
        return "money", _CURRENCY[unit.group("money")], unit.end(), inner
    if unit.group("enmoney"):
        return "money", _CURRENCY[unit.group("enmoney").lower()], unit.end(), inner
    return "count", unit.group("counter"), unit.end(), inner


MAX_QUANTITIES: Final = 24
"""Quantities read per call; a sentence of real news has a handful."""


def may_have_number_words(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` may hold a number in words ("3 billion", "a quarter of a
    million"): every one has one of ``_WORD_HINTS``."""
    for hint in _WORD_HINTS:  # noqa: SIM110 - compiled, a loop costs less than any() of a generator
        if text.find(hint, start, end) >= 0:
            return True
    return False


@dataclass(init=False)  # a written __init__: see services.extractor.entities
class _Bound:
    """A number as written, with or without a unit: the lower bound of a range if the next
    number follows it as the upper bound."""

    start: int
    end: int
    """after the unit, if any"""
    number_end: int
    value: float | None
    unit: Unit | None

    def __init__(
        self, start: int, end: int, number_end: int, value: float | None, unit: Unit | None
    ) -> None:
        self.start = start
        self.end = end
        self.number_end = number_end
        self.value = value
        self.unit = unit


def _number_start(text: str, match: re.Match[str]) -> tuple[int, str | None] | None:
    """Where the number ``match`` read starts, with the currency glued before it (HK$5); None
    when the match continues a word (H100, GB200)."""
    start = match.start()
    if start > 0 and text[start - 1] in _NOT_AFTER:
        prefixed = _glued_currency(text, match)
        if prefixed is None:
            return None
        currency, start = prefixed
        return start, currency
    return start, None


def _range_start(text: str, low: _Bound | None, high: int, value: float | None) -> int | None:
    """Where the range starts whose upper bound, of ``value``, starts at ``high`` right after
    ``low`` ("5만~6만 장", "between 50,000 and 60,000"); None when there is no such range — no
    lower bound, or a lower one that is no less or a year ("in 2025 to 600,000"), or a change
    ("from 50,000 to 60,000", "by 10,000 to 60,000")."""
    if low is None or low.value is None or value is None or low.value >= value:
        return None
    gap = _RANGE_GAP.fullmatch(text, low.end, high)
    if gap is None or _is_year(text, low) or GROWTH_BEFORE.search(
        text, max(0, low.start - 8), low.start
    ):
        return None
    if gap.group("to") and BY_BEFORE.search(text, max(0, low.start - 8), low.start):
        return None
    between = _BETWEEN_BEFORE.search(text, max(0, low.start - 10), low.start)
    if between is not None:
        return between.start()
    return None if gap.group("between") else low.start


def _range_unit(high: Unit | None, low: Unit | None, number_end: int) -> Unit | None:
    """A range's unit: its upper bound's, else its lower bound's ("$10–15 billion")."""
    if (high is None or not high[1]) and low is not None and low[1]:
        return low[0], low[1], number_end, None
    return high


def _is_year(text: str, bound: _Bound) -> bool:
    """Whether ``bound`` is a year as written: four digits, no unit ("in 2025 to 600,000")."""
    unit = bound.unit
    written = text[bound.start : bound.number_end]
    return (unit is None or not unit[1]) and _YEAR.fullmatch(written) is not None


def _is_per_unit(text: str, start: int, end: int, limit: int) -> bool:
    """Whether the price ``text[start:end]`` is one per unit ("개당 4000만~5000만원", "40-50
    million won each"), not a sum each spender spends ("will invest $1-2 billion each")."""
    if _PER_UNIT_BEFORE.search(text, max(0, start - 4), start):
        return True
    return bool(_PER_UNIT_AFTER.match(text, end, limit)) and not _SPENT_BEFORE.search(
        text, max(0, start - 30), start
    )


def _range(
    text: str, low: _Bound | None, match: re.Match[str], value: float | None, korean: bool, end: int
) -> tuple[int, Unit | None] | None:
    """Where the range starts whose upper bound ``match`` read, of ``value``
    (:func:`_range_start`), and its unit; None when there is no range, or none that is a
    quantity: a range is one as its upper bound is alone — by a unit, a scale, a currency ("5만~6만
    장", "$10–15 billion"), or else by a size no phase or page number has ("install
    50,000-60,000.", not "in phases 1-3.") — and a range of a price per unit is none ("40-50
    million won each": its unit is None, and its lower bound no quantity either)."""
    begin = _range_start(text, low, match.start(), value)
    if begin is None or low is None or value is None:
        return None
    unit = _range_unit(_unit(text, match, end, korean), low.unit, match.end())
    if unit is None or (unit[0] == "bare" and value < _BARE_RANGE_MIN):
        return None
    if unit[0] == "money" and _is_per_unit(text, begin, unit[2], end):
        return begin, None
    return begin, unit


def _is_difference_ko(text: str, start: int, end: int, limit: int) -> bool:
    """Whether the Korean figure ``text[start:end]`` is a difference (:data:`_COMPARED_KO_BEFORE`,
    :data:`_DIFFERENCE_KO_AFTER`)."""
    compared = _COMPARED_KO_BEFORE.search(text, max(0, start - _COMPARED_KO_REACH), start)
    if compared is None:
        return False
    based = compared.group("base") is not None
    if compared.group("versus") and not based:
        return False  # 수요 대비: in preparation for
    if compared.group("word") and _FIGURE_BASE_KO.search(
        text, max(0, compared.start() - 4), compared.start()
    ):
        return False  # H100 5000장보다 B200 1만장을 더: the 10,000 are what is more
    after = _DIFFERENCE_KO_AFTER.match(text, end, limit)
    if after is None:
        return False
    return based or (after.group("added") is None and compared.group("rather") is None)


def find_quantities(text: str, start: int = 0, end: int | None = None) -> list[QuantityMention]:
    """Numbers with a unit in ``text[start:end]`` (at most MAX_QUANTITIES), with qualifiers.  A
    range ("5만~6만 장", "$10–15 billion") is one quantity: its upper bound, "up_to"."""
    end = len(text) if end is None else end
    found: list[QuantityMention] = []
    matches = list(_DIGITS.finditer(text, start, end))
    if may_have_number_words(text, start, end):
        matches = sorted([*matches, *_WORDS.finditer(text, start, end)], key=lambda m: m.start())
    low: _Bound | None = None
    for match in matches:
        value, korean = _parse(match)
        ranged = _range(text, low, match, value, korean, end)
        if ranged is not None and ranged[1] is None:  # a price per unit, bounds and all
            if low is not None and found and found[-1].number_end == low.number_end:
                found.pop()
            low = None
            continue
        lower = low if ranged is not None else None
        begun = _number_start(text, match) if ranged is None else (match.start(), None)
        if (
            begun is None
            or not match.group().strip()
            or _TIME_RANGE_AFTER.match(text, match.end(), end)
            or _MULTIPLIER_AFTER.match(text, match.end(), end)
            or _SPEC_AFTER.match(text, match.end(), end)
            or _COMPARED_AFTER.match(text, match.end(), end)
        ):
            low = None
            continue
        start, currency = begun
        range_start, unit = ranged if ranged else (None, _unit(text, match, end, korean, currency))
        low = _Bound(start, unit[2] if unit else match.end(), match.end(), value, unit)
        if unit is None:
            continue
        kind, unit_name, unit_end, inner = unit
        if kind in ("count", "bare") and not unit_name and _is_label(text, match, end):
            continue
        before, q_start = qualifier_before(text, start if range_start is None else range_start)
        after = _QUALIFIER_AFTER.match(text, unit_end, end)
        q_end = unit_end
        qualifier: Qualifier = "exact"
        if after is not None:
            qualifier = _QUALIFIERS[after.lastgroup]
            q_end = after.end()
        if inner is not None:
            qualifier = inner
        if (
            after is not None
            and "보다" in after.group()
            and (
                _FIGURE_NEXT_KO.match(text, q_end, end) is not None
                or _GOODS_NEXT_KO.match(text, q_end, end) is None
            )
        ):
            continue  # the figure another is compared with, or more or less of something else
        if _is_difference_ko(text, q_start, q_end, end):
            continue
        if before is not None and (qualifier == "exact" or before == "up_to"):
            qualifier = before
        if value is None and qualifier == "exact":
            qualifier = "about"
        if lower is not None and found and found[-1].number_end == lower.number_end:
            found.pop()  # the lower bound, read as a quantity of its own
        found.append(
            QuantityMention(
                start=min(q_start, start),
                end=q_end,
                value=value,
                kind=kind,
                unit=unit_name,
                qualifier="up_to" if lower is not None else qualifier,
                number_end=match.end(),
            )
        )
        if len(found) == MAX_QUANTITIES:
            break
    return found
