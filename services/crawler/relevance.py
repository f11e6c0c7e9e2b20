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
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

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
    """Lower-cased literal terms (single spaces), matched with :func:`count_term`."""
    regex: re.Pattern[str] | None = None
    """The rule's ``patterns``, if any."""

    def hits(self, text: str, folded: str, cap: int) -> int:
        """Matches in ``text`` (``folded`` = :func:`fold` of it), counted up to ``cap``."""
        total = 0
        for term in self.terms:
            total += count_term(folded, term, cap - total)
            if total >= cap:
                return cap
        if self.regex is not None:
            for _ in self.regex.finditer(text):
                total += 1
                if total >= cap:
                    return cap
        return total


def fold(text: str) -> str:
    """Lower case, whitespace runs collapsed to one space (what terms are matched against)."""
    return " ".join(text.lower().split())


def _latin(char: str) -> bool:
    return ("a" <= char <= "z") or ("A" <= char <= "Z")


def count_term(folded: str, term: str, cap: int) -> int:
    """Occurrences of ``term`` in ``folded`` that are not part of a longer Latin-letter word.

    Korean terms match inside words (particles attach: ``GPU를``, ``엔비디아가``).
    """
    if cap <= 0 or not term:
        return 0
    check_start = _latin(term[0])
    check_end = _latin(term[-1])
    count = 0
    start = folded.find(term)
    while start != -1 and count < cap:
        end = start + len(term)
        ok = not (check_start and start > 0 and _latin(folded[start - 1])) and not (
            check_end and end < len(folded) and _latin(folded[end])
        )
        if ok:
            count += 1
        start = folded.find(term, start + 1)
    return count


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    threshold: float = 8.0
    title_bonus: float = 2.0
    max_hits: int = 3
    require_groups: tuple[str, ...] = ("core",)


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
        terms = tuple(dict.fromkeys(fold(str(t)) for t in raw.get("terms", []) or [] if str(t)))
        patterns = [str(p) for p in raw.get("patterns", []) or []]
        if not terms and not patterns:
            raise RelevanceRulesError(f"{where}: rule {name!r} has no terms or patterns")
        regex = (
            re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE) if patterns else None
        )
    except (KeyError, TypeError, ValueError, re.error) as exc:
        raise RelevanceRulesError(f"{where}: bad rule {raw!r}: {exc}") from exc
    return Rule(name=name, group=group, weight=weight, terms=terms, regex=regex)


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
    folded_text = fold(text)
    folded_title = fold(title)
    for rule in ruleset.rules:
        hits = rule.hits(text, folded_text, ruleset.max_hits)
        in_title = bool(title) and rule.hits(title, folded_title, 1) > 0
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
