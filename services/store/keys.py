"""Commitment keys: which facts describe the same commitment, and the reason they were joined.

A key is fact type + subject + counterparty + *what* is committed + scope.  Organisations are
compared by the extractor's canonical id, so "Samsung" and "삼성전자" land on the same key; a
different scope (phase one vs. the whole programme, another site) is a different commitment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.core.models import FactType, FactV1

_GENERATION = re.compile(r"^([A-Za-z]+)\d")


@dataclass(frozen=True)
class CommitmentKey:
    type: FactType
    subject: str
    counterparty: str | None
    what: str
    scope: str | None

    @property
    def text(self) -> str:
        """The key as stored and published, e.g. ``gpu_commitment|samsung|nvidia|gpu|-``."""
        parts = (self.type, self.subject, self.counterparty or "-", self.what, self.scope or "-")
        return "|".join(parts)


@dataclass(frozen=True)
class Attachment:
    """The key a fact was attached to and why."""

    key: CommitmentKey
    reason: str


def product_line(product: str) -> str:
    """The product line of a product name: ``HBM3E`` and ``HBM4`` are both ``HBM``."""
    match = _GENERATION.match(product.strip())
    return match.group(1).upper() if match else normalise(product).upper()


def normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def _what(fact: FactV1) -> tuple[str, str]:
    unit = fact.quantity.unit if fact.quantity else None
    if fact.type == "partnership":
        return "partnership", "a partnership"
    if unit in ("MW", "GW"):
        return "power", f"a capacity in {unit}"
    if fact.type == "investment":
        if unit is None:
            return "unspecified", "an investment without an amount"
        return unit, f"an investment in {unit}"
    if fact.type == "gpu_commitment" or unit == "gpu":
        return "gpu", "a GPU count"
    if fact.products:
        lines = sorted({product_line(p) for p in fact.products})
        return "+".join(lines), "the product line(s) " + ", ".join(lines)
    if fact.gpu_model:
        return "gpu", f"GPUs ({fact.gpu_model})"
    return "unspecified", "a supply without product or quantity"


def attach(fact: FactV1) -> Attachment:
    """The commitment key of ``fact`` with a human-readable reason."""
    what, what_reason = _what(fact)
    scope = normalise(fact.scope) if fact.scope and fact.scope.strip() else None
    key = CommitmentKey(
        type=fact.type,
        subject=fact.subject.id,
        counterparty=fact.counterparty.id if fact.counterparty else None,
        what=what,
        scope=scope,
    )
    parties = f"{fact.subject.id} (written '{fact.subject.mention}')"
    if fact.counterparty:
        parties += f" with {fact.counterparty.id} (written '{fact.counterparty.mention}')"
    scope_reason = f"scope '{scope}'" if scope else "no scope (the whole commitment)"
    reason = f"{fact.type} of {parties}: {what_reason}; {scope_reason}"
    return Attachment(key=key, reason=reason)
