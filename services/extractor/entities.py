"""Organisation mentions in a sentence, with the grammatical role that marks them.

Korean marks roles with particles (삼성전자는 → topic, 엔비디아와 → with, 한국에 → to, …), English
with position and prepositions (with/to/from/by/in, "'s").  A title after the organisation
("엔비디아 CEO가", "SK그룹 최태원 회장은") passes the particle on to it; a known person's name
stands for their organisation.  Consecutive mentions joined by "·", ",", "및", "and" or a
Korean 와/과 form one :class:`Group` ("삼성·SK·현대차는", "Samsung, SK and Hyundai").
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from services.extractor.lexicon import Lexicon
from services.extractor.patterns import is_hangul, is_latin

Role = Literal["topic", "subj", "with", "to", "from", "of", "obj", "by", "in", "bare", "other"]

_PARTICLE: Final = re.compile(
    r"(?:와\s?함께|과\s?함께|와의|과의|으로부터|로부터|에게서|에게|에서|에는|에도|와는|과는|와도|과도"
    r"|으로|은|는|이|가|도|와|과|의|에|을|를|로|만|측은|측이|측과|측도)(?![가-힣])"
)
_PARTICLE_ROLE: Final[dict[str, Role]] = {
    "은": "topic", "는": "topic", "도": "topic", "측은": "topic", "측도": "topic",
    "이": "subj", "가": "subj", "측이": "subj",
    "와": "with", "과": "with", "와의": "with", "과의": "with", "와는": "with", "과는": "with",
    "와도": "with", "과도": "with", "측과": "with",
    "에": "to", "에게": "to", "에는": "to", "에도": "to", "으로": "to", "로": "to",
    "으로부터": "from", "로부터": "from", "에게서": "from", "에서": "from",
    "의": "of", "을": "obj", "를": "obj", "만": "other",
}
_PARTICLE_NEXT: Final = r"(?=" + _PARTICLE.pattern + ")"
"""Where a particle starts (a look-ahead of :data:`_PARTICLE`)."""
_ETC_KO: Final = re.compile(
    r"\s등(?:의\s|\s|" + _PARTICLE_NEXT + r")(?:(?:국내|해외|국내외|글로벌|주요|미국|중국|한국"
    r"|유럽|일본|AI)\s)?[가-힣A-Za-z]{0,10}?" + _PARTICLE_NEXT
)
"""After an organisation: "and others", and the noun they are (업스테이지 등 스타트업에,
엔비디아 등에, 메타 등 빅테크와, 리벨리온 등 국내 기업에): the particle after it is the
organisation's (not in 업스테이지 등 경쟁력 있는 스타트업에, where 있는 is no noun)."""
_TOGETHER: Final = re.compile(r"[와과]\s?함께")
_PERSON_NAME: Final = re.compile(r"\s?(?:[가-힣]{2,4}\s)?")
_TITLE_TAIL: Final = re.compile(r"(?:\([A-Za-z]{2,5}\))?")
_PARENTHESIS: Final = re.compile(r"\([^()\n]{1,30}\)")
_POSSESSIVE: Final = re.compile(r"['’]s?(?![A-Za-z])")
_PREPOSITION: Final = re.compile(
    r"(?:^|[\s(])(with|to|from|by|in|into|for|of|at|via|alongside|between|among|including|"
    r"like|as|than|versus|vs\.?)\s+(?:the\s+|its\s+|their\s+|a\s+)?$",
    re.IGNORECASE,
)
_PREPOSITION_ROLE: Final[dict[str, Role]] = {
    "with": "with", "alongside": "with", "between": "with", "to": "to", "for": "to",
    "into": "in", "in": "in", "from": "from", "by": "by", "of": "of",
}
_CONNECTOR: Final = re.compile(
    r"\s*(?:,|·|ㆍ|、|/|및|그리고|and|&|as well as|, and)?\s*", re.IGNORECASE
)
_KO_COMPANY_WORD: Final = (
    r"(?:그룹|전자|텔레콤|클라우드|통신|은행|증권|테크|랩스|시스템즈|모빌리티|홀딩스|네트웍스|디스플레이"
    r"|중공업|하이텍|케미칼|인베스트먼트|파트너스|컴퓨팅)"
)
_KO_SUBJECT_NEXT: Final = r"(?=은|는|이|가|도|와|과)"
_KO_UNKNOWN: Final = re.compile(
    rf"(?<![A-Za-z0-9가-힣])([A-Za-z가-힣][A-Za-z0-9가-힣&]{{1,16}}{_KO_COMPANY_WORD}){_KO_SUBJECT_NEXT}"
)
_KO_UNKNOWN_HINT: Final = re.compile(_KO_COMPANY_WORD + _KO_SUBJECT_NEXT)
"""What every ``_KO_UNKNOWN`` match holds: found faster, it spares most sentences that pattern."""
_EN_UNKNOWN: Final = re.compile(
    r"([A-Z][A-Za-z0-9&\-]{1,24}(?:\s(?:[A-Z][A-Za-z0-9&\-]{0,24}|of|de)){0,3})"
    r"(?=,?\s(?:will|plans|planned|has|have|had|said|says|signed|agreed|is|was|announced|would|"
    r"intends|aims|agreed|unveiled|struck|inked|ordered|bought|committed|and\s[A-Z]))"
)
_EN_NOT_NAMES: Final = frozenset(
    [
        "The", "It", "In", "On", "At", "This", "That", "These", "Those", "A", "An", "But",
        "And", "However", "Meanwhile", "Also", "According", "Separately", "Last", "Next",
        "Earlier", "Later", "Analysts", "Officials", "He", "She", "They", "We", "Its",
        "Their", "Our", "Under", "While", "After", "Before", "Both", "Each", "Such",
        "Other", "Some", "Korean", "Chinese", "American", "Japanese", "Shares", "Investors",
        "Sources", "Reuters", "Bloomberg", "Yonhap", "When", "If", "Data", "Government",
        "Ministry", "Industry", "Experts", "The", "Company", "President", "Minister", "CEO",
        "Chief"
    ]
)


# The value classes made by the thousand per article (here and in rules.py) write their
# __init__: mypyc compiles a written one, while a dataclass's generated __init__ runs interpreted
# (40 times slower; a frozen one slower still, and a frozen class's own __init__ cannot assign).
# So they are not frozen; nothing changes them after __init__.  ``unsafe_hash`` gives them the
# hash frozen did.


@dataclass(init=False, unsafe_hash=True)
class Mention:
    org_id: str
    name: str
    """canonical name, or the mention itself for unknown organisations"""
    start: int
    end: int
    role: Role
    tail_end: int
    """end of the mention with its title and particle"""
    vendor: bool
    """directly names the maker of the GPUs that follow ("엔비디아 GPU", "Nvidia's chips")"""
    mention_text: str
    """the words as written ("엔비디아", "양사")"""
    person: bool

    def __init__(
        self,
        org_id: str,
        name: str,
        start: int,
        end: int,
        role: Role,
        tail_end: int,
        vendor: bool = False,
        mention_text: str = "",
        person: bool = False,
    ) -> None:
        self.org_id = org_id
        self.name = name
        self.start = start
        self.end = end
        self.role = role
        self.tail_end = tail_end
        self.vendor = vendor
        self.mention_text = mention_text
        self.person = person


@dataclass(init=False, unsafe_hash=True)
class Group:
    members: tuple[Mention, ...]
    role: Role
    distributive: bool

    def __init__(
        self, members: tuple[Mention, ...], role: Role, distributive: bool = False
    ) -> None:
        self.members = members
        self.role = role
        self.distributive = distributive

    @property
    def start(self) -> int:
        return self.members[0].start

    @property
    def end(self) -> int:
        return self.members[-1].tail_end


_NO_RECIPIENT_KO: Final = re.compile(
    r"\s?(?:따르면|따른|따라|의하면|의한|대한|대해|관한|관해|이어|맞서|비해|앞서)"
)
"""After 에: the organisation is no recipient but where the news comes from ("엔비디아에
따르면") or what the sentence measures against ("엔비디아에 대한 의존도", "마이크로소프트에
이어")."""
_ACCORDING_EN: Final = re.compile(r"\baccording\s+$", re.IGNORECASE)


def _korean_role(text: str, at: int, end: int) -> tuple[Role, int] | None:
    match = _PARTICLE.match(text, at, end)
    if match is None:
        return None
    particle = match.group()
    if _TOGETHER.fullmatch(particle):
        return "with", match.end()
    if particle == "에" and _NO_RECIPIENT_KO.match(text, match.end(), end):
        return "other", match.end()
    return _PARTICLE_ROLE[particle], match.end()


def _after_title(text: str, at: int, end: int, lexicon: Lexicon) -> int | None:
    """End of a title following an organisation or person (" CEO", " 최태원 회장")."""
    name = _PERSON_NAME.match(text, at, end)
    position = name.end() if name else at
    title = lexicon.titles.match(text, position, end)
    if title is None and position != at:
        title = lexicon.titles.match(text, at + 1 if text[at : at + 1] == " " else at, end)
    if title is None or (title.end() < end and is_hangul(text[title.end()]) and not (
        _PARTICLE.match(text, title.end(), end)
    )):
        return None
    tail = _TITLE_TAIL.match(text, title.end(), end)
    return tail.end() if tail else title.end()


def _english_role(text: str, start: int, sentence_start: int) -> Role:
    before = _PREPOSITION.search(text, max(sentence_start, start - 16), start)
    if before is None:
        return "bare"
    if _ACCORDING_EN.search(text, max(sentence_start, before.start(1) - 12), before.start(1)):
        return "other"  # "according to Nvidia": where the news comes from, no party
    return _PREPOSITION_ROLE.get(before.group(1).lower(), "other")


def role_after(text: str, start: int, end: int, sentence_start: int, sentence_end: int) -> Role:
    """The role of a reference word spanning ``text[start:end]`` ("양사는" → topic)."""
    korean = _korean_role(text, end, sentence_end)
    if korean is not None:
        return korean[0]
    return _english_role(text, start, sentence_start)


def _is_vendor(text: str, at: int, end: int, lexicon: Lexicon) -> bool:
    while at < end and text[at] in " ’'s의":
        at += 1
    return lexicon.gpu_pattern.match(text, at, end) or any(
        start == at and "gpu_words" in cats
        for start, _, cats in lexicon.triggers.find(text, at, min(end, at + 40))
    )


def _mention(
    text: str, match: re.Match[str], start: int, end: int, lexicon: Lexicon
) -> Mention | None:
    alias = match.group()
    org_id, person = lexicon.org_aliases[alias]
    position = match.end()
    aside = _PARENTHESIS.match(text, position, end)  # "엔비디아(NVIDIA)는", "아마존웹서비스(AWS)와"
    if aside is not None and _korean_role(text, aside.end(), end) is not None:
        position = aside.end()
    title_end = _after_title(text, position, end, lexicon)
    if title_end is not None:
        position = title_end
    korean = _korean_role(text, position, end)
    if korean is None and (etc := _ETC_KO.match(text, position, end)) is not None:
        korean = _korean_role(text, etc.end(), end)
    if korean is not None:
        role, tail_end = korean
    elif position < end and is_hangul(text[position]):
        return None  # part of a longer word: 한국투자파트너스
    elif position < end and is_latin(text[position]) and is_latin(alias[-1]):
        return None
    else:
        possessive = _POSSESSIVE.match(text, position, end)
        tail_end = possessive.end() if possessive else position
        role = "of" if possessive else _english_role(text, match.start(), start)
        if title_end is not None and role == "bare":
            role = "other"  # a speaker: "NVIDIA CEO Jensen Huang said"
    if person and title_end is None and korean is None:
        role = "other" if role == "bare" else role
    org = lexicon.organisations[org_id]
    return Mention(
        org_id=org_id,
        name=org.name,
        start=match.start(),
        end=match.end(),
        role=role,
        tail_end=tail_end,
        vendor=org.is_gpu_vendor
        and role in ("bare", "of")
        and _is_vendor(text, tail_end, end, lexicon),
        mention_text=alias,
        person=person,
    )


def _unknown(text: str, start: int, end: int, known: list[Mention]) -> list[Mention]:
    found: list[Mention] = []
    starts = [m.start for m in known]  # sorted: known mentions come in order
    candidates = (
        list(_KO_UNKNOWN.finditer(text, start, end))
        if _KO_UNKNOWN_HINT.search(text, start, end)
        else []
    )
    head = _EN_UNKNOWN.match(text, start, end)
    if head is not None and head.group(1).split()[0] not in _EN_NOT_NAMES:
        candidates.append(head)
    for match in candidates:
        index = bisect.bisect_left(starts, match.end(1)) - 1
        if index >= 0 and known[index].tail_end > match.start(1):
            continue  # overlaps a known organisation
        korean = _korean_role(text, match.end(1), end)
        role, tail_end = korean if korean else ("bare", match.end(1))
        mention = match.group(1)
        found.append(
            Mention(
                "unknown:" + mention, mention, match.start(1), match.end(1), role, tail_end,
                mention_text=mention,
            )
        )
    return found


MAX_MENTIONS: Final = 24
"""Organisations read per sentence; real sentences name far fewer, junk may name thousands."""


def find_mentions(
    text: str, start: int, end: int, lexicon: Lexicon, names: Sequence[int]
) -> list[Mention]:
    """Organisations named in ``text[start:end]``, in order of appearance (``names``: where a
    name may start, as :attr:`services.extractor.lexicon.Cues.names`)."""
    mentions: list[Mention] = []
    for match in lexicon.org_pattern.finditer(text, start, end, names):
        mention = _mention(text, match, start, end, lexicon)
        if mention is not None:
            mentions.append(mention)
            if len(mentions) == MAX_MENTIONS:
                break
    mentions.extend(_unknown(text, start, end, mentions))
    mentions.sort(key=lambda m: m.start)
    # One organisation written twice in a row is one mention: "엔비디아(NVIDIA)는" keeps the
    # first, "젠슨 황 엔비디아 CEO가" keeps the organisation rather than the person.
    # The words after "등" are what the organisation is one of (엔비디아 등 미국 기업과): no
    # organisation of their own.
    kept: list[Mention] = []
    for mention in mentions:
        if kept and kept[-1].org_id == mention.org_id and mention.start < kept[-1].tail_end:
            if kept[-1].person and not mention.person:
                kept[-1] = replace(mention, role=kept[-1].role, tail_end=kept[-1].tail_end)
            continue
        if kept and mention.start < kept[-1].tail_end and _ETC_KO.match(text, kept[-1].end, end):
            continue
        kept.append(mention)
    return kept


_PREPOSITION_ROLES: Final = frozenset(_PREPOSITION_ROLE.values())
_BETWEEN_EN: Final = re.compile(r"\bbetween\s+(?:the\s+)?$", re.IGNORECASE)
_AND_EN: Final = re.compile(r"\s*(?:,\s*)?(?:and|&|as well as)\s+", re.IGNORECASE)
_COMMA_EN: Final = re.compile(r"\s*,\s*")
_RESPECTIVELY_EN: Final = re.compile(r"\s*,?\s*respectively\b", re.IGNORECASE)
_EACH_TO_EN: Final = re.compile(r"\beach\s+to\s+$", re.IGNORECASE)


def _joins(text: str, left: Mention, right: Mention) -> bool:
    if left.role not in ("with", "bare") or left.org_id == right.org_id:
        return False
    tail = text[left.end : left.tail_end]
    if left.role == "with" and (not tail.endswith(("와", "과")) or _TOGETHER.search(tail)):
        return False  # "엔비디아와 함께", "엔비디아와의", English "with Nvidia"
    gap = _CONNECTOR.fullmatch(text, left.tail_end, right.start)
    return gap is not None


def _after_one_preposition(text: str, left: Mention, right: Mention) -> bool:
    """Whether an English preposition governs both names: "from Nvidia and AMD" (not "a
    partnership between Oracle and OpenAI will deploy …", where the pair is the subject)."""
    return (
        left.role in _PREPOSITION_ROLES
        and right.role == "bare"
        and left.org_id != right.org_id
        and _AND_EN.fullmatch(text, left.tail_end, right.start) is not None
        and _BETWEEN_EN.search(text, max(0, left.start - 12), left.start) is None
    )


def _listed_after_one_preposition(text: str, mentions: list[Mention], index: int) -> bool:
    """Whether ``mentions[index]`` opens, after a comma, the rest of a list that one English
    preposition governs and "respectively" closes or "each" opens: "… 5,000 GPUs to Meta, xAI and
    Oracle, respectively", "50,000 GPUs each to Samsung, SK and Hyundai" (with "and" before its
    last name).  Elsewhere a comma after a name may end an opening phrase ("after talks with
    Nvidia, Microsoft and OpenAI agreed …"), and the list's first name is the party all the
    same."""
    left, right = mentions[index - 1], mentions[index]
    if not (
        left.role in _PREPOSITION_ROLES
        and right.role == "bare"
        and left.org_id != right.org_id
        and _COMMA_EN.fullmatch(text, left.tail_end, right.start) is not None
        and _BETWEEN_EN.search(text, max(0, left.start - 12), left.start) is None
    ):
        return False
    for before, after in itertools.pairwise(mentions[index:]):
        if after.role != "bare" or before.org_id == after.org_id:
            return False
        if _AND_EN.fullmatch(text, before.tail_end, after.start) is not None:
            return _RESPECTIVELY_EN.match(text, after.tail_end) is not None or (
                _EACH_TO_EN.search(text, max(0, left.start - 12), left.start) is not None
            )
        if _COMMA_EN.fullmatch(text, before.tail_end, after.start) is None:
            return False
    return False


def group_mentions(text: str, mentions: list[Mention]) -> list[Group]:
    """Coordinated mentions as groups; the group's role is the last member's particle, or the
    English preposition before the first ("from Nvidia and AMD")."""
    groups: list[tuple[list[Mention], Role]] = []
    governed = False
    """Whether the last group's role is a preposition's before its first member."""
    for index, mention in enumerate(mentions):
        members = groups[-1][0] if groups else []
        if members and (
            _after_one_preposition(text, members[-1], mention)
            or (len(members) == 1 and _listed_after_one_preposition(text, mentions, index))
        ):
            members.append(mention)
            governed = True
        elif members and _joins(text, members[-1], mention):
            members.append(mention)
            if not (governed and mention.role == "bare"):
                groups[-1] = (members, mention.role)
        else:
            groups.append(([mention], mention.role))
            governed = False
    return [Group(tuple(members), role) for members, role in groups]
