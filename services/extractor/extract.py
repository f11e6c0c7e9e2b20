"""The extractor's pure core: article text in, commitment facts out.

:func:`extract` is total — any string (empty, huge, binary junk, mixed scripts) gives a list,
never an exception — and does no I/O beyond the cached lexicon.  Sentences are analysed in order
(:mod:`services.extractor.rules`) with an article context; then facts about the same commitment
are merged: a figure restated with the same subject and value is one fact, repeated mentions of
the same supply or partnership are one fact, and a partnership is dropped when the same pair has
a concrete commitment in the article (its context, not a separate commitment).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from dataclasses import replace
from typing import Final

from services.core.models import ArticleV1, FactV1
from services.extractor.lexicon import Cues, Lexicon, default_lexicon, scan_text
from services.extractor.rules import (
    Context,
    Draft,
    Party,
    Signals,
    Span,
    analyse_sentence,
    mentions_anything,
    model_only,
    remember,
    remember_signals,
    signals,
    with_triggers,
    worth_analysing,
)
from services.extractor.sentences import Sentence, split_sentences
from services.extractor.version import EXTRACTOR_VERSION

CONTEXT_REACH: Final = 8
"""Sentences skipped by the cheap test are searched this far back for the current subject."""
MODEL_REACH: Final = 5
"""A sentence naming only a GPU model completes a GPU figure at most this many sentences back."""

_STATUS_RANK: Final = {
    "cancelled": 4, "completed": 3, "negotiating": 2, "planned": 1, "announced": 0
}
_STATUS_NEWS: Final = frozenset({"cancelled", "completed", "negotiating"})
"""A restatement with one of these statuses updates the first statement's status."""


def _later_status(first: str, later: Draft) -> str:
    """The status of a commitment stated with ``first``, then restated by ``later``: a
    cancellation denied ("will not cancel") undoes a cancellation; news of a higher rank
    replaces the status."""
    if later.upheld and first == "cancelled":
        return later.status
    if later.status in _STATUS_NEWS and _STATUS_RANK[later.status] > _STATUS_RANK[first]:
        return later.status
    return first


_SURROGATE: Final = re.compile(f"[{chr(0xD800)}-{chr(0xDFFF)}]")  # mypyc: no surrogate literals
_HANGUL: Final = re.compile("[\uac00-\ud7a3]")
_LATIN: Final = re.compile("[A-Za-z]")
_SOURCE_BEFORE: Final = re.compile(r"according\s+to\s+(?:the\s+)?$", re.IGNORECASE)
_SOURCE_AFTER: Final = re.compile(r"\s?(?:에\s?따르면|측에\s?따르면)")
"""Around a name that is only the source of the news: "according to Nvidia", 엔비디아에 따르면."""


def detect_language(text: str) -> str:
    """``ko`` when Hangul is at least a fifth of the letters in the first 4,000 characters."""
    sample = text[:4000]
    hangul = len(_HANGUL.findall(sample))
    latin = len(_LATIN.findall(sample))
    return "ko" if hangul and hangul * 4 >= latin else "en"


_Mention = tuple[int, str, bool]
"""A GPU vendor named in the article: where, who, and whether only as the news's source."""


def _article_vendor(
    text: str, lexicon: Lexicon, parties: frozenset[str]
) -> tuple[Party | None, tuple[_Mention, ...]]:
    """The GPU vendor the article names most often, as first written, and every vendor
    mention.  Mentions only as the source of the news ("according to Nvidia", 엔비디아에
    따르면) are not counted, and when there are any the vendor must be a party of the
    article's facts (``parties``): "AMD shares rose" names no seller."""
    counts: Counter[str] = Counter()
    first: dict[str, str] = {}
    mentions: list[_Mention] = []
    for match in lexicon.vendor_pattern.finditer(text, 0, len(text)):
        org_id, _ = lexicon.org_aliases[match.group()]
        source = bool(
            _SOURCE_BEFORE.search(text, max(0, match.start() - 24), match.start())
            or _SOURCE_AFTER.match(text, match.end())
        )
        mentions.append((match.start(), org_id, source))
        if not source:
            counts[org_id] += 1
            first.setdefault(org_id, match.group())
    if not counts:
        return None, tuple(mentions)
    top = counts.most_common(1)[0][0]
    sources = {org_id for _, org_id, source in mentions if source}
    if sources and top not in sources and top not in parties:
        return None, tuple(mentions)
    org = lexicon.organisations[top]
    return Party(org.id, org.name, first[org.id], (0, 0)), tuple(mentions)


_OTHER_CLAUSE: Final = re.compile(
    r"[;:—–]|,\s*(?:and|but|while|whereas|although|though)\b"
    r"|\b(?:although|though|whereas|while)\b|\s(?:and|but)\s+according\b"
    r"|는데|지만|으며|이며|하며|[을를은는이가],\s|(?<![다라])고[\s,]|[으이]?나\s|가운데|면서|한편",
)
"""Between a figure and a source cited in the same sentence: the source is another clause's
("Oracle will buy 30,000 GPUs, and according to AMD, Microsoft …")."""
_CONTRAST: Final = re.compile(r"지만|[으이]?나\s|는데|\b(?:but|although|though|whereas|while)\b")
_DIGIT: Final = re.compile(r"\d")


def _same_clause(text: str, draft: Draft, at: int) -> bool:
    """Whether the citation at ``at`` is in the clause of the draft's figure, or opens its
    sentence before any figure and no contrast comes between (AMD에 따르면 오라클은 …하고,
    메타는 …: both; not AMD에 따르면 입찰에서 탈락했지만 오라클은 …)."""
    if draft.quantity is None:
        return True
    figure = draft.quantity.start
    if at < figure and not _DIGIT.search(text, draft.sentence.start, at):
        return _CONTRAST.search(text, at, figure) is None
    first, last = sorted((at, figure))
    return _OTHER_CLAUSE.search(text, first, last) is None


def _with_vendor(
    text: str,
    draft: Draft,
    article_vendor: Party | None,
    buyers: frozenset[tuple[int, str, str]],
    mentions: tuple[_Mention, ...],
) -> Draft:
    """A GPU commitment without a named seller buys from the article's GPU vendor, unless the
    vendor buys from the subject in the same sentence (``buyers``: sentence, supplier and
    recipient of the article's supplies), or the figure's clause cites another vendor as its
    source and the sentence does not name the article's vendor ("Oracle will buy 30,000 GPUs,
    according to AMD" in an article about Nvidia does not tell the seller; "…, though Nvidia
    will supply most of them" does)."""
    if draft.type != "gpu_commitment" or draft.counterparty is not None or draft.unit != "gpu":
        return draft
    if article_vendor is None or article_vendor.org_id == draft.subject.org_id:
        return draft
    if (draft.sentence.start, draft.subject.org_id, article_vendor.org_id) in buyers:
        return draft
    start, end = draft.sentence.start, draft.sentence.end
    here = [(at, org_id, source) for at, org_id, source in mentions if start <= at < end]
    named = any(org_id == article_vendor.org_id and not source for _, org_id, source in here)
    cited = any(
        source and org_id != article_vendor.org_id and _same_clause(text, draft, at)
        for at, org_id, source in here
    )
    return draft if cited and not named else replace(draft, counterparty=article_vendor)


def _informative(draft: Draft) -> tuple[bool, bool, bool, float]:
    qualifier = draft.quantity.qualifier if draft.quantity else "exact"
    return (
        draft.counterparty is not None,
        qualifier != "exact",
        draft.gpu_model is not None,
        draft.confidence,
    )


def _party(draft: Draft) -> str | None:
    return draft.counterparty.org_id if draft.counterparty is not None else None


def _compatible(a: Draft, b: Draft) -> bool:
    """Whether two statements of one figure may be one commitment: no two different
    counterparties, no two different GPU models."""
    return all(
        x is None or y is None or x == y
        for x, y in ((_party(a), _party(b)), (a.gpu_model, b.gpu_model))
    )


def _merged(same: list[Draft]) -> Draft:
    if len(same) == 1:
        return same[0]
    best = max(same, key=_informative)
    return replace(
        best,
        gpu_model=best.gpu_model or next((d.gpu_model for d in same if d.gpu_model), None),
        timeframe=best.timeframe or next((d.timeframe for d in same if d.timeframe), None),
        status=functools.reduce(_later_status, same[1:], same[0].status),
    )


def _merge_restated(drafts: list[Draft]) -> list[Draft]:
    """One fact per (subject, value, unit): a figure said twice is one commitment — unless the
    statements name different counterparties or GPU models (10,000 NVIDIA H100s this year and
    10,000 AMD MI300Xs next year are two deals of one size)."""
    by_figure: dict[tuple[str, float, str], list[list[Draft]]] = {}
    order: list[Draft | list[Draft]] = []  # drafts without a figure, and clusters, as first said
    for draft in drafts:
        q = draft.quantity
        if q is None or q.value is None or draft.unit is None:
            order.append(draft)
            continue
        clusters = by_figure.setdefault((draft.subject.org_id, q.value, draft.unit), [])
        for cluster in clusters:
            if all(_compatible(draft, other) for other in cluster):
                cluster.append(draft)
                break
        else:
            clusters.append([draft])
            order.append(clusters[-1])
    return [item if isinstance(item, Draft) else _merged(item) for item in order]


def _merge_relations(drafts: list[Draft]) -> list[Draft]:
    """Repeated supply or partnership statements of the same parties are one fact."""
    firsts: dict[tuple[str, str, str], int] = {}
    merged: list[Draft] = []
    for draft in drafts:
        if draft.quantity is not None:
            merged.append(draft)
            continue
        partner = draft.counterparty.org_id if draft.counterparty else ""
        key = (draft.type, draft.subject.org_id, partner)
        if key not in firsts:
            firsts[key] = len(merged)
            merged.append(draft)
            continue
        first = merged[firsts[key]]
        merged[firsts[key]] = replace(
            first,
            products=tuple(dict.fromkeys(first.products + draft.products)),
            gpu_model=first.gpu_model or draft.gpu_model,
            timeframe=first.timeframe or draft.timeframe,
            status=_later_status(first.status, draft),
        )
    return merged


def _without_context_partnerships(drafts: list[Draft]) -> list[Draft]:
    pairs = {
        frozenset((d.subject.org_id, d.counterparty.org_id))
        for d in drafts
        if d.type != "partnership" and d.counterparty is not None
    }
    return [
        d
        for d in drafts
        if not (
            d.type == "partnership"
            and d.counterparty is not None
            and frozenset((d.subject.org_id, d.counterparty.org_id)) in pairs
        )
    ]


def _entity(party: Party) -> dict[str, str]:
    return {"id": party.org_id, "name": party.name, "mention": party.mention}


def _spans(draft: Draft) -> dict[str, Span]:
    sentence = draft.sentence
    candidates: dict[str, Span | None] = {
        "subject": draft.subject.span,
        "counterparty": draft.counterparty.span if draft.counterparty else None,
        "quantity": (draft.quantity.start, draft.quantity.end) if draft.quantity else None,
        "gpu_model": draft.gpu_model[1] if draft.gpu_model else None,
        "timeframe": (draft.timeframe.start, draft.timeframe.end) if draft.timeframe else None,
        "trigger": draft.trigger,
    }
    return {
        name: span
        for name, span in candidates.items()
        if span is not None and sentence.start <= span[0] < span[1] <= sentence.end
    }


def _fact(text: str, draft: Draft, generic: frozenset[str]) -> FactV1:
    """The fact, validated as a whole: one validation of nested dicts costs a third less than
    building each part as a model."""
    q = draft.quantity
    timeframe = draft.timeframe
    fields: dict[str, object] = {
        "type": draft.type,
        "subject": _entity(draft.subject),
        "counterparty": _entity(draft.counterparty) if draft.counterparty else None,
        "quantity": (
            {"value": q.value, "unit": draft.unit, "qualifier": q.qualifier,
             "text": text[q.start : q.end]}
            if q is not None and draft.unit is not None
            else None
        ),
        "gpu_model": draft.gpu_model[0] if draft.gpu_model else None,
        "products": tuple(p for p in draft.products if p not in generic) or draft.products,
        "timeframe": (
            {"text": timeframe.text, "start": timeframe.start_date, "end": timeframe.end_date}
            if timeframe
            else None
        ),
        "scope": draft.scope,
        "status": draft.status,
        "confidence": round(max(0.0, min(1.0, draft.confidence)), 2),
        "evidence": {
            "sentence": text[draft.sentence.start : draft.sentence.end],
            "start": draft.sentence.start,
            "end": draft.sentence.end,
            "spans": _spans(draft),
        },
        "extractor": {"version": EXTRACTOR_VERSION, "rule": draft.rule},
    }
    return FactV1.model_validate(fields)


def _attach_model(
    drafts: list[Draft], indexes: list[int], index: int, sentence: Sentence, model: tuple[str, Span]
) -> None:
    """Complete the latest GPU figure without a model in reach ("공급 받는 GPU는 GB200이다")."""
    for position in range(len(drafts) - 1, -1, -1):
        draft = drafts[position]
        too_far = index - indexes[position] > MODEL_REACH
        if too_far or draft.sentence.paragraph != sentence.paragraph:
            return
        if draft.unit == "gpu" and draft.gpu_model is None:
            drafts[position] = replace(draft, gpu_model=(model[0], (0, 0)))
            return


def _settle(
    text: str,
    sentences: list[Sentence],
    words: list[Signals],
    cues: Cues,
    skipped: range,
    lexicon: Lexicon,
    ctx: Context,
) -> None:
    """Context from the sentences skipped since the last analysed one: the newest that names an
    organisation (for the subject and pair) and the last one (for what was just talked about)."""
    if not skipped:
        return
    named = next(
        (
            i
            for i in reversed(skipped[-CONTEXT_REACH:])
            if mentions_anything(text, sentences[i], lexicon, cues)
        ),
        None,
    )
    if named is not None:
        remember(text, sentences[named], lexicon, ctx, cues, words[named])
    remember_signals(text, sentences[skipped[-1]], words[skipped[-1]], lexicon, ctx, cues)


class _Drafts:
    """The drafts of one text, with the index of the sentence each came from."""

    def __init__(self) -> None:
        self.drafts: list[Draft] = []
        self.indexes: list[int] = []
        self.last_gpu = -MODEL_REACH - 1  # index of the latest sentence with a GPU figure

    def add(self, index: int, found: list[Draft]) -> None:
        if any(d.unit == "gpu" for d in found):
            self.last_gpu = index
        self.drafts.extend(found)
        self.indexes.extend([index] * len(found))

    def complete_models(
        self,
        text: str,
        sentences: list[Sentence],
        cues: Cues,
        among: range,
        lexicon: Lexicon,
    ) -> None:
        """Sentences ``among`` that state nothing may name the model of a GPU figure before."""
        for index in range(among.start, min(among.stop, self.last_gpu + MODEL_REACH + 1)):
            if not cues.may_model(sentences[index].start, sentences[index].end):
                continue
            model = model_only(text, sentences[index], lexicon)
            if model is not None:
                _attach_model(self.drafts, self.indexes, index, sentences[index], model)


def _read(text: str, lexicon: Lexicon) -> tuple[list[Sentence], list[Signals], Cues]:
    """A text's sentences, each one's trigger words, and the text's cues."""
    sentences = split_sentences(text)
    scan = scan_text(lexicon, text)
    return sentences, signals(sentences, scan.triggers), scan.cues


def _drafts(text: str, title: str, lexicon: Lexicon) -> list[Draft]:
    ctx = Context()
    headline, headline_words, headline_cues = _read(title, lexicon)
    for index, sentence in enumerate(headline):  # context only: facts need offsets into the text
        if mentions_anything(title, sentence, lexicon, headline_cues):
            remember(title, sentence, lexicon, ctx, headline_cues, headline_words[index])
    found = _Drafts()
    sentences, words, cues = _read(text, lexicon)
    settled = 0  # sentences before this one are analysed or skipped
    for index in with_triggers(words):
        sentence = sentences[index]
        if not worth_analysing(text, sentence, words[index], lexicon, cues):
            continue
        found.complete_models(text, sentences, cues, range(settled, index), lexicon)
        _settle(text, sentences, words, cues, range(settled, index), lexicon, ctx)
        drafts = analyse_sentence(text, sentence, lexicon, ctx, words[index], cues)
        if not drafts:
            found.complete_models(text, sentences, cues, range(index, index + 1), lexicon)
        found.add(index, drafts)
        settled = index + 1
    found.complete_models(text, sentences, cues, range(settled, len(sentences)), lexicon)
    return found.drafts


def _without_surrogates(text: str) -> str:
    """``text`` with each lone surrogate (which no encoder takes) replaced.  Nearly every text
    has none, which one pass of the UTF-8 encoder tells faster than the regex."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text


def extract(
    text: str, *, lang: str = "auto", title: str = "", lexicon: Lexicon | None = None
) -> list[FactV1]:
    """The commitment facts stated in ``text``, in order of appearance.

    ``lang`` (``ko``, ``en`` or ``auto``) is accepted for callers' bookkeeping: every rule handles
    both scripts in any sentence, so mixed-language text needs no hint.  ``title`` gives context
    (an earlier subject) but never facts, since evidence offsets point into ``text``.
    """
    del lang  # both scripts are always handled; see the docstring
    lexicon = lexicon or default_lexicon()
    text = _without_surrogates(text)
    title = _without_surrogates(title)
    drafts = list(_drafts(text, title, lexicon))
    if not drafts:
        return []
    if any(d.type == "gpu_commitment" and d.counterparty is None for d in drafts):
        parties = frozenset(d.subject.org_id for d in drafts) | frozenset(
            d.counterparty.org_id for d in drafts if d.counterparty is not None
        )
        vendor, mentions = _article_vendor(text, lexicon, parties)
        buyers = frozenset(
            (d.sentence.start, d.subject.org_id, d.counterparty.org_id)
            for d in drafts
            if d.type == "supply" and d.counterparty is not None
        )
        drafts = [_with_vendor(text, d, vendor, buyers, mentions) for d in drafts]
    drafts = _without_context_partnerships(_merge_relations(_merge_restated(drafts)))
    generic = frozenset(t.name for t in lexicon.products.values() if t.generic)
    return [_fact(text, d, generic) for d in sorted(drafts, key=lambda d: d.sentence.start)]


def extract_article(article: ArticleV1, *, lexicon: Lexicon | None = None) -> list[FactV1]:
    """The facts of one ``articles.v1`` message (never raises for any text)."""
    return extract(article.text, lang=article.lang, title=article.title, lexicon=lexicon)
