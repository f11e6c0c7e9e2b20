"""Per-sentence rules: the commitments one sentence states, given the sentences before it.

A sentence yields facts only when it has a trigger word (types or status in ``triggers.yaml``).
Quantities decide the fact type (GPUs and power → gpu_commitment or supply, money → investment);
without a quantity, products with a supply trigger make a supply fact and a partnership trigger
between two organisations a partnership.  The subject is the organisation marked as topic or
subject (은/는/도, 이/가) — or, in English, the nearest one before the verb — else the pair or
company a reference word points to (양사, "the company"), else the previous sentence's subject.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from services.extractor.entities import Group, Mention, find_mentions, group_mentions, role_after
from services.extractor.lexicon import Cues, Hit, Lexicon, find_references
from services.extractor.numbers import (
    BY_BEFORE,
    GROWTH_BEFORE,
    QuantityMention,
    find_quantities,
    may_have_number_words,
)
from services.extractor.patterns import is_hangul
from services.extractor.sentences import Sentence
from services.extractor.timeframes import TimeframeMention, find_scope, find_timeframe

Span = tuple[int, int]

_COMPUTE: Final = frozenset({"gpu", "MW", "GW"})
_STATUS_ORDER: Final = ("cancelled", "completed", "negotiating", "planned")
_TYPE_TRIGGERS: Final = frozenset(
    {"acquire", "uses", "supply", "order_won", "receive", "investment", "partnership"}
)
_STATUS_TRIGGERS: Final = frozenset({"cancelled", "upheld", "completed", "negotiating", "planned"})
_INVESTING: Final = frozenset({"investment", "acquire", "cancelled", "upheld"})
"""A money figure in a sentence with one of these is an investment (or its cancellation, or a
cancellation denied)."""
_TRIGGERS: Final = _TYPE_TRIGGERS | _STATUS_TRIGGERS
_COUNTERPARTY_ROLES: Final[dict[str, tuple[str, ...]]] = {
    "gpu_commitment": ("from", "vendor", "with", "pair", "model", "to"),
    "supply": ("to", "with", "pair", "obj", "of", "vendor"),
    "order_won": ("from", "to", "with", "pair", "obj", "of"),
    "uses": ("from", "vendor", "with", "pair", "model"),
    "investment": ("in", "to", "with", "pair", "obj", "of"),
    "partnership": ("with", "pair", "to", "obj", "of", "vendor"),
}
_COMMITMENTS: Final = frozenset({"gpu_commitment", "uses"})
"""The party searches of a commitment: GPUs obtained, or used (no 에-recipient sells GPUs
used: 1000장은 SK하이닉스에, 500장은 자체 개발에 쓴다)."""
_STATUS_CUES: Final = _STATUS_TRIGGERS | {"concluded", "awaited"}
_SUPPLY: Final = frozenset({"supply"})
_RECEIVE: Final = frozenset({"receive"})
_ORDER_WON: Final = frozenset({"order_won"})
_CONJUNCTION: Final = re.compile(r"\s*(?:,\s*)?(?:and|or|과|와|및)?\s*", re.IGNORECASE)
_AGAINST: Final = re.compile(r"\s{0,2}(?:of\s|의\s?)?")
"""What may stand between a figure and the model written against it."""
_JOINT_EN: Final = re.compile(
    r",?\s+(?:and|but|while|whereas|although|though|however|instead|plus)\b|[,;]",
    re.IGNORECASE,
)
_JOINT_KO: Final = re.compile(
    r"(?<=[했하되됐있없었았였겠받왔갔졌쳤])(?:고|으며|며)(?=[\s,])|(?:지만|으나|는데|반면|대신|"
    r"에\s?더해|에\s?이어)(?=[\s,])|,|(?<=[0-9A-Za-z장개대])(?:과|와)\s|및\s"
)
"""Where the text between two figures passes from the first's clause to the second's."""
_COUNTERS_KO: Final = frozenset({"장", "개", "대"})
_GPU_WORD_BEFORE: Final = re.compile(r"(?:GPU|칩|가속기|그래픽처리장치)\s*$")
_TENSED_KO: Final = re.compile(r"[했었았였됐겠쳤졌왔갔]")
_FINITE_EN: Final = re.compile(
    r"\b(?:will|would|could|can|may|might|should|shall|must|has|have|had|is|are|was|were|did"
    r"|does|do|bought|sold|built|\w+ed)\b",
    re.IGNORECASE,
)
"""A verb that bears tense, before an English figure (:meth:`_Clauses.finite`)."""
_CONTRAST: Final = re.compile(
    r"\b(?:but|while|whereas|although|though|however|instead)\b|;|지만|으나|반면|대신",
    re.IGNORECASE,
)
_CLAUSE_BREAK: Final = re.compile(r"[,;](?=\s)|(?:이며|이고|지만|으나|는데)\s")
_CHANGE_GAP: Final = re.compile(r"\s*(?:에서(?:부터)?)?\s*(?:to|~|-|–)?\s*", re.IGNORECASE)
_PHRASE_END: Final = re.compile(
    r"(?:^|[\s,·(\"'‘“]|각각|각자|모두|총|[은는이가도에을를와과로])\s*$"
)
_RELATIVE: Final = re.compile(r",?\s(?:which|who)\s")
_OBJECT_RELATIVE_EN: Final = re.compile(r"[\w.,-]*(?:\s+[\w.,-]+){0,4}?\s+(?:that|which)\s+$")
"""The words from an English figure to the organisation that opens a relative clause about
what it counts: "8,000 B200 GPUs that", "roughly 4,000 accelerators which"."""
_CLAUSE_VERB_EN: Final = re.compile(
    r"(?:\s+(?:has|have|had|will|would|is|are|was|were|already|recently|just|also|plans?\s+to"
    r"|planned\s+to|intends?\s+to|aims?\s+to))*\s+",
    re.IGNORECASE,
)
"""What may stand between the organisation of such a clause and its verb: "that Naver has
already bought", "which Kakao plans to deploy"."""
_WORD: Final = re.compile(r"[^\s,.;:]+")
_NUMBER_LIST: Final = re.compile(
    r"(?:\s*(?:,|and|or|to|~|-|–)\s*\d[\d.,]*(?:\s?(?:thousand|million|[kKmM]))?)+", re.IGNORECASE
)


@dataclass(init=False, unsafe_hash=True)  # a written __init__: see services.extractor.entities
class Party:
    org_id: str
    name: str
    mention: str
    span: Span

    def __init__(self, org_id: str, name: str, mention: str, span: Span) -> None:
        self.org_id = org_id
        self.name = name
        self.mention = mention
        self.span = span


@dataclass
class Context:
    """What earlier sentences of the article established (one per :func:`extract` call)."""

    subject: tuple[Party, ...] = ()
    subject_paragraph: int = -1
    counterparty: Party | None = None
    pair: tuple[Party, ...] = ()
    previous_gpu: bool = False
    previous_relevant: bool = False


@dataclass(init=False, unsafe_hash=True)  # a written __init__: see services.extractor.entities
class Draft:
    """A fact before it becomes a :class:`services.core.models.FactV1`."""

    type: str
    subject: Party
    counterparty: Party | None
    quantity: QuantityMention | None
    unit: str | None
    gpu_model: tuple[str, Span] | None
    products: tuple[str, ...]
    timeframe: TimeframeMention | None
    scope: str | None
    status: str
    confidence: float
    sentence: Sentence
    rule: str
    trigger: Span | None
    upheld: bool
    """whether the sentence denies a cancellation ("will not cancel"): the commitment stands"""

    def __init__(
        self,
        type: str,
        subject: Party,
        counterparty: Party | None,
        quantity: QuantityMention | None,
        unit: str | None,
        gpu_model: tuple[str, Span] | None,
        products: tuple[str, ...],
        timeframe: TimeframeMention | None,
        scope: str | None,
        status: str,
        confidence: float,
        sentence: Sentence,
        rule: str,
        trigger: Span | None,
        upheld: bool,
    ) -> None:
        self.type = type
        self.subject = subject
        self.counterparty = counterparty
        self.quantity = quantity
        self.unit = unit
        self.gpu_model = gpu_model
        self.products = products
        self.timeframe = timeframe
        self.scope = scope
        self.status = status
        self.confidence = confidence
        self.sentence = sentence
        self.rule = rule
        self.trigger = trigger
        self.upheld = upheld


@dataclass(init=False)  # a written __init__: see services.extractor.entities
class _View:
    """Everything found in one sentence."""

    text: str
    sentence: Sentence
    lexicon: Lexicon
    groups: list[Group]
    hits: Sequence[Hit]
    categories: frozenset[str]
    models: list[tuple[str, int, int]]
    products: list[tuple[str, int, int]]
    distributive: bool
    respectively: bool

    def __init__(
        self,
        text: str,
        sentence: Sentence,
        lexicon: Lexicon,
        groups: list[Group],
        hits: Sequence[Hit],
        categories: frozenset[str],
        models: list[tuple[str, int, int]],
        products: list[tuple[str, int, int]],
        distributive: bool = False,
        respectively: bool = False,
    ) -> None:
        self.text = text
        self.sentence = sentence
        self.lexicon = lexicon
        self.groups = groups
        self.hits = hits
        self.categories = categories
        self.models = models
        self.products = products
        self.distributive = distributive
        self.respectively = respectively

    def hits_of(self, names: frozenset[str]) -> list[tuple[int, int]]:
        return [(a, b) for a, b, cats in self.hits if cats & names]

    def rehit(self, hits: Sequence[Hit]) -> _View:
        """This view with ``hits`` (the same words, their status categories changed)."""
        statuses = frozenset(c for _, _, cats in hits for c in cats & _STATUS_CUES)
        return _View(
            self.text, self.sentence, self.lexicon, self.groups, hits,
            (self.categories - _STATUS_CUES) | statuses, self.models, self.products,
            self.distributive, self.respectively,
        )  # fmt: skip


def _party(mention: Mention) -> Party:
    return Party(mention.org_id, mention.name, mention.mention_text, (mention.start, mention.end))


def _reference_groups(
    text: str, sentence: Sentence, references: list[Hit], ctx: Context, named: list[Group]
) -> tuple[list[Group], bool, bool]:
    """Groups for 양사/"the two companies" (the pair named before) and "it"/이 회사 (the subject
    before: earlier in this sentence — "Nvidia said it would" — or in an earlier one)."""
    groups: list[Group] = []
    distributive = respectively = False
    for start, end, categories in references:
        if "distributive" in categories:
            distributive = True
            respectively = respectively or text[start:end].lower() in ("respectively", "각각")
            continue
        members = ctx.pair if "pair" in categories else ctx.subject
        if "pair" not in categories:
            earlier = [
                g for g in named
                if g.end <= start and g.role in ("topic", "subj", "bare")
                and not all(m.vendor for m in g.members)
            ]
            if earlier:
                members = tuple(_party(m) for m in earlier[0].members)
        role = role_after(text, start, end, sentence.start, sentence.end)
        if not members or role not in ("topic", "subj", "bare", "with"):
            continue
        written = text[start:end]
        groups.append(
            Group(
                tuple(
                    Mention(p.org_id, p.name, start, end, role, end, mention_text=written)
                    for p in members
                ),
                role,
            )
        )
    return groups, distributive, respectively


_SHIPPED_OBJECT_EN: Final = re.compile(
    r"\s+(?:(?:about|around|roughly|approximately|nearly|almost|(?:just\s+)?(?:over|under)"
    r"|close\s+to|up\s+to|(?:more|fewer|less)\s+than|some|an\s+estimated|another"
    r"|an\s+additional|a\s+further|a\s+total\s+of"
    r"|(?:the|its|their|our)\s+(?:first|last|remaining|initial))\s+)?\d",
    re.IGNORECASE,
)
"""What, written just after "shipped", makes the figure its object: "Nvidia shipped 10,000
H100s", "it shipped approximately 5,000", "shipped its first 1,000"."""
_SHIPPED_SUBJECT_EN: Final = re.compile(
    r"(?<![\w.,])\d[\d,.]*(?:\s*(?:[kKmM]\b|thousand|million))?"
    r"(?:\s+(?!(?:once|after|when|before|until|if|as|since|because|they|it|we|that|which|who)\b)"
    r"[\w-]+){0,3}\s+(?:(?:have|has|had)\s+(?:(?:already|now|just|also)\s+)?been|were|was)"
    r"\s+(?:(?:already|now|just|also|successfully)\s+)?$",
    re.IGNORECASE,
)
"""What, written just before "shipped", makes the figure its subject: "24,000 H100s have been
shipped", "30,000 MI355X accelerators were shipped" (not "10,000 H100s once they have been
shipped")."""
_COMPLETED: Final = frozenset({"completed"})
_SHIPPED: Final = frozenset({"shipped"})


def _shipments(
    text: str, hits: Sequence[Hit], figures: Sequence[QuantityMention]
) -> Sequence[Hit]:
    """``hits`` with each "shipped" whose object or subject is one of ``figures`` also a
    completion word (:data:`_SHIPPED_OBJECT_EN`, :data:`_SHIPPED_SUBJECT_EN`); elsewhere
    ("servers shipped with", "after they are shipped", "with the first racks shipped 2 weeks
    ago") it is none."""

    def a_figure(at: int) -> bool:
        return any(q.start <= at < q.end for q in figures)

    def done(a: int, b: int) -> bool:
        after = _SHIPPED_OBJECT_EN.match(text, b)
        if after is not None and a_figure(after.end() - 1):
            return True
        before = _SHIPPED_SUBJECT_EN.search(text, max(0, a - 80), a)
        return before is not None and a_figure(before.start())

    return [
        (a, b, cats | _COMPLETED) if "shipped" in cats and done(a, b) else (a, b, cats)
        for a, b, cats in hits
    ]


_OWN_PLAN_KO: Final = re.compile(r"[0-9만천][장개대]\s?(?:[가-힣]{2}\s?)?$")
_PLANNED: Final = frozenset({"planned"})


def _own_plans(text: str, hits: Sequence[Hit]) -> Sequence[Hit]:
    """``hits`` with a Korean comparison word that holds a figure's own plan also a plan word
    (GPU 1000장 구매 계획에 비해, 5만장 도입 계획보다: the 1,000 and the 50,000 are planned)."""
    return [
        (a, b, cats | _PLANNED)
        if "comparison" in cats
        and text.startswith(("계획", "예정"), a)
        and _OWN_PLAN_KO.search(text, max(0, a - 12), a) is not None
        else (a, b, cats)
        for a, b, cats in hits
    ]


def _view(
    text: str,
    sentence: Sentence,
    lexicon: Lexicon,
    ctx: Context,
    hits: Sequence[Hit],
    cues: Cues,
) -> _View:
    start, end = sentence.start, sentence.end
    named = group_mentions(text, find_mentions(text, start, end, lexicon, cues.names))
    references, distributive, respectively = _reference_groups(
        text, sentence, find_references(cues, start, end), ctx, named
    )
    groups = sorted(named + references, key=lambda g: g.start)
    categories: set[str] = set()
    for _, _, cats in hits:
        categories |= cats
    if "order_won" in categories and any(_directive(text, hit, end) for hit in hits):
        hits = [hit for hit in hits if not _directive(text, hit, end)]
        categories = {c for _, _, cats in hits for c in cats}
    models = [
        (lexicon.gpu_models[m.group()].name, m.start(), m.end())
        for m in lexicon.gpu_pattern.finditer(text, start, end, cues.models)
    ] if cues.may_model(start, end) else []
    if models:
        categories.add("gpu_words")
    products = [
        (lexicon.products[m.group()].name, m.start(), m.end())
        for m in lexicon.product_pattern.finditer(text, start, end, cues.products)
    ] if cues.may_product(start, end) else []
    return _View(
        text, sentence, lexicon, groups, hits, frozenset(categories), models, products,
        distributive, respectively,
    )


_DIRECTIVE_EN: Final = re.compile(
    r"(?:[^,;.]|(?<=[A-Z])\.){0,60}?\b(?:to\s+(?:stop|halt|pause|suspend|cease|hand|comply"
    r"|restrict|limit)"
    r"|requiring|barring|banning|prohibiting|restricting)\b",
    re.IGNORECASE,
)
"""After "received orders from …": what a directive says (a government's order "to stop
selling H20 chips", "barring sales", a judge's "to hand over documents"), no purchase."""


def _directive(text: str, hit: Hit, end: int) -> bool:
    """Whether ``hit`` is an order won that is a directive (:data:`_DIRECTIVE_EN`)."""
    return "order_won" in hit[2] and _DIRECTIVE_EN.match(text, hit[1], end) is not None


# --------------------------------------------------------------------------- quantities


_LIST_BREAK: Final = re.compile(r"[,;]|\s[및과와]\s")
_WORDS_BREAK: Final = re.compile(r"[,;.]|\s(?:and|or)\s")
_PUNCTUATION: Final = re.compile(r"[,;.]")


def _words_between(text: str, start: int, end: int) -> int:
    return len(_WORD.findall(text, start, end))


_TO_AFTER_EN: Final = re.compile(r"\s?to\s+(?:the\s+)?")


def _is_gpu_count(view: _View, q: QuantityMention, ctx: Context) -> bool:
    text = view.text
    gpu_spans = view.hits_of(frozenset({"gpu_words"})) + [(a, b) for _, a, b in view.models]
    for start, end in gpu_spans:
        if q.end <= start:
            gap = text[q.end : start]
            if q.unit and len(gap) <= 24 and not _LIST_BREAK.search(gap):
                return True
            listed = _NUMBER_LIST.match(text, q.number_end, start)  # "30,000 and 20,000 GPUs"
            begin = listed.end() if listed else q.number_end
            if not q.unit and _words_between(text, begin, start) <= 4 and not _WORDS_BREAK.search(
                text, begin, start
            ):
                return True
        elif (  # "GPU 5만장", "H100 10,000" — not "B200s and 50,000 H200s": H200s counts it
            end <= q.start
            and q.start - end <= 8
            and not _PUNCTUATION.search(text, end, q.start)
            and (q.kind != "count" or bool(q.unit) or q.start - end <= 2)
        ):
            return True
    if q.kind == "count" and not q.unit:
        return False
    to = _TO_AFTER_EN.match(text, q.end)
    if q.kind == "bare" and to is not None and not any(
        m.start == to.end() for g in view.groups for m in g.members
    ):
        return False  # "pushing 5,000 to June", "5,000 to AI startups": no name it goes to
    context = "gpu_words" in view.categories or ctx.previous_gpu
    phrase_end = _PHRASE_END.search(text, max(view.sentence.start, q.start - 8), q.start)
    return context and phrase_end is not None


def _blocked(view: _View, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` (a figure, a trigger) is in a clause about markets,
    estimates, rumours or installed totals, or what is not done — a cancellation not done
    ("has no plans to cancel") excepted: the commitment stands.  A holding before a figure, or
    before the Korean total it is a part of, does not block it when it is let out
    (:func:`_lets_out_held`: 보유한 GPU 1만장 가운데 500장을 업스테이지에 임대한다, a supply);
    an estimate (업계에서는 GPU 100만장 중 30만장을) is all of them."""
    text, sentence = view.text, view.sentence
    clause_start = sentence.start
    for match in _CLAUSE_BREAK.finditer(text, sentence.start, start):
        clause_start = match.end()
    following = _CLAUSE_BREAK.search(text, end, sentence.end)
    clause_end = following.start() if following else sentence.end
    blocking = _blocking_words(view, clause_start, clause_end)
    if not blocking:
        return False
    if any(not text.startswith("보유", a) for a in blocking) or (
        text[end - 1 : end] in _COUNTERS_KO
        and (_WHOLE_KO.match(text, end) or _JOINED_TOTAL_KO.match(text, end)) is not None
    ):
        return True  # not only holdings, or a total itself: what is held
    totals = [m.end() for m in _TOTAL_BEFORE_KO.finditer(text, blocking[0], start)]
    held = totals[-1] if totals else start
    return blocking[-1] >= held or not _lets_out_held(view, held, (start, end), clause_end)


def _blocking_words(view: _View, start: int, end: int) -> list[int]:
    """Where the words of markets, estimates, rumours, holdings of compute or what is not done
    stand in ``text[start:end]`` (a cancellation not done excepted)."""
    return [
        a
        for a, b, cats in view.hits
        if "non_commitment" in cats
        and "upheld" not in cats
        and start <= a
        and b <= end
        and not _holds_other(view, a)
    ]


_HELD_OBJECT_KO: Final = re.compile(r"\S[을를]\s?$")
"""Before a holding word: the object held (지분을 보유한)."""
_FIGURE_KO: Final = re.compile(r"[0-9만천백]\s?[장개대]")
"""A Korean count of compute (1만장, 500 대)."""


def _holds_other(view: _View, at: int) -> bool:
    """Whether the word at ``at`` is a holding (보유) of something other than compute: it has an
    object, and no figure, GPU word or model comes before it in the sentence (지분을 보유한
    업스테이지에, AI 기술력을 보유한 업스테이지는, 데이터센터를 보유한 KT는; not GPU를 보유한,
    1만장을 보유하고, H100을 보유한, GPU 1만장이 탑재된 슈퍼컴퓨터를 보유하고)."""
    text = view.text
    if not text.startswith("보유", at):
        return False
    begin = view.sentence.start
    if _HELD_OBJECT_KO.search(text, max(begin, at - 24), at) is None:
        return False
    return not _counts_compute(view, begin, at)


def _lets_out_held(view: _View, held: int, figure: tuple[int, int], clause_end: int) -> bool:
    """Whether a figure (after ``held``: the end of the Korean total it is a part of, or
    itself), held before, is let out: its verb — the first after it, in its clause or after a
    list of figures (업스테이지에 2000장, 리벨리온에 1000장을 임대한다), with no other object or
    verb between — is one of letting out or handing over, neither denied nor in doubt, an
    organisation named with 에 in its clause receives it, and nothing else in the sentence
    blocks it (보유한 GPU 1만장 가운데 500장을 업스테이지에 임대한다; not 5000장이 가동
    중이다, 2000장을 네이버가 구매한다, 4000장을 데이터센터에 배분했다, 업스테이지에 공급받은,
    업스테이지에 판매하지 않는다, 5000장을 설계에 쓰고 HBM을 엔비디아에 공급한다)."""
    text, sentence = view.text, view.sentence
    start, end = figure
    verb = _next_verb(view, start)
    if verb is None or (verb >= clause_end and _LISTED_KO.match(text, end) is None):
        return False
    if not _hands_over(view, verb) or _OBJECT_KO.match(text, end) is None:
        return False
    if _BETWEEN_KO.search(text, start, verb) is not None:
        return False
    if any(
        not text.startswith("보유", a)
        for a in _blocking_words(view, sentence.start, sentence.end)
    ):
        return False
    return any(
        m.role == "to" and held <= m.start < clause_end and not _is_country(view, m)
        for g in view.groups
        for m in g.members
    )


def _next_verb(view: _View, at: int) -> int | None:
    """Where the first type trigger after position ``at`` starts."""
    return next((a for a, _, cats in view.hits if a > at and cats & _TYPE_TRIGGERS), None)


def _hands_over(view: _View, at: int) -> bool:
    """Whether the Korean verb at ``at`` lets out or hands over (임대, 공급, 배분 …), neither
    denied, in doubt nor asked for (판매하지 않는다, 공급할 수도 있다, 공급을 요청했다)."""
    stem = _HANDED_OVER_KO.match(view.text, at)
    if stem is None:
        return False
    reach = min(view.sentence.end, stem.end() + _UNDONE_REACH)
    return _UNDONE_KO.search(view.text, stem.end(), reach) is None


def _family(q: QuantityMention) -> str:
    return "count" if q.kind == "bare" else q.kind


def _changes(text: str, quantities: list[QuantityMention]) -> set[int]:
    """Indexes of quantities in a from–to pair, a change ("6만5000장에서 30만장으로", "from
    65,000 to"), and of the change in "by 10,000 to 60,000"; a range (5만~6만 장) is one
    quantity."""
    changed: set[int] = set()
    for i in range(len(quantities) - 1):
        first, second = quantities[i], quantities[i + 1]
        gap = _CHANGE_GAP.fullmatch(text, first.end, second.start)
        if gap is None or _family(first) != _family(second):
            continue
        growth = GROWTH_BEFORE.search(text, max(0, first.start - 8), first.start)
        if "에서" in gap.group() or growth:
            changed |= {i, i + 1}
        elif "to" in gap.group().lower() and BY_BEFORE.search(
            text, max(0, first.start - 8), first.start
        ):
            changed.add(i)  # "by 10,000 to 60,000": the change, not the new figure
    return changed


def _unit(view: _View, q: QuantityMention, ctx: Context) -> str | None:
    if q.kind in ("money", "power"):
        if q.kind == "money" and not (
            "relevance" in view.categories or ctx.previous_relevant
        ):
            return None
        return q.unit
    return "gpu" if _is_gpu_count(view, q, ctx) else None


# --------------------------------------------------------------------------- parties


def _subject_group(view: _View, position: int, anchor: int) -> Group | None:
    groups = [g for g in view.groups if not all(m.vendor for m in g.members)]
    relative = [  # "… in OpenAI, which will deploy …": OpenAI deploys
        g for g in groups
        if g.end < anchor and _RELATIVE.match(view.text, g.end, anchor) is not None
    ]
    if relative:
        return relative[-1]
    for role, limit in (("topic", position), ("subj", position), ("bare", anchor)):
        before = [g for g in groups if g.role == role and g.start < limit]
        if before:
            return before[-1]
    after = [g for g in groups if g.role in ("topic", "subj") and g.start >= position]
    if after:
        return after[0]
    by = [g for g in groups if g.role == "by"]
    if by:
        return by[0]
    buyers = [  # "the 8,000 B200 GPUs that Naver bought": the figure's own relative clause
        g for g in groups
        if g.role == "bare" and position <= g.start
        and _OBJECT_RELATIVE_EN.match(view.text, position, g.start) is not None
        and _buys(view, g.end)
    ]  # fmt: skip
    if buyers:
        return buyers[0]
    owners = [g for g in groups if g.role == "of" and g.start < position]  # 정부의 GPU 구매
    return owners[-1] if owners else None


def _buys(view: _View, end: int) -> bool:
    """Whether the English organisation ending at ``end`` is followed by a verb of obtaining or
    deploying compute ("Naver bought", "Kakao plans to deploy"), not another organisation or a
    speech verb ("that Naver said Samsung would buy", "Meta rival Google ordered")."""
    verb = _CLAUSE_VERB_EN.match(view.text, end)
    at = verb.end() if verb is not None else end
    return not view.text.startswith("buil", at) and any(  # "GPUs that Supermicro built": made
        a == at and "acquire" in cats for a, _, cats in view.hits
    )


def _anchor(view: _View, position: int) -> int:
    """Where an English subject must end: the verb nearest before ``position``, if any."""
    before = [a for a, _ in view.hits_of(_TRIGGERS) if a < position]
    return before[-1] if before else position


def _counterparty(
    view: _View,
    kind: str,
    subject: Group | None,
    members: tuple[Mention, ...],
    anchor: int,
    model: tuple[str, Span] | None,
    position: int | None = None,
    clauses: _Clauses | None = None,
    whole: bool = False,
) -> Party | None:
    """The other party of a fact about ``members``; ``model``: the GPU model the fact names,
    ``position``: where its figure is written when the sentence has several (``clauses``),
    ``whole``: the figure is a total a part is taken from (:func:`_whole`), whose party is one
    named before it: a holding's seller (:data:`_HOLDING_ROLES`), a supply's recipient.
    A party is sought on the figure's side of the others (:func:`_party_order`), and a seller is
    never a chip maker other than the model's ("20,000 MI355Xs from AMD and 30,000 B200s":
    Nvidia's B200s)."""
    taken = {m.org_id for m in members}
    model_vendor = _model_vendor(view, model)
    by_role: dict[str, Mention] = {}
    own = _own(subject)
    others = [
        m
        for group in view.groups
        for m in group.members
        if id(m) not in own and not (whole and position is not None and m.start > position)
    ]
    for m in _party_order(others, position, clauses):
        if m.org_id in taken:
            continue
        # "엔비디아 GPU", "Nvidia's chips", "10 gigawatts of Nvidia systems": the seller
        vendor = m.vendor or (m.role == "of" and _is_vendor_org(view, m))
        role: str = "vendor" if vendor else m.role
        if role == "bare" and m.start > anchor:
            role = "obj"
        if role == "to" and kind == "gpu_commitment" and _handed_to(view, m):
            continue  # 2000장을 업스테이지에 임대하고, 1000장은 자체 학습에 쓴다: not its party
        if kind == "order_won" and m.role != "from" and _names_goods(view, m):
            continue  # "orders from customers for Nvidia Blackwell systems": their maker
        if (
            role in ("vendor", "from")
            and model_vendor is not None
            and m.org_id != model_vendor.org_id
            and _is_vendor_org(view, m)
        ):
            continue  # another chip maker's: not this model's seller
        by_role.setdefault(role, m)
    if subject is not None and len(subject.members) > 1 and not subject.distributive:
        second = subject.members[1]
        if second.org_id not in taken:
            by_role.setdefault("pair", second)
    if model_vendor is not None and model_vendor.org_id not in taken:
        by_role.setdefault("model", model_vendor)
    if kind in _COMMITMENTS or (kind == "order_won" and _is_korean(view)):
        # "deploy GPUs in/to France", 미국에서: places
        by_role = {r: m for r, m in by_role.items() if not _is_country(view, m)}
    roles = _COUNTERPARTY_ROLES[kind]
    if whole:
        roles = _HOLDING_ROLES if kind in _COMMITMENTS else _TOTAL_SUPPLY_ROLES
    for role in roles:
        if role in by_role:
            return _party(by_role[role])
    return None


def _names_goods(view: _View, member: Mention) -> bool:
    """Whether ``member`` is written right before a GPU model or GPU word ("Nvidia Blackwell
    systems", 엔비디아 GPU): the goods' maker."""
    at = member.tail_end
    return any(at <= a <= at + 2 for _, a, _ in view.models) or any(
        at <= a <= at + 2 and "gpu_words" in cats for a, _, cats in view.hits
    )


def _handed_to(view: _View, member: Mention) -> bool:
    """Whether ``member``, named with 에 in a Korean sentence, is the recipient of what the verb
    after it hands over (2000장을 업스테이지에 임대하고, 1000장은 자체 학습에 쓴다; GPU 500장을
    구축해 업스테이지 등에 임대한다): no seller of a commitment (not 람다에 1000장을 임차했고,
    500장을 추가 임차한다, nor 엔비디아에 GPU 공급을 요청했고; English "to Meta" after a list of
    figures is every figure's)."""
    if not _is_korean(view):
        return False
    verb = _next_verb(view, member.start)
    if verb is None or not _hands_over(view, verb):
        return False
    handed = _OBJECT_BEFORE_KO.search(view.text, member.end, verb)
    return handed is None or _counts_compute(view, handed.start(), handed.end())


_OBJECT_BEFORE_KO: Final = re.compile(r"\S+[을를](?=\s)")
"""An object between a recipient and the verb that hands it over (엔비디아에 HBM을 공급하는)."""


def _counts_compute(view: _View, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds a Korean figure, a GPU word or a GPU model."""
    return (
        _FIGURE_KO.search(view.text, start, end) is not None
        or any(start <= a < end and "gpu_words" in cats for a, _, cats in view.hits)
        or any(start <= a < end for _, a, _ in view.models)
    )


def _own(subject: Group | None) -> set[int]:
    """The mentions of a fact's subject, distributive or not: "메타와 마이크로소프트는 각각 …"
    are no counterparties of each other."""
    return {id(m) for m in subject.members} if subject is not None else set()


def _party_order(
    members: list[Mention], position: int | None, clauses: _Clauses | None
) -> list[Mention]:
    """``members`` in the order a figure at ``position`` looks for its other party: those in
    its own clause (:class:`_Clauses`: "with CoreWeave for 10,000 H100s and with Oracle for …",
    "100,000 GPUs from Nvidia and 50,000 from AMD", 델로부터 H100 1만장을, 슈퍼마이크로로부터 …)
    first, the nearest first.  As written when the sentence has one figure."""
    if position is None or clauses is None:
        return members
    mine = clauses.owner(position)
    return sorted(members, key=lambda m: (clauses.owner(m.start) != mine, abs(m.start - position)))


def _across(a: int, b: int, figures: Sequence[int]) -> bool:
    """Whether another of ``figures`` is written between positions ``a`` and ``b``."""
    return any(min(a, b) < f < max(a, b) for f in figures)


def _is_korean(view: _View) -> bool:
    return any(is_hangul(c) for c in view.text[view.sentence.start : view.sentence.end])


def _model_vendor(view: _View, model: tuple[str, Span] | None) -> Mention | None:
    """The vendor of ``model``, mentioned where the model is written."""
    if model is None:
        return None
    name, (start, end) = model
    term = next((t for t in view.lexicon.gpu_models.values() if t.name == name), None)
    org = view.lexicon.organisations.get(term.vendor or "") if term else None
    if org is None:
        return None
    return Mention(org.id, org.name, start, end, "other", end, mention_text=org.name)


def _is_country(view: _View, mention: Mention) -> bool:
    org = view.lexicon.organisations.get(mention.org_id)
    return org is not None and org.kind == "country"


def _subjects(group: Group, view: _View) -> tuple[Group, tuple[Mention, ...]]:
    """The members a fact is stated for: all of them when distributive, else the first."""
    if len(group.members) > 1 and view.distributive:
        return Group(group.members, group.role, distributive=True), group.members
    return group, group.members[:1]


# --------------------------------------------------------------------------- facts


_ADVERB_EN: Final = r"(?:(?:already|just|now|also|yet|(?!(?:only|merely|simply)\b)[a-z]+ly)\s+)?"
_NOT_ADVERB_EN: Final = r"(?:(?:already|yet|(?!(?:only|merely|simply)\b)[a-z]+ly)\s+)?"
"""Adverbs that may stand between an auxiliary and a completion word ("will have already
shipped"), and between "not" and one ("not been successfully shipped"), but not the emphatic
"not just", "not merely", "not simply" ("has not just delivered …, but also …")."""
_UNDONE_EN: Final = re.compile(
    r"(?:\b(?:to|will|would|could|should|shall|may|might|must|can)\s+"
    rf"(?:have\s+{_ADVERB_EN}(?:been\s+{_ADVERB_EN})?|be\s+{_ADVERB_EN})?"
    rf"|\bbe\s+{_ADVERB_EN}|(?<!after\s)(?<!since\s)(?<!upon\s)(?<!before\s)(?<!from\s)\bbeing\s+"
    rf"|(?:\bnot|\bnever|n['’]t)\s+(?:yet\s+)?(?:(?:been|be)\s+)?{_NOT_ADVERB_EN})$",
    re.IGNORECASE,
)
"""What, written just before an English completion word, makes it one still to come, under way
or denied: "will be delivered", "is set to come online", "would have been deployed", "are being
delivered", "hasn't gone live", "have not yet been delivered", "will have already shipped",
"have not been successfully shipped" (a cue of its own may have taken the "to": "expected
to")."""


def _undone(view: _View) -> frozenset[int]:
    """Where the sentence's completion words are none: an English one after "to", "will be",
    "not yet been" and the like (:data:`_UNDONE_EN`), and one in the clause of a completion
    still to come (반입을 내년 완료할 계획이다, "will be delivered once the site is completed")."""
    if "completed" not in view.categories:
        return frozenset()
    korean = _is_korean(view)
    joint = _JOINT_KO if korean else _JOINT_EN
    words = [at for at, _, cats in view.hits if "completed" in cats]
    awaited = [at for at, _, cats in view.hits if "awaited" in cats]
    if not korean:
        start = view.sentence.start
        awaited += [at for at in words if _UNDONE_EN.search(view.text, max(start, at - 40), at)]
    return frozenset(
        at
        for at in words
        if any(joint.search(view.text, min(at, other), max(at, other)) is None for other in awaited)
    )


def _done(view: _View, undone: frozenset[int]) -> frozenset[str]:
    """The sentence's categories, without ``completed`` when each completion word is none
    (``undone``: :func:`_undone`)."""
    if undone and all(at in undone for at, _, cats in view.hits if "completed" in cats):
        return view.categories - {"completed"}
    return view.categories


def _status(categories: frozenset[str]) -> str:
    for status in _STATUS_ORDER:
        if status in categories:
            if status == "negotiating" and "concluded" in categories:
                continue
            return status
    return "announced"


class _Clauses:
    """Which figure of a sentence with several each place of its text belongs to.  The text
    between two figures is split at its last joint (", and", "but", 했고, 지만): what precedes
    the joint is the figure's before ("10,000 H100s were delivered in May, and …", 1만 장 도입을
    완료했고 …), what follows it the figure's after ("… and plans to buy 50,000 B200s", 이미
    도입한 H100 1만 장); with no joint, an English figure's (verbs precede their figures) or a
    Korean one's before it (verbs follow them).  The text before the first figure is the first's,
    after the last the last's."""

    def __init__(self, view: _View, figures: Sequence[QuantityMention]) -> None:
        self.korean = _is_korean(view)
        self.text = view.text
        self.figures = list(figures)
        joint = _JOINT_KO if self.korean else _JOINT_EN
        spans = (edge for q in figures for edge in (q.start, q.end))
        edges = [view.sentence.start, *spans, view.sentence.end]
        count = len(figures)
        self.gaps: list[tuple[int, int, int]] = []  # (start, joint, end) before each figure
        self.broken = [False] * (count + 1)  # [i]: a contrast between figures i - 1 and i
        for index in range(count + 1):
            a, b = edges[2 * index], edges[2 * index + 1]
            split = a if index == 0 else b
            if 0 < index < count:
                joints = [m.start() for m in joint.finditer(view.text, a, b)]
                split = joints[-1] if joints else (b if self.korean else a)
                self.broken[index] = _CONTRAST.search(view.text, a, b) is not None
            self.gaps.append((a, split, b))

    def owner(self, at: int) -> int:
        """The index of the figure place ``at`` belongs to."""
        for index, (a, split, b) in enumerate(self.gaps):
            if at < a:
                return index - 1  # within the figure before this gap
            if at < b:
                return index - 1 if at < split else index
        return len(self.figures) - 1

    def finite(self, index: int) -> bool:
        """Whether figure ``index`` has a verb of its own that bears tense (English "bought",
        "will buy" before it; Korean 도입했 after it), so it shares no status of a figure its
        verb does not govern."""
        if self.korean:
            start, end = self.figures[index].end, self.gaps[index + 1][1]
            return _TENSED_KO.search(self.text, start, end) is not None
        start, end = self.gaps[index][1], self.figures[index].start
        return _FINITE_EN.search(self.text, start, end) is not None


_ASIDE_EN: Final = re.compile(
    r"(?:\s+(?:Corp|Inc|Ltd|Co)\.?)?,\s+(?:which|who)\b[^,;]*,", re.IGNORECASE
)
"""An English relative clause set off by commas after an organisation: "Supermicro, which has
delivered servers to xAI,"."""


_OF_A_DEAL: Final = frozenset({"with", "to", "from", "in", "by", "of"})
"""Roles of an organisation named in a phrase ("a deal with CoreWeave, which was scrapped"):
a clause after it may be about the deal."""


def _asides(view: _View, figures: Sequence[QuantityMention]) -> list[tuple[int, int]]:
    """The English relative clauses about an organisation (:data:`_ASIDE_EN`) that close before
    the first figure, the organisation not named in a phrase (``_OF_A_DEAL``): what they say that
    organisation did ("Meta, which is in talks with AMD, bought 10,000 H100s") is not the
    figures' status.  One after a figure may tell of its goods
    ("from Nvidia, which were delivered in March"), and is left alone."""
    if not figures or _is_korean(view):
        return []
    first = figures[0].start
    return [
        (m.start(), m.end())
        for g in view.groups
        for member in g.members
        if member.role not in _OF_A_DEAL
        and (m := _ASIDE_EN.match(view.text, member.end, first)) is not None
    ]


def _figure_statuses(
    view: _View, figures: Sequence[QuantityMention], clauses: _Clauses | None
) -> list[str]:
    """Each figure's status.  With one figure, or none with a status word of its own, the
    sentence's.  Else each its own clause's (:class:`_Clauses`); a figure without one shares its
    list's ("plans to buy 100,000 B200s and 50,000 H200s", 10만 장의 B200과 5만 장의 H200을 도입할
    계획이다, "orders of 10,000 H100s and 20,000 B200s were cancelled") — the figure before it in
    English, after it in Korean, else the other way, not across a contrast ("but", 지만) and not
    from a figure its own tensed verb does not share ("bought 10,000 H100s last year and has
    cancelled 20,000 B200s"); "shipped" is a completion with a figure as what was shipped
    (:func:`_shipments`), a comparison with a figure's own plan is a plan (:func:`_own_plans`),
    and status words in an aside before the figures are none (:func:`_asides`)."""
    count = len(figures)
    hits = view.hits
    if view.categories & _SHIPPED:
        hits = _shipments(view.text, hits, figures)
    if "comparison" in view.categories:
        hits = _own_plans(view.text, hits)
    if spans := _asides(view, figures):
        hits = [
            (a, b, cats - _STATUS_CUES if any(x <= a < y for x, y in spans) else cats)
            for a, b, cats in hits
        ]
    if hits is not view.hits:
        view = view.rehit(hits)
    undone = _undone(view)
    status = _status(_done(view, undone))
    if clauses is None:
        return [status] * count
    owns: list[set[str]] = [set() for _ in range(count)]
    for at, _, cats in view.hits:
        cues = cats & _STATUS_CUES
        if at in undone:  # "… and 20,000 B200s will be delivered": its clause's own status
            cues = (cues - {"completed"}) | {"awaited"}
        if cues:
            owns[clauses.owner(at)] |= cues
    if not any(owns):
        return [status] * count
    statuses: list[str | None] = [_status(frozenset(own)) if own else None for own in owns]
    korean = clauses.korean
    for step in (1, -1) if korean else (-1, 1):
        for index in range(count - 1, -1, -1) if step == 1 else range(count):
            other = index + step
            if (
                statuses[index] is None
                and 0 <= other < count
                and not clauses.broken[max(index, other)]
                and not clauses.finite(index)
            ):
                statuses[index] = statuses[other]
    return [s or "announced" for s in statuses]


_RECIPIENT_KO: Final = r"(?:\s?[^\s,]+에(?:게)?)?"
"""After a Korean figure and its particle: who it goes to, before the list goes on (300장을
업스테이지에, 200장을 리벨리온에 임대한다)."""
_COORDINATED_KO: Final = re.compile(r"\s?[을를은는과와]?" + _RECIPIENT_KO + r"\s?,|\s?[과와]\s")
"""After a Korean figure: the next one is coordinated with it ("1000장을, 리벨리온에 500장을",
"300장을 업스테이지에, 200장을", "500장은 업스테이지에, 300장은", "10만장과 5만장"), not a
total it is part of ("1만장 가운데", "1만장 규모")."""
_WHOLE_KO: Final = re.compile(r"\s?(?:가운데서?|중에서?|중)(?:도)?(?=[\s,])")
"""After a Korean figure: it is a total a part is taken from (1만장 가운데 500장을 업스테이지에
임대, 1만장 중 일부를): what the subject holds or supplies, with no party named after it."""
_ASKED_KO: Final = r"해\s?(?:달라|주기를|주길|줄\s?것을)"
"""After a verb's stem: it is asked for, not done (임대해 달라, 임대해 줄 것을 요청; not 임대해 줄
계획이다)."""
_REQUEST_KO: Final = re.compile(r"요청|요구|달라")
_ASKED_AFTER_VERB_KO: Final = re.compile(
    r".?(?:해\s?(?:달라고|달라며|(?:주기를|주길|줄\s?것을)\s?(?:요청|요구|촉구|당부)"
    r"|달라는\s(?:\S+\s)?(?:요청|요구)을?\s?받(?!은|아들))"
    r"|\s?(?:을\s?)?(?:요청|요구)을?\s?받(?!은|아들))"
)
"""From a verb's last character: it is asked for (임대해 달라고, 공급해 줄 것을 요청; not a hope,
공급해주기를 기대한다), or asked of the subject (공급 요청을 받았다, 공급을 요청받았다,
공급해 달라는 요청을 받았다; not 공급을 요청받은 GPU, which are told)."""
_REQUEST_EN: Final = re.compile(r"request|ask|seek|sought", re.IGNORECASE)
_ASKED_TO_EN: Final = re.compile(
    r"\b(?:asked|asks|asking|urged|urges|urging|requested|pressed|pressing|called\son"
    r"|calling\son)\s(?:[^\s,.;]+\s){1,4}to\s$",
    re.IGNORECASE,
)
"""Before an English verb: another is asked to do it ("asked Nvidia to supply")."""
_RELATIVE_EN: Final = re.compile(r"\b(?:which|who|that)\s(?:had\s|has\s|have\s)?$", re.I)
_REFUSAL_HINT: Final = re.compile(
    r"거절|거부|반려|묵살|일축|불허|reject|refus|turn\w*\sdown|declin|rebuff"
)
_REFUSED_KO: Final = re.compile(
    r".?(?:\s?(?:을\s?|해\s?달라는\s(?:\S+\s)?)?(?:요청|요구|제안)[을은를]?\s?(?:\S+\s)?"
    r"(?:거절|거부|반려|묵살|일축|불허)|(?:하?[는을]|할)\s?것[을은이]?\s?(?:거절|거부|불허))"
    r"(?!하지\s?(?:는\s?)?(?:않|못)|지\s?않|할\s?수\s?없|하기\s?어려|했던|했다는|됐다는|된다는"
    r"|한다는|당했다는)"
)
"""From a verb's last character: what it was asked to do was refused (공급 요청을 거절했다,
공급해 달라는 요청을 거부했다), or doing it was (임대하는 것을 거부했다, 공급할 것을 거절했다);
not a refusal denied, past or only reported (거절하지 않았다, 거절할 수 없어, 거절했던 과거와
달리, 거절했다는 소문은 사실이 아닌)."""
_REFUSED_EN: Final = re.compile(
    r"(?<!not\s)(?<!n't\s)(?<!n’t\s)(?<!never\s)"
    r"\b(?:reject\w*|refus\w*|turn\w*\sdown|declin\w*|rebuff\w*)\s"
    r"(?:(?!(?:to|on|despite|as|amid|after|by)\b)\S+\s){0,4}"
    r"(?:requests?|orders?|bids?)\s(?:\S+\s){0,3}for\s(?:(?:an?\s)?(?:additional|more|another)\s)?$",
    re.IGNORECASE,
)
"""Before an English figure: a request for it was refused ("rejected Oracle's request for 10,000
GPUs"); not one not refused ("had not rejected its order for"), nor a decline of another kind
("declined to detail orders for", "shares declined despite orders for")."""
_ASKABLE: Final = frozenset({"announced", "planned"})
"""Statuses a request of the figure's own verb turns into negotiating (not a cancellation or a
completion stated beside it)."""
_TOTAL_BEFORE_KO: Final = re.compile(r"[0-9만천백]\s?[장개대]" + _WHOLE_KO.pattern)
"""A Korean figure that is a total, and the word after it (1만장 가운데, 500개 중에서)."""
_HANDED_OVER_KO: Final = re.compile(
    r"(?:임대|대여|공급|배분|판매|제공)(?!\s?받|망|" + _ASKED_KO + ")"
)
_UNDONE_KO: Final = re.compile(
    r"지(?:는|도)?\s?(?:않|못|말)|(?<=[할될])지(?![가-힣])|수\s?(?:도\s?)?있|계획은|거부|거절|가능성"
    r"|소문|싶|아니|없|요청|요구|의뢰|타진|거론|대신"
)
"""Within :data:`_UNDONE_REACH` characters after a verb's stem: it is denied, in doubt or only
wished (판매하지 않는다, 임대할지, 공급할 수도 있다, 임대하는 것을 거부했다, 임대하기로 했다는
소문, 임대하는 것은 아니다, 임대하는 안이 거론된다, 임대하는 대신)."""
_UNDONE_REACH: Final = 16
_OBJECT_KO: Final = re.compile(r"\s?(?:[을를은는만과와]|,)")
"""After a Korean figure: it is an object, or one of a list (500장을, 2000장과, 2000장,) — not
the means (5000장으로, 2000장 규모로)."""
_JOINED_TOTAL_KO: Final = re.compile(
    r"\s?(?:과|와|,)\s?(?:[^\s,]+\s)?[0-9][0-9만천백,.]*\s?[장개대]" + _WHOLE_KO.pattern
)
"""After a Korean figure: another figure that ends a total it is part of (H100 2000장과 A100
1000장 가운데)."""
_LISTED_KO: Final = re.compile(r"[을를은는]?" + _RECIPIENT_KO + r",\s")
"""After a Korean figure: another figure of the list follows (2000장, 리벨리온에 1000장을;
300장을 업스테이지에, 200장을 리벨리온에)."""
_BETWEEN_KO: Final = re.compile(
    r"(?<![장개대])[을를]\s|[가-힣](?:고|며|면서)\s|[가-힣]{2}해서?\s|(?:기반|바탕)으로"
)
"""Between a figure and the verb after it: another object or another verb (5000장을 설계에 쓰고
HBM을 엔비디아에 공급한다): the verb is not the figure's."""
_HOLDING_ROLES: Final = ("from", "vendor", "pair", "model")
"""Where a total held has its other party: who sold it, never a recipient."""
_TOTAL_SUPPLY_ROLES: Final = ("to", "with", "pair", "obj")
"""Where a total supplied has its other party: a recipient, never the maker of its chips."""
_REST_KO: Final = re.compile(r"나머지|전량|잔여")
"""The rest of a total (나머지 16만장을 내년에): its parts are all of it."""
_RESPECTIVELY: Final = re.compile(r"\brespectively\b", re.IGNORECASE)
_MODIFIER_KO: Final = re.compile(r"[가-힣]{0,3}(?:한|하는|된|할)\s(?:[A-Za-z가-힣0-9-]+\s)?")
"""From a verb's stem to a Korean figure it describes (배분한 GPU 1000장, 공급된 5만장): the
verb is the figure's, not one shared by a list after it."""


_MODAL_EN: Final = (
    r"\b(?:(?:may|might|could|can|cannot|can't|can’t|couldn't|couldn’t)(?:\snot)?"
    r"(?:\s(?:also|yet|still|soon|even|later|then|well|[a-z]+ly))?"
    r"(?:\sbe\sable\sto|\sbe|\shave)?"
    r"|(?:will|would)\s(?:likely|probably)|probably\swill"
    r"|(?:is|are|was|were)\s(?:un)?likely\sto|(?:was|were|is|are)\sunable\sto"
    r"|(?:an?|the)\soptions?\sto|the\sright\sto)"
)
_HEDGE_EN_BEFORE: Final = re.compile(_MODAL_EN + r"\s$")
"""Before an English verb: what may be done, not what is ("may buy", "could also supply", "can
deploy", "could not secure").  Lower case only: "in May ordered" is a date.  Not "can now
supply" (a supplier just qualified), nor "whether it could buy" (weighed: its status words
tell, :data:`_WEIGHED_EN`)."""
_WEIGHED_EN: Final = re.compile(r"\b(?:whether|if)\s(?:\S+\s){0,3}$")
_HEDGED_FIGURE_EN: Final = re.compile(
    _MODAL_EN + r"\s(?!(?:worth|valued|total|totals|exceed|reach|top|surpass|cost|consume|confirm"
    r"|say|announce|be)\b)[a-z]+\s(?:(?:an?\s)?(?:additional|another|extra|further|more)\s"
    r"|up\sto\s|as\smany\sas\s|as\smuch\sas\s|more\sthan\s|about\s|around\s|nearly\s"
    r"|to\s)*$"
)
"""Before an English figure: a modal and the verb that takes it ("might deploy an additional
100,000 GPUs", "could lease 20,000", "could rise to $19.4 billion"), whatever the verb's own
category — not a value or what is
said ("could be worth $10 billion", "can confirm 18,000 …"), nor a modal that opens a clause
of what something can do ("systems that can consume 10 gigawatts": :data:`_CLAUSE_OPENER_EN`)."""
_CLAUSE_OPENER_EN: Final = re.compile(r"\b(?:that|which|who)\s$")
_CONTRAST_EN: Final = re.compile(r";|,?\s(?:but|while|whereas|although|though|yet)\s")
"""Between a hedged verb and a figure after it: another clause, whose figure is not the verb's
("xAI could deploy Blackwell chips later, but for now it operates 200,000 H100s")."""
_NEGATED_MODAL: Final = re.compile(r"not|n't|n’t|cannot|unable")
_WEIGHING_KO: Final = r"(?:는|를|에\s대해)?\s?(?:검토|협의|논의|타진|고민|저울질|살펴)"
_PURPOSE_KO: Final = r"도록(?!\s?(?:설계|건설|구축|짓))|게"
"""After 할 수 있: a purpose (확보할 수 있도록 정부가 …), not a design (확장할 수 있도록
설계한다: what it can grow to)."""
_HEDGE_KO_AFTER: Final = re.compile(
    r"[가-힣]{0,3}?(?:[을를도는]\s[가-힣]{1,3})?\s?수\s?(?:도\s?)?"
    r"(?:있(?!" + _PURPOSE_KO + r"|었|는\s?(?:계약|협약|MOU|양해각서|권리)"
    r"|(?:을지|는지)" + _WEIGHING_KO + r")"
    r"|없(?!(?:을지|는지)" + _WEIGHING_KO + r"))"
    r"|[이가도은는]?\s?가능(?!해졌|하게|해진|했|해지|해짐|케|해서|해\s(?!보)|할지|\s?여부)"
    r"|[가-힣]{0,3}?\s?(?:가능성|여력|여지)|[가-힣]{0,3}?지도\s?모[르른를]"
)
"""After a Korean verb's stem: what can (or cannot) be done (도입할 수 있다,
확보할 수 있을 것으로, 수용할 수 있는, 공급할 수도 있다, 구매할 수 없다,
1GW까지 확장할 수 있도록 설계한다); not a purpose (확보할 수 있도록, 쓸 수 있게),
which tells why another verb's figure is bought, nor what could be done and was
(확보할 수 있었다), nor what is weighed (구매할 수 있을지 검토, 도입 가능 여부를
검토: its status words tell), nor a contract that lets it be done (확보할 수 있는
계약을 체결했다); what is possible, likely or within means (도입이 가능하다,
확보도 가능하다, 공급받을 가능성, 투자할 여력, 도입할지도 모른다), not what
became possible (가능해졌다, 가능케 됐다, 가능해 연내 도입을 마친다); also through
a noun and its own verb (투자를 단행할 수 있다, MOU를 체결할 수도 있다)."""


_CAPACITY_KO_AFTER: Final = re.compile(
    r"[을를이가의]?\s?(?:(?:규모|정도|GPU|동시에|한꺼번에|한\s번에)[을를의]?\s){0,2}"
    r"(?:(?:수용|탑재|설치|배치|운용|가동|구동|장착|보관)(?:(?:할|될)\s?수\s?있는|이?\s?가능한)"
    r"|(?:들어갈|돌릴|넣을)\s?수\s?있는)"
)
"""After a Korean figure: what a site can hold (GPU 3만장을 수용할 수 있는 데이터센터, 1만장
탑재 가능한): no commitment of that figure."""
_CAPACITY_EN_BEFORE: Final = re.compile(
    r"\b(?:can|could|will\sbe\sable\sto|able\sto|capable\sof|designed\sto|built\sto)\s"
    r"(?:house|housing|hold|holding|host|hosting|accommodate|accommodating|support|supporting"
    r"|fit|run|running|power|powering)\s(?:(?:up\sto|as\smany\sas|more\sthan|over|about"
    r"|around|roughly|nearly)\s)?$"
)
"""Before an English figure: what a site can hold ("a data center that can house 20,000 GPUs",
"capable of hosting up to 50,000"): no commitment of that figure."""


_QUESTION_END: Final = re.compile(r"\?[\"'”’)\]]*\s*(?:[(\[][^\s()\[\]]{1,4}[)\]]\s*)?$")
"""The end of a question, a headline's tag after it included (확보하나?(종합), [단독])."""
_ASKING_EN: Final = re.compile(
    r"(?:[^:?\"“]{1,60}:\s+)?[\"'“‘(]?(?:(?:so|and|but|or|then)\s|[^,?]{1,40},\s)?"
    r"(?:(?:(?:is|was)\sit\strue\s(?:that\s)?"
    r"|(?:will|would|can|could|may|might|should|shall|is|are|was|were|do|does|did|has|have|had"
    r"|won['’]t|can['’]t|(?:would|could|should)n['’]t)\s)"
    r"(?:(?!(?:which|who|whose|that|where|when|whenever|while|after|before|since|because"
    r"|although|though|once|until|unless|as|know|knew|remember|reali[sz]e|regret|worry|right"
    r"|there)\b)[^\s,'’]+\s){0,8}"
    r"|(?-i:(?!(?:Why|How|When|What|Where|Who|Which)\b)(?:[^\s,?'’:]*[A-Z][^\s,?'’:]*\s){1,3})"
    r"to\s)",
    re.IGNORECASE,
)
"""From the start of an English question to the verb it asks about: an auxiliary (after a label
or a lead-in ending in a colon, "so", "and" or an opening phrase), then at most eight words with
no clause of their own, no possessive, no verb of knowing or regret ("Will Meta buy", "Next
year, will xAI deploy", "Exclusive: Will Oracle buy", "Is it true that Meta will buy", a
headline's names before "to" ("Meta to buy", "SK Hynix to supply"); not
"Will Meta, which bought", "Will Meta slow down after buying", "Does Oracle's order", "Did you
know Meta bought", "Does Meta regret buying").  A negative question of what was done asserts it
("Didn't Meta buy …?", "Hasn't Nvidia agreed …?"): only a modal's negation asks."""
_WH_KO: Final = re.compile(
    r"왜(?!곡|냐)|어떻게(?!든)|무엇(?!보다)|무슨|누가(?!\s?(?:뭐래도|봐도))|누구(?!나|든)"
    r"|뭐(?!래도|니)|뭘|몇(?!몇|\s?(?:년|달|개월|차례|번|주|일)\s?(?:전|째|간|동안|만에))"
    r"|어디(?!서?[든나]|까지나)|언제(?!든|나)|얼마(?!\s?(?:전|간|안|후|\s?뒤))"
    r"|어느(?!\s?정도|새|덧)|어떤"
)
"""A Korean question word: what it asks about is taken as done (왜 샀나?, 누구에게 공급하나?,
몇 곳에 공급하나?); not 얼마 전 ("recently"), 언제든, 어디서든, 누가 뭐래도, 어느 정도, 왜곡,
무엇보다, 어떻게든, 어느새, 몇 년 전."""
_ASKING_KO: Final = re.compile(
    r"(?:[^\s,]{0,4}(?:\s[^\s,]{1,5})?(?:[나까니냐]|(?<!던)가|(?<!다)지)요?"
    r"|[^,]{0,8}다는\s?(?:게|것이|것은|보도|소문|얘기|말)[은는이가]?,?\s?(?:과연\s|정말\s)?"
    r"(?:사실|맞)(?:인가|일까|인지|이냐|나|을까)요?)?\s*"
)
"""From a Korean trigger to the question mark: its own verb asked (확보하나, 를 맺을까, 할
계획인가, 구매할까요), nothing (a headline's 1만장 확보?), or a report asked about (확보한다는
게 사실인가); not a question that asserts (확보했다지?, 도입하지 않았던가?)."""
_HEDGE_HINT: Final = re.compile(
    r"may|might|could|can|likely|unable|option|right|probabl|able|designed|built"
    r"|수|가능|여력|여지|지도|\?"
)
"""A word every hedge and capacity above holds, or a question mark: a sentence without one is
read without looking for them (most sentences)."""


def _may_hedge(view: _View) -> bool:
    return _HEDGE_HINT.search(view.text, view.sentence.start, view.sentence.end) is not None


def _asked(view: _View, start: int, end: int) -> bool:
    """Whether the verb at ``start``–``end`` (a figure's, :func:`_verb`, or a relation's trigger)
    is what the sentence asks whether ("Will Meta buy 10,000 GPUs?", "Is Nvidia supplying 50,000
    chips to Humain?", 삼성전자, GPU 5만장 확보하나?): no commitment.  What the question takes as
    done keeps its facts: a question of why, how or when ("Why did Meta buy 10,000 GPUs?"; in
    Korean a question word, :data:`_WH_KO`), and a verb outside what is asked ("Will Meta, which
    bought 350,000 H100s, …", GPU 1만장을 확보한 네이버가 추가 구매하나?)."""
    text, first = view.text, view.sentence.start
    ending = _QUESTION_END.search(text, first, view.sentence.end)
    if ending is None or end > ending.start():
        return False
    if _is_korean(view):
        return (
            _ASKING_KO.fullmatch(text, end, ending.start()) is not None
            and _WH_KO.search(text, first, ending.start()) is None
        )
    return _ASKING_EN.fullmatch(text, first, start) is not None


def _possible(view: _View, q: QuantityMention, verb: Hit | None) -> bool:
    """Whether figure ``q`` is what may be done or what a site can hold, not a commitment: its
    own verb (``verb``, :func:`_verb`) is asked about (:func:`_asked`) or hedged, or in English
    a modal's verb takes it, or it is a capacity."""
    if verb is not None and (_asked(view, verb[0], verb[1]) or _hedged_figure(view, q, verb)):
        return True
    text = view.text
    if _is_korean(view):
        return _CAPACITY_KO_AFTER.match(text, q.end, view.sentence.end) is not None
    begin = max(view.sentence.start, q.start - 64)
    if _CAPACITY_EN_BEFORE.search(text, begin, q.start) is not None:
        return True
    modal = _modal_before(view, _HEDGED_FIGURE_EN, q.start)
    return modal is not None and not _CLAUSE_OPENER_EN.search(
        text, max(view.sentence.start, modal.start() - 8), modal.start()
    )


_HEDGE_KO_LATER: Final = re.compile(
    r"[^,.;]{0,12}?[가-힣]\s?수\s?(?:도\s?)?있(?!" + _PURPOSE_KO + r"|었|는)"
)
"""After a Korean figure whose verb came before it: its own hedged verb (5000장을 구매하며 향후
1만장까지 늘릴 수 있다: the 10,000)."""
_DEFINITE_EN_BEFORE: Final = re.compile(r"(?:\b(?:the|those|these|its|their)|['’]s)\s$", re.I)


def _hedged_figure(view: _View, q: QuantityMention, verb: Hit) -> bool:
    """Whether figure ``q``'s own verb is hedged (:func:`_hedged`): not across another clause
    between them (:data:`_CONTRAST_EN`, :data:`_CLAUSE_BREAK`), nor a figure already agreed
    that a hedged verb after it only times (:func:`_known`), unless the modal is negated.  A
    Korean figure whose verb came before it is hedged by its own verb after it
    (:data:`_HEDGE_KO_LATER`)."""
    text = view.text
    if _is_korean(view):
        if verb[1] <= q.start:  # a verb before: a hedge of the figure's own after it
            return _HEDGE_KO_LATER.match(text, q.end, view.sentence.end) is not None
        between = _CLAUSE_BREAK.search(text, q.end, verb[0])
        return between is None and _hedged(view, verb[0], verb[1])
    modal = _modal_before(view, _HEDGE_EN_BEFORE, verb[0])
    if modal is None:
        return False
    if verb[1] <= q.start and _CONTRAST_EN.search(text, verb[1], q.start):
        return False
    if verb[0] < q.end or not _known(view, q):
        return True
    return _NEGATED_MODAL.search(modal.group()) is not None


def _known(view: _View, q: QuantityMention) -> bool:
    """Whether an English figure is one already agreed, which a hedged verb after it only times
    or places ("the 30,000 GPUs could be delivered in May", "Meta's 10,000 H100s could be
    delivered early"): not what may be done."""
    begin = max(view.sentence.start, q.start - 16)
    return _DEFINITE_EN_BEFORE.search(view.text, begin, q.start) is not None


def _modal_before(view: _View, pattern: re.Pattern[str], at: int) -> re.Match[str] | None:
    """``pattern`` (a modal and what follows it) ending at ``at``, unless weighed ("whether it
    could buy": :data:`_WEIGHED_EN`)."""
    begin = view.sentence.start
    modal = pattern.search(view.text, max(begin, at - 64), at)
    if modal is None:
        return None
    weighed = _WEIGHED_EN.search(view.text, max(begin, modal.start() - 40), modal.start())
    return modal if weighed is None else None


def _hedged(view: _View, start: int, end: int) -> bool:
    """Whether a figure's verb (:func:`_verb`), or a relation's trigger, says what may be done:
    a possibility, or what a site can hold, is no commitment; the verbs beside it keep theirs
    (KT는 GPU 1만개를 수용할 수 있는 데이터센터에 5000억원을 투자한다: the investment stands);
    nothing is done that the sentence only asks about (:func:`_asked`)."""
    if _asked(view, start, end):
        return True
    if _is_korean(view):
        return _HEDGE_KO_AFTER.match(view.text, end, view.sentence.end) is not None
    return _modal_before(view, _HEDGE_EN_BEFORE, start) is not None


def _verb(view: _View, q: QuantityMention, following: int) -> Hit | None:
    """The type trigger that governs a figure: the first one after it and before the next
    figure in Korean (5만장을 도입하고 … 1만장을 배분한다), else the first after the figures that
    share it, with no other verb between (업스테이지에 1000장을, 리벨리온에 500장을 임대한다; not
    3000장을 세종에, 1000장을 춘천에 두고 … 임대한다), else the last before it; the last one
    before it in English ("buy 10,000 … and supply 5,000"); else the other way."""
    spans = [hit for hit in view.hits if hit[2] & _TYPE_TRIGGERS]
    after = [hit for hit in spans if q.end <= hit[0] < following]
    before = [hit for hit in spans if hit[0] < q.start]
    if _is_korean(view):
        text = view.text
        # an order won before a figure is another noun's (슈퍼마이크로가 수주한 프로젝트에는 …)
        before = [hit for hit in before if "order_won" not in hit[2]]
        modifier = bool(before) and _MODIFIER_KO.fullmatch(text, before[-1][1], q.start) is not None
        coordinated = _COORDINATED_KO.match(text, q.end) is not None
        shared = [
            hit
            for hit in spans
            if hit[0] >= following and _BETWEEN_KO.search(text, following, hit[0]) is None
        ] if coordinated and not modifier else []  # fmt: skip
        local = after[:1] or shared[:1] or before[-1:]
    else:
        local = before[-1:] or after[:1]
    return local[0] if local else None


def _verb_categories(verb: Hit | None, view: _View) -> frozenset[str]:
    """The categories of a figure's verb (:func:`_verb`) and the sentence's others; with no
    verb, the whole sentence's."""
    if verb is None:
        return view.categories - _ORDER_WON  # an order won is only its own figure's
    return frozenset(verb[2] | (view.categories - _TYPE_TRIGGERS))


def _quantity_type(
    view: _View,
    cats: frozenset[str],
    unit: str,
    subject: Mention | None,
    has_recipient: bool,
    lessor: bool = False,
) -> str | None:
    """The fact type of a figure (``cats``: its verb's categories); ``lessor``: its verb rents
    it out (:func:`_lets_out`)."""
    if unit in _COMPUTE:
        if not cats & (_TRIGGERS):
            return None
        if "receive" in cats:
            return "gpu_commitment"
        org = view.lexicon.organisations.get(subject.org_id) if subject else None
        vendor = org is not None and org.is_gpu_vendor
        if "supply" in cats:
            if vendor or has_recipient or "order_won" in cats:
                return "supply"
            taken = "acquire" in cats or _seller_named(view) or _received(view)
            return "gpu_commitment" if taken else "supply"
        return "supply" if (vendor and has_recipient) or lessor else "gpu_commitment"
    invested = cats & _INVESTING or ("uses" in cats and _spends_on_infrastructure(view))
    if invested and not _leasing_money(view):
        return "investment"
    if "supply" in cats:
        return "supply"
    return None


_SPENT_ON_INFRASTRUCTURE_KO: Final = re.compile(
    r"(?:인프라|데이터센터|GPU|반도체|설비|구축|구매|증설|생산\s?확대|생산)에\s"
)


def _spends_on_infrastructure(view: _View) -> bool:
    """Whether the money a Korean sentence "uses" (쓴다) goes to infrastructure, an investment
    (AI 인프라에 5000억원을 쓰기로, 데이터센터에 800억달러를 쓴다), not running costs or
    advertising (전기요금으로, 광고 캠페인에)."""
    start, end = view.sentence.start, view.sentence.end
    return _SPENT_ON_INFRASTRUCTURE_KO.search(view.text, start, end) is not None


_LESSOR_EN: Final = re.compile(
    r"(?<!\bin\s)(?<!\bthe\s)(?<!\bits\s)(?<!\btheir\s)(?<!\bpay\s)(?<!\bpays\s)"
    r"(?<!\bpaid\s)(?<!\bpaying\s)(?:(?:is|are|was|were|been|be)\s+)?(?:rent|leas)\w*",
    re.IGNORECASE,
)
"""A verb of renting ("rents", "will lease", "is leasing"; not the noun: "in rent", "the lease",
"pay rent")."""
_FROM_EN: Final = re.compile(r"\bfrom\b", re.IGNORECASE)
_RENTED_TO_EN: Final = re.compile(
    r"(?:(?!\band\b)(?:[^,;:()]|(?<=\d),(?=\d)))*?"
    r"(?:\b(?-i:and)\s+\d[\d,.]*(?:\s+(?:(?-i:[A-Z]*\d[\w-]*|[A-Z]{2,}\d*s?)|more|gpus?|chips?"
    r"|accelerators?|servers?|racks?|units?|nodes?|clusters?|systems?|superchips?|cards?"
    r"|data\s+cent(?:er|re)s?)){0,3}"
    r"(?:\s+(?-i:(?:this|next|last)\s+year|in\s+(?:20\d\d|[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)))?"
    r"\s+)?"
    r"(?<!\bbelonging\s)(?<!\bdue\s)(?<!\bclose\s)(?<!\bsimilar\s)(?<!\bnext\s)(?<!\bthanks\s)"
    r"(?<!\brelative\s)(?<!\bowing\s)(?<!\bonly\s)(?<!\bcompared\s)\bto\s+(?:the\s+)?$",
    re.IGNORECASE,
)
"""The words from a verb of renting to the organisation it rents to, in one clause: "rent
100,000 GPUs to", "lease 10,000 and 5,000 GPUs to", "rents 5,000 H200s and 2,500 B200s to",
"lease 10,000 GPUs and 2,000 more next year to", "… and 5,000 in New Jersey to" (not
"belonging to", "second only to", "… and plans to offer the capacity to", "… and 2 GW of
capacity tied to"; "according to" names no party: :mod:`~services.extractor.entities`)."""


_LESSOR_KO: Final = re.compile(r"(?:임대|대여|렌탈)(?!" + _ASKED_KO + ")")
"""A Korean verb of renting out (임대한다, 대여했다; 임대받 is a receiving, the noun in 임대 방식
or 임대 사업 no trigger, and 임대해 달라 asks for it)."""


def _lets_out(
    view: _View, verb: Hit | None, q: QuantityMention, subject: Mention | None
) -> bool:
    """Whether a figure's verb (:func:`_verb`, not in an aside before the figure:
    :func:`_asides`) rents or leases it out to an organisation other than its subject, named in
    the verb's clause with "to" ("Nebius will rent 100,000 GPUs to Microsoft", "the GPUs that
    CoreWeave leases to OpenAI"), with no "from" until the next verb ("rent 100,000 GPUs from
    CoreWeave, which also leases capacity to Microsoft"; "rents 50,000 GPUs for OpenAI from
    CoreWeave"): the one who rents them out supplies them.  In Korean the recipient (에, 에게)
    comes before the verb, after the verb before it, with no source (로부터, 에서) there: "KT는
    업스테이지에 GPU 1000장을 임대한다" (not "람다로부터 GPU를 임대해")."""
    if verb is None:
        return False
    if _is_korean(view):
        return _lets_out_korean(view, verb, subject)
    if _LESSOR_EN.match(view.text, verb[0]) is None:
        return False
    at = verb[1]
    if any(x <= at < y for x, y in _asides(view, [q])):
        return False
    nexts = [a for a, _, cats in view.hits if a >= at and cats & _TYPE_TRIGGERS]
    until = nexts[0] if nexts else view.sentence.end
    if _FROM_EN.search(view.text, at, until) is not None:
        return False
    return any(
        m.role == "to"
        and at <= m.start < until
        and (subject is None or m.org_id != subject.org_id)
        and _RENTED_TO_EN.fullmatch(view.text, at, m.start) is not None
        for g in view.groups
        for m in g.members
    )


def _lets_out_korean(view: _View, verb: Hit, subject: Mention | None) -> bool:
    at = verb[0]
    if _LESSOR_KO.match(view.text, at) is None:
        return False
    befores = [b for a, b, cats in view.hits if a < at and cats & _TYPE_TRIGGERS]
    since = max(befores, default=view.sentence.start)
    roles = {
        m.role
        for g in view.groups
        for m in g.members
        if since <= m.start < at
        and (subject is None or m.org_id != subject.org_id)
        and not _is_country(view, m)  # 한국에, 미국에서: places
    }
    return "to" in roles and "from" not in roles


def _leasing_money(view: _View) -> bool:
    """Whether a Korean sentence's money goes with a verb of renting alone: the lease's price or
    revenue ("월 10억원에 임대한다", "임대해 100억달러를 벌어들인다"), no investment."""
    acquiring = [a for a, _, cats in view.hits if "acquire" in cats]
    return (
        _is_korean(view)
        and "investment" not in view.categories
        and bool(acquiring)
        and all(_LESSOR_KO.match(view.text, a) for a in acquiring)
    )


_PASSIVE_EN: Final = re.compile(
    r"\b(?:be|been|being|is|are|was|were)\s+(?:[a-z]+ly\s+)?$", re.IGNORECASE
)
"""What, written just before an English supply word, makes it passive: "were delivered", "are
due to be shipped", "have been successfully supplied"."""
_TO_ITS_OWN_EN: Final = re.compile(
    r"[a-z]*(?:\s+[\w-]+){0,3}?\s+(?:to|at|into)\s+(?:(?:its|their|our)\s+(?!(?:customer|client"
    r"|partner|user|buyer|subsidiar|affiliate|rival)\w*\b)|(?:it|them|us)\b)",
    re.IGNORECASE,
)
"""What, written from an English supply word on, takes the goods to the subject's own place:
"delivered to its Iowa data center", "shipped last month to their campus", "supplied to it"
(not to its customers or partners)."""


def _seller_named(view: _View, roles: tuple[str, ...] = ("with", "from")) -> bool:
    """Whether a GPU maker is named as the seller: "Nvidia's chips", "from AMD" (and, with
    ``by`` among ``roles``, a passive's "by Nvidia")."""
    return any(
        m.vendor or (m.role in roles and _is_vendor_org(view, m))
        for g in view.groups for m in g.members
    )  # fmt: skip


def _received(view: _View) -> bool:
    """Whether every supply word of an English sentence is passive ("were delivered", "are due
    to be shipped") and tells of goods that came to its subject: a GPU maker is named as their
    seller ("by Nvidia", "the MI355X it ordered from AMD"), or each takes them to the subject's
    own place ("Microsoft said 20,000 B200s were delivered to its data center"), where
    "Supermicro said 100,000 GPUs were shipped in the quarter" and "were supplied to startups"
    are the subject's supply."""
    if _is_korean(view):
        return False
    start, end = view.sentence.start, view.sentence.end
    words = [at for at, _ in view.hits_of(_SUPPLY)]
    if not words or not all(_PASSIVE_EN.search(view.text, max(start, at - 30), at) for at in words):
        return False
    return _seller_named(view, ("with", "from", "by")) or all(
        _TO_ITS_OWN_EN.match(view.text, at, end) for at in words
    )


def _recipient_named(view: _View) -> bool:
    """Whether an organisation is named as receiving ("to Microsoft", 정부에)."""
    return any(m.role == "to" for g in view.groups for m in g.members)


def _came_to(view: _View, member: Mention) -> bool:
    """Whether the sentence's supply words tell of goods that came to ``member``
    (:func:`_received`), ``member`` selling no GPUs and nobody else named to receive them."""
    return _received(view) and not _is_vendor_org(view, member) and not _recipient_named(view)


def _is_vendor_org(view: _View, mention: Mention) -> bool:
    org = view.lexicon.organisations.get(mention.org_id)
    return org is not None and org.is_gpu_vendor


def _whole(view: _View, q: QuantityMention) -> bool:
    """Whether Korean figure ``q`` is a total a part is taken from (1만장 가운데, 1만장 중)."""
    return bool(q.unit) and _WHOLE_KO.match(view.text, q.end) is not None


def _recipient_before(view: _View, q: QuantityMention) -> bool:
    """Whether an organisation is named with 에 (or "to") before figure ``q`` in its sentence:
    KT는 업스테이지에 GPU 1만장 가운데 5000장을 먼저 공급하고 … (not with 각각: 네이버와 카카오에
    GPU 1만장 가운데 각각 3000장을 — the recipients have the parts)."""
    return not view.distributive and any(
        m.role == "to" and view.sentence.start <= m.start < q.start
        for group in view.groups
        for m in group.members
    )


def _given_whole(
    view: _View, q: QuantityMention, later: Sequence[QuantityMention]
) -> bool:
    """Whether a total's parts all go to one recipient named after them (26만장 중 10만장을 올해,
    나머지 16만장을 내년에 한국에): one organisation named with 에 after the total, no verb
    between, and the ``later`` figures of its unit adding up to the total or 나머지 (전량, 잔여)
    before the recipient."""
    tos = [m for g in view.groups for m in g.members if m.role == "to" and m.start > q.end]
    if len({m.org_id for m in tos}) != 1:
        return False
    if any(q.end <= at < tos[0].start for at, _, cats in view.hits if cats & _TYPE_TRIGGERS):
        return False  # a part has a verb of its own before the recipient
    if later and q.value is not None and sum(f.value or 0 for f in later) == q.value:
        return True
    return _REST_KO.search(view.text, q.end, tos[0].start) is not None


def _model(found: tuple[str, int, int]) -> tuple[str, Span]:
    """A model of :attr:`_View.models` as a draft holds it: the name and its span."""
    name, start, end = found
    return name, (start, end)


def _nearest_model(
    view: _View, position: int, figures: Sequence[QuantityMention] = ()
) -> tuple[str, Span] | None:
    """The model of a figure at ``position`` among the sentence's ``figures``: the one written
    against it ("20,000 MI355Xs", "H100 2만 장", "1만 장의 B200"), else the nearest one neither
    written against another figure nor across one."""
    near = view.models  # the sentence's only figure: the nearest model
    if figures:
        mine = _coordinated(view.text, figures, position)
        others = [q for q in figures if q not in mine]
        against = [m for m in view.models if any(_against(view.text, m, q) for q in mine)]
        near = against or [
            m for m in view.models
            if not any(_against(view.text, m, q) for q in others)
            and not _across(m[1], position, [q.start for q in others])
        ]  # fmt: skip
    if not near:
        return None
    return _model(min(near, key=lambda m: abs(m[1] - position)))


def _coordinated(
    text: str, figures: Sequence[QuantityMention], position: int
) -> list[QuantityMention]:
    """The figure at ``position`` with those joined to it by a conjunction alone, which share
    what is written against any of them ("10,000 and 5,000 H100s", H100 1만 장과 5000장)."""
    runs: list[list[QuantityMention]] = []
    for q in sorted(figures, key=lambda f: f.start):
        if runs and _CONJUNCTION.fullmatch(text, runs[-1][-1].end, q.start):
            runs[-1].append(q)
        else:
            runs.append([q])
    return next((run for run in runs if any(q.start == position for q in run)), [])


def _against(text: str, model: tuple[str, int, int], figure: QuantityMention) -> bool:
    """Whether ``model`` is written right before or after ``figure`` (its unit included)."""
    _, start, end = model
    if end <= figure.start:
        return _AGAINST.fullmatch(text, end, figure.start) is not None
    return _AGAINST.fullmatch(text, figure.end, start) is not None


def _figure_models(
    view: _View, figures: list[tuple[QuantityMention, str]]
) -> list[tuple[str, Span] | None]:
    """The GPU model of each figure (none for money): when the sentence names as many models as
    it has GPU counts, each count's is the model in the same place of the list ("100,000 B200s
    and 50,000 H200s", "10만 장의 B200과 5만 장의 H200"); else the model nearest the figure
    (:func:`_nearest_model`), else, for a figure that names nothing, the figure's before."""
    counts = [q for q, unit in figures if unit == "gpu"]
    listed: dict[QuantityMention, tuple[str, Span]] = {}
    if len(counts) > 1 and len(view.models) == len(counts):
        listed = {q: _model(m) for q, m in zip(counts, view.models, strict=True)}
    compute = [q for q, unit in figures if unit in _COMPUTE] if len(figures) > 1 else []
    models: list[tuple[str, Span] | None] = []
    before: tuple[str, Span] | None = None  # the model of the compute figure before
    for q, unit in figures:
        model = None
        if unit in _COMPUTE:
            model = listed.get(q) or _nearest_model(view, q.start, compute)
            if model is None and _nameless(view.text, q):
                model = before  # "10,000 H100s … and another 20,000", 1만 장 … 2000장을 더
            before = model
        models.append(model)
    return models


def _nameless(text: str, q: QuantityMention) -> bool:
    """Whether a figure names nothing it counts: a bare number ("another 20,000") or a Korean
    counter with no GPU word before it (2000장을 더), not "20,000 GPUs" nor "GPU 2000장"."""
    if q.kind == "bare":
        return True
    named = _GPU_WORD_BEFORE.search(text, max(0, q.start - 8), q.start)
    return q.unit in _COUNTERS_KO and named is None


def _relation_model(view: _View, kind: str) -> tuple[str, Span] | None:
    """The GPU model a fact without a figure names: a supply's first."""
    return _model(view.models[0]) if view.models and kind == "supply" else None


def _products(view: _View) -> tuple[str, ...]:
    return tuple(dict.fromkeys(name for name, _, _ in view.products))


@dataclass(init=False, unsafe_hash=True)  # a written __init__: see services.extractor.entities
class _Resolved:
    group: Group | None
    members: tuple[Mention, ...]
    carried: bool
    anchor: int

    def __init__(
        self, group: Group | None, members: tuple[Mention, ...], carried: bool, anchor: int
    ) -> None:
        self.group = group
        self.members = members
        self.carried = carried
        self.anchor = anchor


def _resolve(view: _View, position: int, ctx: Context) -> _Resolved:
    anchor = _anchor(view, position)
    group = _subject_group(view, position, anchor)
    if group is not None:
        group, members = _subjects(group, view)
        return _Resolved(group, members, False, anchor)
    carried = tuple(
        Mention(p.org_id, p.name, p.span[0], p.span[1], "topic", p.span[1], mention_text=p.mention)
        for p in ctx.subject
    )
    if not carried:
        return _Resolved(None, (), True, anchor)
    pseudo = Group(carried, "topic")
    pseudo, members = _subjects(pseudo, view)
    return _Resolved(pseudo, members, True, anchor)


def _confidence(resolved: _Resolved, view: _View, ctx: Context, vague: bool) -> float:
    confidence = 0.9
    if resolved.carried:
        confidence = 0.75 if ctx.subject_paragraph == view.sentence.paragraph else 0.6
    return confidence - 0.1 if vague else confidence


def _quantity_drafts(view: _View, ctx: Context) -> list[Draft]:
    text = view.text
    quantities = find_quantities(text, view.sentence.start, view.sentence.end)
    taken = [(a, b) for _, a, b in view.models + view.products]
    quantities = [
        q for q in quantities if not any(a < q.end and q.start < b for a, b in taken)
    ]
    changed = _changes(text, quantities)
    usable = [
        (q, unit)
        for i, q in enumerate(quantities)
        if i not in changed
        and not _blocked(view, q.start, q.end)
        and (unit := _unit(view, q, ctx)) is not None
    ]
    drafts: list[Draft] = []
    may_hedge = bool(usable) and _may_hedge(view)
    refusal = bool(usable) and _may_refuse(view)
    clauses = _Clauses(view, [q for q, _ in usable]) if len(usable) > 1 else None
    statuses = _figure_statuses(view, [q for q, _ in usable], clauses)
    models = _figure_models(view, usable)
    scopes = _figure_scopes(view, models)
    has_recipient = _recipient_named(view)
    for index, (q, unit) in enumerate(usable):
        resolved = _resolve(view, q.start, ctx)
        members = resolved.members
        if view.respectively and len(members) == len(usable) > 1:
            members = (members[index],)
        following = next(  # the next figure of compute: a price between is no figure of its own
            (f.start for f, u in usable[index + 1 :] if u in _COMPUTE), view.sentence.end
        )
        subject = members[0] if members else None
        own = _verb(view, q, following) if may_hedge or unit in _COMPUTE else None
        if may_hedge and _possible(view, q, own):
            continue
        if refusal and _refused(view, q.start, own):
            continue
        verb = own if unit in _COMPUTE else None
        # a deal's value belongs to the whole sentence ("a $14bn agreement to supply")
        cats = _verb_categories(verb, view) if unit in _COMPUTE else view.categories
        kind = _quantity_type(
            view, cats, unit, subject, has_recipient, _lets_out(view, verb, q, subject)
        )
        if kind is None or not members:
            continue
        whole = (
            unit in _COMPUTE
            and _whole(view, q)
            and not _given_whole(view, q, [f for f, u in usable[index + 1 :] if u == unit])
        )
        if (
            whole
            and kind == "supply"
            and (verb is None or verb[0] > q.end)
            and not _is_vendor_org(view, members[0])
            and not _recipient_before(view, q)
        ):
            kind = "gpu_commitment"  # its verb is the part's, and it goes to no one: a holding
        party_kind = _party_kind(kind, cats)
        status = statuses[index]
        if status in _ASKABLE and verb is not None and _requested(view, verb[0], verb[1]):
            status = "negotiating"
        respective = (
            None
            if whole
            else _respective_party(view, len(usable), index, resolved.group, party_kind)
        )
        for member in members:
            counterparty = respective or _counterparty(
                view, party_kind, resolved.group, (member,), resolved.anchor, models[index],
                q.start, clauses, whole,
            )  # fmt: skip
            if counterparty is None and resolved.carried:
                counterparty = ctx.counterparty
            recipients = (
                _each_recipient(view, counterparty, member)
                if kind == "supply" and len(members) == len(usable) == 1 and not whole
                else [counterparty]
            )
            drafts.extend(
                Draft(
                    type=kind,
                    subject=_party(member),
                    counterparty=recipient,
                    quantity=q,
                    unit=unit,
                    gpu_model=models[index],
                    products=_products(view) if kind == "supply" else (),
                    timeframe=find_timeframe(text, view.sentence.start, view.sentence.end),
                    scope=scopes[index],
                    status=status,
                    confidence=_confidence(resolved, view, ctx, q.value is None),
                    sentence=view.sentence,
                    rule=f"{kind}.quantity.{'carried' if resolved.carried else 'explicit'}",
                    trigger=_trigger_span(view, q.start),
                    upheld="upheld" in view.categories,
                )
                for recipient in recipients
            )
    return drafts


def _party_kind(kind: str, cats: frozenset[str]) -> str:
    """Which roles a fact's other party is sought in (:data:`_COUNTERPARTY_ROLES`): a supply
    by an order won (수주, "received orders") goes to the one it came from (엔비디아로부터), and
    GPUs used (쓴다) have no recipient for a seller."""
    if kind == "supply" and "order_won" in cats:
        return "order_won"
    if kind == "gpu_commitment" and "uses" in cats:
        return "uses"
    return kind


def _each_recipient(
    view: _View, counterparty: Party | None, subject: Mention
) -> list[Party | None]:
    """The recipients of a sentence's one figure supplied to each of several ("삼성전자와
    SK그룹에 각각 GPU 5만장을", "50,000 GPUs each to Samsung, SK Group and Hyundai"): the members
    of ``counterparty``'s group named with 에 or "to", when the sentence distributes; else
    ``counterparty`` alone."""
    if counterparty is None or not view.distributive or _RESPECTIVELY.search(
        view.text, view.sentence.start, view.sentence.end
    ):
        return [counterparty]  # one figure "respectively" to several: not one each
    for group in view.groups:
        if group.role == "to" and len(group.members) > 1 and any(
            (m.start, m.end) == counterparty.span for m in group.members
        ):
            return [_party(m) for m in group.members if m.org_id != subject.org_id]
    return [counterparty]


def _respective_party(
    view: _View, count: int, index: int, subject: Group | None, kind: str
) -> Party | None:
    """The counterparty of figure ``index`` of ``count`` when a group of as many organisations
    names each figure's own ("buy 100,000 and 50,000 GPUs from Nvidia and AMD, respectively",
    엔비디아와 AMD로부터 각각 10만장, 5만장)."""
    if not view.respectively or count < 2:
        return None
    own = _own(subject)
    roles = _COUNTERPARTY_ROLES[kind]
    for group in view.groups:
        if (
            len(group.members) == count
            and group.role in roles
            and not any(id(m) in own for m in group.members)
        ):
            party = group.members[index]
            if (kind in _COMMITMENTS or kind == "order_won") and _is_country(view, party):
                return None  # 미국과 한국에 각각: places
            return _party(party)
    return None


def _scope(view: _View) -> str | None:
    found = find_scope(view.text, view.sentence.start, view.sentence.end)
    return found[0] if found else None


def _figure_scopes(view: _View, models: list[tuple[str, Span] | None]) -> list[str | None]:
    """Each figure's scope: the sentence's (a phase, a site) and, when its figures name
    different models ("100,000 B200s and 50,000 H200s"), the figure's model too — each is a
    commitment of its own, not one figure revising the other."""
    scope = _scope(view)
    names = [model[0] if model else None for model in models]
    if len({name.casefold() for name in names if name}) < 2:
        return [scope] * len(models)
    return [" ".join(part for part in (scope, name) if part) or None for name in names]


def _trigger_span(view: _View, position: int) -> Span | None:
    spans = view.hits_of(_TRIGGERS)
    if not spans:
        return None
    return min(spans, key=lambda s: abs(s[0] - position))


def _relation_draft(
    view: _View,
    ctx: Context,
    kind: str,
    parties: tuple[Party, Party | None],
    resolved: _Resolved,
    trigger: Span,
    status: str | None = None,
) -> Draft:
    """A fact without a figure; its status the sentence's unless ``status`` is given."""
    return Draft(
        type=kind,
        subject=parties[0],
        counterparty=parties[1],
        quantity=None,
        unit=None,
        gpu_model=_relation_model(view, kind),
        products=_products(view) if kind == "supply" else (),
        timeframe=find_timeframe(view.text, view.sentence.start, view.sentence.end),
        scope=_scope(view),
        status=status or _status(_done(view, _undone(view))),
        confidence=_confidence(resolved, view, ctx, False) - 0.1,
        sentence=view.sentence,
        rule=f"{kind}.relation.{'carried' if resolved.carried else 'explicit'}",
        trigger=trigger,
        upheld="upheld" in view.categories,
    )


def _requested(view: _View, start: int, end: int) -> bool:
    """Whether the verb at ``start``–``end`` is asked for, not done: negotiating.  In Korean a
    supply asked for (공급을 요청했다, the trigger's own words), a verb asked of another (임대해
    달라고 요청했다) or of the subject (공급 요청을 받았다); in English goods asked for
    ("requested 10,000 GPUs from Nvidia", "is seeking 50,000 GPUs") or a verb another is asked
    to do ("asked Nvidia to supply 50,000 GPUs", "urged Samsung to supply")."""
    text = view.text
    if not _is_korean(view):
        if _RELATIVE_EN.search(text, max(view.sentence.start, start - 16), start) is not None:
            return False  # told by the sentence's own verb ("Humain, which requested …, will")
        return _REQUEST_EN.search(text, start, end) is not None or (
            _ASKED_TO_EN.search(text, max(view.sentence.start, start - 48), start) is not None
        )
    return _REQUEST_KO.search(text, start, end) is not None or (
        _ASKED_AFTER_VERB_KO.match(text, end - 1, view.sentence.end) is not None
    )


def _received_drafts(view: _View, ctx: Context) -> list[Draft]:
    """"엔비디아는 삼성전자와 SK하이닉스로부터 HBM을 공급받는다": each source supplies; so
    does each one a supply is asked of (엔비디아는 삼성전자에 HBM4 공급을 요청했다)."""
    trigger = view.hits_of(_RECEIVE)[0]
    resolved = _resolve(view, trigger[0], ctx)
    if not resolved.members:
        return []
    receiver = _party(resolved.members[0])
    asked = _requested(view, *trigger)
    sources = ("from", "to") if asked else ("from",)
    return [
        _relation_draft(
            view, ctx, "supply", (_party(m), receiver), resolved, trigger,
            "negotiating" if asked else None,
        )
        for group in view.groups
        if group.role in sources
        for m in group.members
        if m.org_id != receiver.org_id
    ]


def _refused(view: _View, start: int, verb: Span | Hit | None) -> bool:
    """Whether a request for the figure at ``start`` (English) or for its verb (Korean) was
    refused: no fact (엔비디아는 네이버의 GPU 1만장 추가 공급 요청을 거절했다, "Nvidia rejected
    Oracle's request for 10,000 GPUs")."""
    text = view.text
    if _is_korean(view):
        end = view.sentence.end
        return verb is not None and _REFUSED_KO.match(text, verb[1] - 1, end) is not None
    return _REFUSED_EN.search(text, max(view.sentence.start, start - 80), start) is not None


def _may_refuse(view: _View) -> bool:
    """Whether the sentence holds a word of refusal (else :func:`_refused` is not asked)."""
    return _REFUSAL_HINT.search(view.text, view.sentence.start, view.sentence.end) is not None


def _receiving(view: _View) -> bool:
    """Whether the subject receives goods (공급받는다), not only asks for them (a supply asked
    for is the one asked's: 엔비디아는 공급 확대를 요청했다 beside SK하이닉스는 … 공급하고)."""
    return "receive" in view.categories and any(
        not _requested(view, h[0], h[1]) for h in view.hits_of(_RECEIVE)
    )


def _told(view: _View, names: frozenset[str], may_hedge: bool) -> Span | None:
    """The trigger of ``names`` a relation is told by: the first that is neither hedged nor
    only asked for (공급을 요청받아 공급하기로 했다: the second), else the first not hedged; none
    whose request was refused (공급 요청을 거절했다)."""
    first: Span | None = None
    refusal = _may_refuse(view)
    for hit in view.hits_of(names):
        if may_hedge and _hedged(view, hit[0], hit[1]):
            continue
        if refusal and _refused(view, hit[0], hit):
            continue
        if not _requested(view, hit[0], hit[1]):
            return hit
        first = first or hit
    return first


def _relation_drafts(view: _View, ctx: Context, done: set[tuple[str, str]]) -> list[Draft]:
    """Supply of named products and partnerships: facts without a quantity."""
    drafts: list[Draft] = []
    cats = view.categories
    if "receive" in cats and view.products and not done:
        drafts += _received_drafts(view, ctx)
    wanted: list[tuple[str, frozenset[str]]] = []
    named_goods = view.products or view.models or (
        "gpu_words" in cats and _recipient_named(view)
    )  # "한국 정부에 GPU를 공급": GPUs to a named recipient, no figure
    if "supply" in cats and named_goods and not _receiving(view):
        wanted.append(("supply", _SUPPLY))
    if "partnership" in cats:
        wanted.append(("partnership", frozenset({"partnership"})))
    may_hedge = bool(wanted) and _may_hedge(view)
    for kind, names in wanted:
        trigger = _told(view, names, may_hedge)
        if trigger is None or _blocked(view, *trigger):
            continue  # what may be supplied is no supply ("SK hynix could supply HBM4 to Nvidia")
        status = "negotiating" if _requested(view, trigger[0], trigger[1]) else None
        # the English verb's own words ("will supply HBM4 to AMD, which won orders from …");
        # a Korean sentence's verb comes last, after nouns of the kind (공급 물량을 수주했다)
        own = view.categories if _is_korean(view) else _main_verb(view, names)
        resolved = _resolve(view, trigger[0], ctx)
        members = resolved.members
        if resolved.group is not None and len(members) == 1 and len(resolved.group.members) > 2:
            members = resolved.group.members  # "삼성·SK·현대차는 엔비디아와 협력한다"
        for member in members:
            if (kind, member.org_id) in done or (kind == "supply" and _came_to(view, member)):
                continue
            counterparty = _counterparty(
                view,
                _party_kind(kind, own),
                resolved.group,
                (member,),
                resolved.anchor,
                _relation_model(view, kind),
            )
            if counterparty is None and resolved.carried:
                counterparty = ctx.counterparty
            if kind == "partnership" and counterparty is None:
                continue
            drafts.append(
                _relation_draft(
                    view, ctx, kind, (_party(member), counterparty), resolved, trigger, status
                )
            )
    return drafts


def _main_verb(view: _View, names: frozenset[str]) -> frozenset[str]:
    """The categories of an English sentence's first verb of ``names`` outside a relative
    clause set off by commas ("Dell, which won orders from xAI, will ship GB300 GPUs to
    Meta": the shipping), else of its first."""
    text, start, end = view.text, view.sentence.start, view.sentence.end
    asides = [m.span() for m in _ASIDE_EN.finditer(text, start, end)]
    verbs = [(a, c) for a, _, c in view.hits if c & names]
    return next((c for a, c in verbs if not any(x <= a < y for x, y in asides)), verbs[0][1])


def _remember(view: _View, drafts: list[Draft], ctx: Context) -> None:
    """Update the article context with this sentence's subject, partner and pair."""
    if drafts:
        first = drafts[0]
        subjects = tuple(dict.fromkeys(d.subject for d in drafts if d.type == first.type))
        ctx.subject = subjects[:1] if first.counterparty is not None else subjects
        if len(subjects) > 1:
            ctx.subject = subjects
        ctx.counterparty = first.counterparty
        if first.counterparty is not None:
            ctx.pair = (first.subject, first.counterparty)
    else:
        resolved = _subject_group(view, view.sentence.end, view.sentence.end)
        if resolved is not None:
            members = tuple(_party(m) for m in resolved.members)
            ctx.subject = members if view.distributive else members[:1]
            ctx.counterparty = members[1] if len(members) == 2 else None
            others = sorted(
                (
                    m for g in view.groups if g is not resolved for m in g.members
                    if m.org_id != members[0].org_id
                ),
                key=lambda m: m.role not in ("with", "to"),
            )
            if len(members) == 2:
                ctx.pair = members
            elif others:
                ctx.pair = (members[0], _party(others[0]))
                ctx.counterparty = ctx.pair[1]
    if drafts or any(g.role in ("topic", "subj") for g in view.groups):
        ctx.subject_paragraph = view.sentence.paragraph
    ctx.previous_gpu = "gpu_words" in view.categories
    ctx.previous_relevant = "relevance" in view.categories


_DIGITS: Final = "0123456789"
_VAGUE_NUMBER: Final = re.compile(r"수\s?(?:십|백|천)?\s?[만억조천백십]")


def _numberish(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` holds a digit or a vague Korean number (수만, 수십억): ten
    substring tests of the slice cost less than the regex engine's test of each character."""
    stretch = text[start:end]
    for digit in _DIGITS:
        if digit in stretch:
            return True
    return "수" in stretch and _VAGUE_NUMBER.search(stretch) is not None


@dataclass(init=False, unsafe_hash=True)  # a written __init__: see services.extractor.entities
class Signals:
    """The trigger words of one sentence, from one scan of the whole text."""

    hits: tuple[Hit, ...]
    categories: frozenset[str]
    triggered: bool
    """whether a category is a type or status trigger"""

    def __init__(
        self, hits: tuple[Hit, ...] = (), categories: frozenset[str] = frozenset()
    ) -> None:
        self.hits = hits
        self.categories = categories
        self.triggered = bool(categories & _TRIGGERS)


_NO_SIGNALS: Final = Signals()


def signals(sentences: list[Sentence], triggers: list[Hit]) -> list[Signals]:
    """The trigger words of each sentence, from the text's (:func:`scan_text`) — so that the
    many sentences that state nothing cost almost nothing."""
    hits: dict[int, list[Hit]] = {}
    index = 0
    for hit in triggers:
        while index < len(sentences) and sentences[index].end <= hit[0]:
            index += 1
        if index == len(sentences):
            break
        if sentences[index].start <= hit[0]:
            hits.setdefault(index, []).append(hit)
    found = [_NO_SIGNALS] * len(sentences)
    for index, held in hits.items():
        categories = held[0][2]  # most sentences hold one trigger word
        for hit in held[1:]:
            categories = categories | hit[2]
        found[index] = Signals(tuple(held), categories)
    return found


def with_triggers(found: list[Signals]) -> list[int]:
    """The indexes of the sentences with a type or status trigger word."""
    return [index for index, signals in enumerate(found) if signals.triggered]


def worth_analysing(
    text: str, sentence: Sentence, signals: Signals, lexicon: Lexicon, cues: Cues
) -> bool:
    """Whether a sentence can state a fact at all: a trigger word, and a number, a partnership
    word, or a supply word with a product (``cues``: the text's)."""
    if not signals.triggered:
        return False
    categories = signals.categories
    if (
        "partnership" in categories
        or _numberish(text, sentence.start, sentence.end)
        or may_have_number_words(text, sentence.start, sentence.end)
    ):
        return True
    start, end = sentence.start, sentence.end
    return bool(categories & {"supply", "receive"}) and (
        (cues.may_product(start, end) and lexicon.product_pattern.search(text, start, end))
        or (cues.may_model(start, end) and lexicon.gpu_pattern.search(text, start, end))
    )


def remember_signals(
    text: str, sentence: Sentence, signals: Signals, lexicon: Lexicon, ctx: Context, cues: Cues
) -> None:
    """What a skipped sentence just talked about: GPUs, AI infrastructure (``cues``: the
    text's)."""
    categories = signals.categories
    start, end = sentence.start, sentence.end
    ctx.previous_gpu = "gpu_words" in categories or (
        cues.may_model(start, end) and lexicon.gpu_pattern.search(text, start, end)
    )
    ctx.previous_relevant = "relevance" in categories


def mentions_anything(text: str, sentence: Sentence, lexicon: Lexicon, cues: Cues) -> bool:
    """Whether the sentence names an organisation or refers to one (양사, "the company");
    ``cues``: the text's (where none is, the patterns are not asked)."""
    start, end = sentence.start, sentence.end
    return cues.may_name(start, end) and (
        lexicon.org_pattern.search(text, start, end, cues.names)
        or bool(find_references(cues, start, end))
    )


def remember(
    text: str, sentence: Sentence, lexicon: Lexicon, ctx: Context, cues: Cues, signals: Signals
) -> None:
    """Take the context (subject, pair, GPU talk) of a sentence that states no fact (``cues``
    and ``signals``: the text's, and the sentence's trigger words)."""
    _remember(_view(text, sentence, lexicon, ctx, signals.hits, cues), [], ctx)


def analyse_sentence(
    text: str, sentence: Sentence, lexicon: Lexicon, ctx: Context, signals: Signals, cues: Cues
) -> list[Draft]:
    """The drafts ``text[sentence.start:sentence.end]`` states; updates ``ctx``."""
    view = _view(text, sentence, lexicon, ctx, signals.hits, cues)
    drafts: list[Draft] = []
    if view.categories & _TRIGGERS:
        drafts = _quantity_drafts(view, ctx)
        done = {(d.type, d.subject.org_id) for d in drafts}
        drafts += _relation_drafts(view, ctx, done)
    _remember(view, drafts, ctx)
    return drafts


def model_only(text: str, sentence: Sentence, lexicon: Lexicon) -> tuple[str, Span] | None:
    """The GPU model a sentence names, when it names exactly one ("공급 받는 GPU는 GB200이다")."""
    names = {
        lexicon.gpu_models[m.group()].name: m.span()
        for m in lexicon.gpu_pattern.finditer(text, sentence.start, sentence.end)
    }
    if len(names) != 1:
        return None
    name, span = next(iter(names.items()))
    return name, span
