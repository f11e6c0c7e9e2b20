"""The extractor's data files: organisations, GPU models, products and trigger words.

:func:`merge_organisations` is pure (parsed data in, parsed data out); :func:`load_lexicon` is the
one place that reads files, and caches what it builds.
"""

from __future__ import annotations

import bisect
import functools
import os
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any, Final

import yaml

from services.core.scanner import Occurrence, WordScanner
from services.extractor.errors import ExtractorTerminal
from services.extractor.patterns import (
    at_word_end,
    at_word_start,
    is_latin,
    trie_pattern,
    variants,
)

DATA_DIR: Final = Path(__file__).parent / "data"
ORGANISATIONS_ENV: Final = "INFRALEDGER_ORGANISATIONS_FILE"

_LIST_FIELDS: Final = ("names_ko", "aliases", "people")


@dataclass(frozen=True)
class Organisation:
    id: str
    name: str
    names_ko: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    people: tuple[str, ...] = ()
    country: str = ""
    sector: str = "private"
    kind: str = "company"

    @property
    def is_gpu_vendor(self) -> bool:
        return self.kind == "gpu_vendor"


@dataclass(frozen=True)
class Term:
    """A GPU model or product: its canonical name, vendor (an organisation id) and kind."""

    name: str
    vendor: str | None = None
    generic: bool = False


@dataclass(frozen=True)
class Dictionary:
    """Terms behind one prefix-tree pattern, matched as whole words (``prefix``: at a word
    start only).  Word edges are checked here rather than with look-behinds, which would make
    the regex engine stop at every character."""

    pattern: re.Pattern[str]
    prefix: bool = False
    hangul_edge: bool = False
    """also reject matches right after a Hangul syllable (organisation names)"""

    def finditer(
        self, text: str, start: int, end: int, starts: Sequence[int] | None = None
    ) -> Iterator[re.Match[str]]:
        """The whole-word terms in ``text[start:end]``.  ``starts``, if given: the sorted
        positions where a term may start (:class:`Cues`), each then tried alone instead of the
        engine trying every position — the same matches, since no other position can hold one."""
        for match in self._matches(text, start, end, starts):
            if at_word_start(text, match.start(), hangul=self.hangul_edge) and (
                self.prefix or at_word_end(text, match.end())
            ):
                yield match

    def _matches(
        self, text: str, start: int, end: int, starts: Sequence[int] | None
    ) -> Iterator[re.Match[str]]:
        """What ``pattern.finditer`` finds: non-overlapping, each from the previous one's end."""
        if starts is None:
            yield from self.pattern.finditer(text, start, end)
            return
        position = start
        for index in range(bisect.bisect_left(starts, start), len(starts)):
            at = starts[index]
            if at >= end:
                return
            if at >= position:
                match = self.pattern.match(text, at, end)
                if match is not None:
                    position = match.end()
                    yield match

    def search(
        self, text: str, start: int, end: int, starts: Sequence[int] | None = None
    ) -> bool:
        return next(self.finditer(text, start, end, starts), None) is not None

    def match(self, text: str, at: int, end: int) -> bool:
        """Whether a term starts exactly at ``at``."""
        found = self.pattern.match(text, at, end)
        return found is not None and (self.prefix or at_word_end(text, found.end()))


Hit = tuple[int, int, frozenset[str]]
"""A word found by a :class:`WordList`: its span and categories."""

_LEAD_PUNCTUATION: Final = "(\"'“‘[/-–,.:;·"
_LEAD: Final = "[\\s" + re.escape(_LEAD_PUNCTUATION) + "]"
"""What precedes an English word (white space or :data:`_LEAD_PUNCTUATION`): matching English
words only there keeps the engine from trying every letter of a text as the start of a word."""


def _leads(char: str) -> bool:
    """Whether ``char`` matches :data:`_LEAD`."""
    return char.isspace() or char in _LEAD_PUNCTUATION


Spelling = tuple[bool, frozenset[str]]
"""A spelling of a :class:`WordList`'s word: whether it starts with a Latin letter, and the
word's categories (none for a spelling whose lower case is not a word)."""


Word = tuple[Spelling | None, Spelling | None, int]
"""What a spelling :func:`scan_text` finds is: the spelling of a trigger word (or ``None``), the
spelling of a reference word (or ``None``), and its kinds of cue (:data:`NAME`, :data:`MODEL`,
:data:`PRODUCT`, or'ed; maybe none)."""
NAME: Final = 1
MODEL: Final = 2
PRODUCT: Final = 4


def chosen_hits(
    text: str, occurrences: list[Occurrence[Word]], references: bool, prefix: bool
) -> list[Hit]:
    """Among every occurrence of a :class:`WordList`'s spellings in ``text`` (those holding the
    spelling of a trigger word, or with ``references`` of a reference word; ordered by start,
    longest first), the choice its two patterns' ``finditer`` make over the whole text: at the
    leftmost start the longest word, then on from its end (for Latin words, from the lead
    character before the word)."""
    hits: list[Hit] = []
    other_from = latin_from = 0
    first = False
    for a, b, word in occurrences:
        spelling = word[1] if references else word[0]
        if spelling is None:
            continue
        latin, categories = spelling
        if not latin:
            if a >= other_from:
                other_from = b
                if categories:
                    hits.append((a, b, categories))
        elif a == 0:
            if not first:
                first = True  # latin_start: the longest word at 0
                if categories:
                    hits.append((a, b, categories))
        elif a > latin_from and _leads(text[a - 1]):
            latin_from = b
            if categories and (prefix or at_word_end(text, b)):
                hits.append((a, b, categories))
    hits.sort(key=itemgetter(0))  # two chains, each in order; no start is in both
    return hits


@dataclass(frozen=True)
class WordList:
    """Words of several categories; a match maps to its categories.  Words starting with a Latin
    letter match at word starts (and, unless ``prefix``, end at word ends); others anywhere."""

    latin: re.Pattern[str]
    """Latin words after a lead character (separate patterns: one alternation of both would
    stop the engine's quick scan for possible first characters)"""
    latin_start: re.Pattern[str]
    other: re.Pattern[str]
    categories: Mapping[str, frozenset[str]]
    prefix: bool
    spellings: Mapping[str, Spelling]
    """every spelling matched (each word in lower case, capitalised, title and upper case)"""

    def _spans(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        spans = [m.span() for m in self.other.finditer(text, start, end)]
        if start == 0:
            first = self.latin_start.match(text, 0, end)
            if first is not None:
                spans.append(first.span())
        for match in self.latin.finditer(text, max(0, start - 1), end):
            a, b = match.span(1)
            if a >= start and (self.prefix or at_word_end(text, b)):
                spans.append((a, b))
        return sorted(spans)

    def _hits(self, text: str, spans: list[tuple[int, int]]) -> list[Hit]:
        hits: list[Hit] = []
        for a, b in spans:
            categories = self.categories.get(text[a:b].lower())
            if categories:
                hits.append((a, b, categories))
        return hits

    def find(self, text: str, start: int, end: int) -> list[Hit]:
        return self._hits(text, self._spans(text, start, end))


@dataclass(frozen=True)
class Lexicon:
    organisations: Mapping[str, Organisation]
    org_aliases: Mapping[str, tuple[str, bool]]
    """alias → (organisation id, whether the alias is a person's name)"""
    org_pattern: Dictionary
    vendor_pattern: Dictionary
    """the GPU vendors' aliases alone (an article's vendor is looked for in all of its text)"""
    gpu_models: Mapping[str, Term]
    gpu_pattern: Dictionary
    products: Mapping[str, Term]
    product_pattern: Dictionary
    triggers: WordList
    """types (acquire, supply, …), status (cancelled, …), non_commitment, comparison, relevance,
    gpu_words"""
    references: WordList
    """pair, same_subject, distributive — whole words"""
    titles: re.Pattern[str]
    scanner: WordScanner[Word]
    """every spelling of a trigger word, and every spelling the patterns above match of an
    organisation or a reference word, a GPU model and a product, for :func:`scan_text`"""


@dataclass(frozen=True)
class Cues:
    """Where a text may name an organisation (or refer to one), a GPU model and a product: the
    starts of every occurrence of one of their spellings, whole word or not.  A stretch holding
    none of them names none of them, which spares most sentences of an article the per-sentence
    patterns."""

    names: list[int]
    models: list[int]
    products: list[int]
    references: list[Hit]
    """the reference words (양사, "the company", 각각) the text's :attr:`Lexicon.references`
    finds, from the same scan"""

    def may_name(self, start: int, end: int) -> bool:
        return _any_between(self.names, start, end)

    def may_model(self, start: int, end: int) -> bool:
        return _any_between(self.models, start, end)

    def may_product(self, start: int, end: int) -> bool:
        return _any_between(self.products, start, end)


def find_references(cues: Cues, start: int, end: int) -> list[Hit]:
    """The reference words in ``text[start:end]`` (a sentence), from the scan of the text."""
    first = bisect.bisect_left(cues.references, start, key=itemgetter(0))
    last = bisect.bisect_left(cues.references, end, first, key=itemgetter(0))
    return [hit for hit in cues.references[first:last] if hit[1] <= end]


def _any_between(starts: list[int], start: int, end: int) -> bool:
    index = bisect.bisect_left(starts, start)
    return index < len(starts) and starts[index] < end


@dataclass(frozen=True)
class TextScan:
    """What one scan of a whole text finds."""

    triggers: list[Hit]
    """the trigger words: ``lexicon.triggers.find(text, 0, len(text))``"""
    cues: Cues


def scan_text(lexicon: Lexicon, text: str) -> TextScan:
    """The trigger words and the :class:`Cues` of ``text``, from one scan."""
    found = lexicon.scanner.occurrences(text)
    names: list[int] = []
    models: list[int] = []
    products: list[int] = []
    for start, _, word in found:
        kinds = word[2]
        if kinds:
            if kinds & NAME:
                names.append(start)
            if kinds & MODEL:
                models.append(start)
            if kinds & PRODUCT:
                products.append(start)
    references = chosen_hits(text, found, True, lexicon.references.prefix)
    return TextScan(
        chosen_hits(text, found, False, lexicon.triggers.prefix),
        Cues(names, models, products, references),
    )


def _word_scanner(
    triggers: WordList,
    references: WordList,
    names: Iterable[str],
    models: Iterable[str],
    products: Iterable[str],
) -> WordScanner[Word]:
    kinds: dict[str, int] = {}
    cues = ((NAME, [*names, *references.spellings]), (MODEL, models), (PRODUCT, products))
    for kind, words in cues:
        for word in words:
            kinds[word] = kinds.get(word, 0) | kind
    return WordScanner(
        {
            word: (
                triggers.spellings.get(word),
                references.spellings.get(word),
                kinds.get(word, 0),
            )
            for word in {*triggers.spellings, *kinds}
        }
    )


def merge_organisations(
    base: Sequence[Mapping[str, Any]], extra: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """``extra`` over ``base``: same id → fields replaced, name lists extended; new id → added."""
    merged: dict[str, dict[str, Any]] = {str(entry["id"]): dict(entry) for entry in base}
    for entry in extra:
        org_id = str(entry["id"])
        current = merged.setdefault(org_id, {"id": org_id})
        for key, value in entry.items():
            if key in _LIST_FIELDS:
                current[key] = list(dict.fromkeys([*current.get(key, ()), *value]))
            else:
                current[key] = value
    return list(merged.values())


def _organisation(entry: Mapping[str, Any]) -> Organisation:
    try:
        return Organisation(
            id=str(entry["id"]),
            name=str(entry.get("name") or entry["id"]),
            names_ko=tuple(str(x) for x in entry.get("names_ko") or ()),
            aliases=tuple(str(x) for x in entry.get("aliases") or ()),
            people=tuple(str(x) for x in entry.get("people") or ()),
            country=str(entry.get("country") or ""),
            sector=str(entry.get("sector") or "private"),
            kind=str(entry.get("kind") or "company"),
        )
    except (KeyError, TypeError) as exc:
        raise ExtractorTerminal(f"bad organisation entry {entry!r}: {exc}") from None


def _dictionary(words: Iterable[str], *, prefix: bool = False, hangul: bool = False) -> Dictionary:
    return Dictionary(re.compile(trie_pattern(words)), prefix=prefix, hangul_edge=hangul)


def _word_list(
    groups: Mapping[str, Iterable[str]], *, prefix: bool, sections: Mapping[str, str] | None = None
) -> WordList:
    """``sections`` (category → section) lets a longer word keep the categories of a shorter
    word it starts with when they belong to other sections: "delivered" (completed) is also
    "deliver" (supply), "AI 반도체" (gpu_words) is also "AI" (relevance) — but "공급받"
    (receive) is not "공급" (supply), both being types.  A comparison word keeps none: it is
    there to hide the shorter word (계획보다 is no 계획); nor does an order won: "has received
    orders" is no delivery ("has received")."""
    categories: dict[str, set[str]] = {}
    for category, words in groups.items():
        for word in words:
            categories.setdefault(word.lower(), set()).add(category)
    if sections:
        for word, cats in categories.items():
            own = {sections[c] for c in cats}
            if "comparison" in own or "order_won" in cats:
                continue
            for shorter, inherited in categories.items():
                if shorter != word and word.startswith(shorter):
                    cats |= {c for c in inherited if sections[c] not in own}
    spelled = variants(categories)
    latin = trie_pattern(w for w in spelled if is_latin(w[0]))
    frozen = {word: frozenset(cats) for word, cats in categories.items()}
    spellings = {w: (is_latin(w[0]), frozen.get(w.lower(), frozenset())) for w in spelled}
    return WordList(
        latin=re.compile(_LEAD + "(" + latin + ")"),
        latin_start=re.compile(latin),
        other=re.compile(trie_pattern(w for w in spelled if not is_latin(w[0]))),
        categories=frozen,
        prefix=prefix,
        spellings=spellings,
    )


def _terms(entries: Iterable[Mapping[str, Any]]) -> dict[str, Term]:
    by_alias: dict[str, Term] = {}
    for entry in entries:
        term = Term(
            name=str(entry["name"]),
            vendor=entry.get("vendor"),
            generic=bool(entry.get("generic", False)),
        )
        for alias in [entry["name"], *entry.get("aliases", ())]:
            by_alias.setdefault(str(alias), term)
    return by_alias


def _with_plurals(models: dict[str, Term]) -> dict[str, Term]:
    """``models`` and the English plural of each model code ("50,000 H100s", "MI300Xs"): a
    code ending in a digit or in a capital after a digit."""
    plurals = {
        alias + "s": term
        for alias, term in models.items()
        if alias[-1].isdigit() or (alias[-1].isupper() and any(c.isdigit() for c in alias))
    }
    return {**plurals, **models}


def build_lexicon(
    organisations: Sequence[Mapping[str, Any]],
    gpu_models: Sequence[Mapping[str, Any]],
    products: Sequence[Mapping[str, Any]],
    triggers: Mapping[str, Any],
) -> Lexicon:
    """Compile parsed data files into a :class:`Lexicon` (pure)."""
    orgs = {org.id: org for org in map(_organisation, organisations)}
    aliases: dict[str, tuple[str, bool]] = {}
    for org in orgs.values():
        for alias in (*org.names_ko, *org.aliases, org.name):
            aliases.setdefault(alias, (org.id, False))
        for person in org.people:
            aliases.setdefault(person, (org.id, True))
    models = _with_plurals(_terms(gpu_models))
    items = _terms(products)
    groups: dict[str, list[str]] = {}
    sections: dict[str, str] = {}
    for section in ("types", "status"):
        groups.update({k: list(v) for k, v in triggers[section].items()})
        sections.update({k: section for k in triggers[section]})
    groups["supply"] += groups["order_won"]  # an order won is a supply, to whom it came from
    for flat in ("non_commitment", "comparison", "relevance", "gpu_words"):
        groups[flat] = list(triggers[flat])
        sections[flat] = flat
    trigger_words = _word_list(groups, prefix=True, sections=sections)
    reference_words = _word_list(
        {k: list(triggers[k]) for k in ("pair", "same_subject", "distributive")}, prefix=False
    )
    return Lexicon(
        organisations=orgs,
        org_aliases=aliases,
        org_pattern=_dictionary(aliases, hangul=True),
        vendor_pattern=_dictionary(
            (alias for alias, (org_id, _) in aliases.items() if orgs[org_id].is_gpu_vendor),
            hangul=True,
        ),
        gpu_models=models,
        gpu_pattern=_dictionary(models),
        products=items,
        product_pattern=_dictionary(items),
        triggers=trigger_words,
        references=reference_words,
        titles=re.compile(trie_pattern(triggers["person_titles"])),
        scanner=_word_scanner(trigger_words, reference_words, aliases, models, items),
    )


def _read_yaml(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return yaml.safe_load(handle)
    except (OSError, yaml.YAMLError) as exc:
        raise ExtractorTerminal(f"cannot read {path}: {exc}") from None


@functools.lru_cache(maxsize=8)
def load_lexicon(organisations_file: str | None = None) -> Lexicon:
    """The built-in data files, with ``organisations_file`` (if any) merged over them."""
    base = _read_yaml(DATA_DIR / "organisations.yaml")["organisations"]
    extra = _read_yaml(Path(organisations_file))["organisations"] if organisations_file else []
    return build_lexicon(
        merge_organisations(base, extra),
        _read_yaml(DATA_DIR / "gpu_models.yaml")["gpu_models"],
        _read_yaml(DATA_DIR / "products.yaml")["products"],
        _read_yaml(DATA_DIR / "triggers.yaml"),
    )


def default_lexicon() -> Lexicon:
    """The lexicon the service uses: built-in data plus ``INFRALEDGER_ORGANISATIONS_FILE``."""
    return load_lexicon(os.environ.get(ORGANISATIONS_ENV) or None)
