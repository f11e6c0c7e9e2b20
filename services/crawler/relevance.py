"""Is an article AI-infrastructure news?  A transparent, data-driven scorer.

The rules live in ``data/relevance.yaml`` (documented there); users extend them with their own
YAML file (``INFRALEDGER_RELEVANCE_FILE``).  :func:`judge` is pure and returns a
:class:`Verdict` whose ``reasons`` list every rule that contributed, so decisions can be shown
(``infraledger crawl --explain``) and tested.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from services.core.scanner import WordScanner
from services.crawler.errors import CrawlerTerminal

DEFAULT_RULES_FILE = Path(__file__).with_name("data") / "relevance.yaml"
ENV_RULES_FILE = "INFRALEDGER_RELEVANCE_FILE"


class RelevanceRulesError(CrawlerTerminal):
    kind = "relevance_rules"


@dataclass(frozen=True)
class Rule:
    name: str
    group: str
    weight: float
    terms: tuple[str, ...] = ()
    """Lower-cased literal terms (single spaces), counted by :func:`term_counts`."""
    patterns: tuple[str, ...] = ()
    """Regular expressions, matched case-insensitively as one alternation (each in its own
    non-capturing group, in order)."""
    needles: tuple[tuple[str, ...] | None, ...] = ()
    """Per pattern, texts of which one occurs in the :func:`lowered` text wherever the pattern
    matches (see :func:`needles`); ``None``: the pattern may match anywhere."""
    separable: bool = True
    """Whether the alternation of any subset of the patterns matches as the whole one does where
    the others cannot match (no backreference or conditional numbers a group of another
    pattern)."""

    def __post_init__(self) -> None:
        if not self.needles:  # none given: every pattern may match anywhere
            object.__setattr__(self, "needles", (None,) * len(self.patterns))
        elif len(self.needles) != len(self.patterns):
            raise ValueError(f"rule {self.name!r}: one needles entry per pattern")

    def hits(self, text: str, low: str, terms: Mapping[str, int], cap: int) -> int:
        """Matches in ``text`` (``low`` = :func:`lowered` of it; ``terms``: the
        :func:`term_counts` of its :func:`fold`), counted up to ``cap``.

        The patterns none of whose needles occur cannot match: the alternation of the others
        finds the same matches, and without any the regex is not run at all."""
        total = sum(terms.get(term, 0) for term in self.terms)
        if self.terms and total >= cap:
            return cap
        if not self.patterns:
            return total
        live = tuple(
            pattern
            for pattern, found in zip(self.patterns, self.needles, strict=True)
            if found is None or any(needle in low for needle in found)
        )
        if not live:
            return total
        for _ in alternation(live if self.separable else self.patterns).finditer(text):
            total += 1
            if total >= cap:
                return cap
        return total


@lru_cache(maxsize=256)
def alternation(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """``patterns`` as one case-insensitive regular expression, compiled once per process."""
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


_BACKREFERENCE = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")
"""A numbered or named backreference or a conditional group (or something like one: a false
alarm only costs speed)."""


def fold(text: str) -> str:
    """Lower case, whitespace runs collapsed to one space (what terms are matched against)."""
    return _collapsed(text.lower())


def _collapsed(text: str) -> str:
    return " ".join(text.split())


_ODD_FOLDS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
"""The only non-ASCII characters that case-insensitive patterns match to ASCII letters
(İ ı ſ K: ``re.fullmatch("i", "\u0131", re.IGNORECASE)``); ``"İ".lower()`` is two characters."""


def lowered(text: str) -> str:
    """``text`` lower-cased, İ ı ſ K made the ASCII letters they match: a text character that a
    pattern's ASCII letter or uncased character matches case-insensitively is that literal here."""
    return text.translate(_ODD_FOLDS).lower()


def _odd(text: str) -> bool:
    """Whether ``text`` has one of İ ı ſ K (four substring searches: ``str.translate`` walks the
    text a character at a time, ≈18 ns each)."""
    return any(char in text for char in "\u0130\u0131\u017f\u212a")


def views(text: str) -> tuple[str, str]:
    """``(fold(text), lowered(text))``, lower-casing ``text`` once where it has none of İ ı ſ K
    (there the two lower-case the same)."""
    lower = text.lower()
    return _collapsed(lower), (lowered(text) if _odd(text) else lower)


def _skip(pattern: str, i: int) -> int:
    """Index after the atom at ``pattern[i]``: an escape, a character class, a group (with
    everything in it) or one character; ``-1`` when it is not closed."""
    char = pattern[i]
    if char == "\\":
        return i + 2
    if char == "[":
        i += 1
        i += pattern.startswith("^", i)
        i += pattern.startswith("]", i)  # a "]" first is a member
        while i < len(pattern) and pattern[i] != "]":
            i += 2 if pattern[i] == "\\" else 1
        return i + 1 if i < len(pattern) else -1
    if char == "(":
        i += 1
        while i < len(pattern) and pattern[i] != ")":
            i = _skip(pattern, i)
            if i == -1:
                return -1
        return i + 1 if i < len(pattern) else -1
    return i + 1


def _alternatives(pattern: str) -> list[str] | None:
    """``pattern`` split at its top-level ``|`` (``None``: unbalanced)."""
    parts, start, i = [], 0, 0
    while i < len(pattern):
        if pattern[i] == "|":
            parts.append(pattern[start:i])
            start = i + 1
        i = _skip(pattern, i)
        if i == -1:
            return None
    return [*parts, pattern[start:]]


def _literal(char: str) -> bool:
    """Matched case-insensitively only by what :func:`lowered` makes ``char.lower()``."""
    if char.isascii():
        return char.isalnum() or char == " "
    return char.lower() == char == char.upper() and not char.isspace()


def needles(pattern: str) -> tuple[str, ...] | None:
    """Lower-cased literal texts, one of which occurs in :func:`lowered` text wherever
    ``pattern`` matches case-insensitively: for each top-level alternative, the most selective
    literal that no match can lack (a run of literal characters, or the alternatives of a group
    that is not optional) — the one whose shortest text is longest, the first on a tie
    (``high[- ]bandwidth memory``: ``bandwidth memory``, not ``high``).  ``None`` when an
    alternative has none (``\\d+``, ``[Hh]BM``, ``(ab)?c``)."""
    if re.compile(pattern).flags & re.VERBOSE:
        return None
    found = _required(pattern)
    return None if found is None else tuple(dict.fromkeys(found))


def _quantified(pattern: str, i: int) -> tuple[int, bool]:
    """Index after the quantifier at ``pattern[i]``, if any, and whether it lets the atom
    before it be absent (``?``, ``*``, ``{…}``: a ``{`` counts as such even if literal)."""
    if i >= len(pattern) or pattern[i] not in "?*+{":
        return i, False
    optional = pattern[i] != "+"
    i = pattern.find("}", i) + 1 if pattern[i] == "{" else i + 1
    if i == 0:  # a "{" never closed: a literal
        return len(pattern), True
    return i + (pattern[i : i + 1] in ("?", "+")), optional


def _required(pattern: str) -> list[str] | None:
    alternatives = _alternatives(pattern)
    if alternatives is None:
        return None
    found: list[str] = []
    for alternative in alternatives:
        candidates = _candidates(alternative)
        if not candidates:
            return None
        found += max(candidates, key=lambda texts: min(map(len, texts)))  # the first on a tie
    return found


def _candidates(alternative: str) -> list[list[str]] | None:
    """Every literal that no match of ``alternative`` (no top-level ``|`` in it) can lack, in
    pattern order: one text for a run of literal characters, the alternatives of a group that
    is not optional; ``None`` when the alternative is not balanced."""
    found: list[list[str]] = []
    i = 0
    while i < len(alternative):
        end = i
        while end < len(alternative) and _literal(alternative[end]):
            end += 1
        if end > i:  # a literal run; a quantifier after it applies to its last character
            after, optional = _quantified(alternative, end)
            if end - optional > i:
                found.append([alternative[i : end - optional].lower()])
            i = after
            continue
        end = _skip(alternative, i)
        if end == -1:
            return None
        after, optional = _quantified(alternative, end)
        group = alternative.startswith("(", i) and (
            not alternative.startswith("(?", i) or alternative.startswith("(?:", i)
        )
        if group and not optional:
            start = i + (3 if alternative.startswith("(?:", i) else 1)
            inner = _required(alternative[start : end - 1])
            if inner is not None:
                found.append(inner)
        i = after
    return found


def _latin(char: str) -> bool:
    return ("a" <= char <= "z") or ("A" <= char <= "Z")


def term_counts(folded: str, terms: WordScanner[str]) -> dict[str, int]:
    """Occurrences of each of the ``terms`` in ``folded`` (overlapping ones too) that are not part
    of a longer Latin-letter word.  Korean terms match inside words (particles attach:
    ``GPU를``, ``엔비디아가``).  One pass over the text finds every term."""
    counts: dict[str, int] = {}
    length = len(folded)
    for start, end, term in terms.occurrences(folded):
        if (start > 0 and _latin(term[0]) and _latin(folded[start - 1])) or (
            end < length and _latin(term[-1]) and _latin(folded[end])
        ):
            continue
        counts[term] = counts.get(term, 0) + 1
    return counts


@lru_cache(maxsize=8)
def term_scanner(terms: tuple[str, ...]) -> WordScanner[str]:
    """The scanner of ``terms``, built once per process (a :class:`RuleSet` travels to the parse
    workers pickled; the scanner, a C object, is made where it is used)."""
    return WordScanner({term: term for term in terms})


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    threshold: float = 8.0
    title_bonus: float = 2.0
    max_hits: int = 3
    require_groups: tuple[str, ...] = ("core",)

    @cached_property
    def terms(self) -> tuple[str, ...]:
        """Every rule's terms, each once (worked out once, not per verdict)."""
        return tuple(dict.fromkeys(term for rule in self.rules for term in rule.terms))


@dataclass(frozen=True)
class Verdict:
    relevant: bool
    score: float
    reasons: tuple[str, ...]
    """``name(+weight×hits[+title])`` for every matching rule, strongest first."""

    def explain(self) -> str:
        word = "relevant" if self.relevant else "irrelevant"
        return f"{word} score={self.score:g}: " + (", ".join(self.reasons) or "no rule matched")


def _compile_rule(raw: Mapping[str, Any], where: str) -> Rule:
    try:
        name = str(raw["name"])
        weight = float(raw.get("weight", 1))
        group = str(raw.get("group", "context"))
        given = [str(t) for t in raw.get("terms", []) or [] if str(t)]
        terms = tuple(dict.fromkeys(folded for t in given if (folded := fold(t))))
        patterns = tuple(str(p) for p in raw.get("patterns", []) or [])
        if not given and not patterns:
            raise RelevanceRulesError(f"{where}: rule {name!r} has no terms or patterns")
        if patterns:
            alternation(patterns)  # a pattern that does not compile is reported here
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise RelevanceRulesError(f"{where}: bad rule {raw!r}: {exc}") from exc
    return Rule(
        name=name,
        group=group,
        weight=weight,
        terms=terms,
        patterns=patterns,
        needles=tuple(needles(p) for p in patterns),
        separable=not any(_BACKREFERENCE.search(p) for p in patterns),
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise RelevanceRulesError(f"cannot read relevance rules {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise RelevanceRulesError(f"{path}: expected a mapping with 'rules'")
    return data


def load_rules(extra: Sequence[Path] = ()) -> RuleSet:
    """The built-in rules merged with ``extra`` files (later files win by rule name)."""
    merged: dict[str, Any] = _read(DEFAULT_RULES_FILE)
    rules: dict[str, Mapping[str, Any]] = {r["name"]: r for r in merged.get("rules", [])}
    for path in extra:
        data = _read(path)
        for key in ("threshold", "title_bonus", "max_hits", "require_groups"):
            if key in data:
                merged[key] = data[key]
        for rule in data.get("rules", []) or []:
            if not isinstance(rule, dict) or "name" not in rule:
                raise RelevanceRulesError(f"{path}: every rule needs a name: {rule!r}")
            rules[str(rule["name"])] = rule
    compiled = tuple(_compile_rule(r, str(DEFAULT_RULES_FILE)) for r in rules.values())
    try:
        return RuleSet(
            rules=compiled,
            threshold=float(merged.get("threshold", 8)),
            title_bonus=float(merged.get("title_bonus", 2)),
            max_hits=int(merged.get("max_hits", 3)),
            require_groups=tuple(str(g) for g in merged.get("require_groups", ["core"])),
        )
    except (TypeError, ValueError) as exc:
        raise RelevanceRulesError(f"bad relevance settings: {exc}") from exc


def rules_from_environment() -> RuleSet:
    extra = os.environ.get(ENV_RULES_FILE)
    return load_rules([Path(extra)] if extra else [])


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return load_rules()


def judge(title: str, text: str, rules: RuleSet | None = None) -> Verdict:
    """Score ``title`` and ``text`` against ``rules`` (the built-in rules by default)."""
    ruleset = rules or default_rules()
    score = 0.0
    scored: list[tuple[float, str]] = []
    groups: set[str] = set()
    scanner = term_scanner(ruleset.terms)
    folded_text, low_text = views(text)
    folded_title, low_title = views(title)
    text_terms, title_terms = term_counts(folded_text, scanner), term_counts(folded_title, scanner)
    for rule in ruleset.rules:
        hits = rule.hits(text, low_text, text_terms, ruleset.max_hits)
        in_title = bool(title) and rule.hits(title, low_title, title_terms, 1) > 0
        if not hits and not in_title:
            continue
        value = rule.weight * hits + (rule.weight * ruleset.title_bonus if in_title else 0)
        score += value
        if rule.weight > 0:
            groups.add(rule.group)
        label = f"{rule.name}({value:+g}: {hits} in text{', in title' if in_title else ''})"
        scored.append((value, label))
    scored.sort(key=lambda item: -abs(item[0]))
    core_ok = not ruleset.require_groups or bool(groups & set(ruleset.require_groups))
    relevant = score >= ruleset.threshold and core_ok
    return Verdict(relevant=relevant, score=score, reasons=tuple(label for _, label in scored))
