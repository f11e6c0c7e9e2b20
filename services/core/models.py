"""Message contracts shared by every service.

Each topic carries one of these models as UTF-8 JSON; `schemas/` holds the same contracts as
JSON Schema files, and `tests/core/test_contracts.py` keeps the two in agreement.

- ``articles.v1``       → :class:`ArticleV1`      (key: article id)
- ``facts.v1``          → :class:`ExtractionV1`   (key: article id; one message per article)
- ``ledger.changes.v1`` → :class:`ChangeV1`       (key: commitment key)
- ``*.dlq.v1``          → :class:`DeadLetterV1`   (key: the original key)

A single fact, as printed by ``infraledger extract --format jsonl``, is :class:`FactV1`.
"""

from __future__ import annotations

import base64
import hashlib
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class Contract(BaseModel):
    """Base of every message model: immutable, strict about unknown fields, and about numbers:
    ``NaN`` and infinities (which JSON cannot hold, but a parser may accept) are invalid."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)


FactType = Literal["gpu_commitment", "investment", "partnership", "supply"]
Qualifier = Literal["exact", "about", "up_to", "at_least"]
Status = Literal["announced", "planned", "negotiating", "completed", "cancelled"]
ChangeKind = Literal[
    "new",
    "increased",
    "decreased",
    "reaffirmed",
    "revised",
    "conflict",
    "settled",
    "retracted",
    "withdrawn",
]
"""``settled``: a dispute ended — a source that gave another figure now gives the current one,
and no other figure is disputed any more (the state stays; ``before`` and ``after`` are it).
``withdrawn``: the state reported before is no longer read from any article (a re-extraction
dropped the facts it came from); ``after`` is what the ledger holds now, None when nothing."""
Unit = Annotated[str, Field(pattern=r"^(gpu|MW|GW|[A-Z]{3})$")]
"""``gpu``, ``MW``, ``GW`` or an ISO 4217 currency code such as ``USD``, ``KRW``, ``EUR``."""

Span = tuple[int, int]


def stable_id(*parts: str) -> str:
    """A deterministic 32-hex-digit id from text parts (article ids, change ids, …)."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:32]


# --------------------------------------------------------------------------- articles.v1


class WarcRef(Contract):
    """Where the raw HTTP response of an article is archived."""

    filename: str
    offset: int = Field(ge=0)
    length: int = Field(ge=0)


class ArticleV1(Contract):
    """One relevant news article, published once by the crawler (or by a replay)."""

    id: str = Field(description="stable_id(canonical url)", pattern=r"^[0-9a-f]{32}$")
    url: str = Field(min_length=1, description="Canonical URL")
    source: str = Field(min_length=1, description="Source name from sources.yaml, or 'replay'")
    lang: str = Field(description="ISO 639-1 language code, e.g. ko or en")
    title: str = ""
    author: str | None = None
    published_at: AwareDatetime | None = Field(
        default=None, description="Publication time from the article's metadata"
    )
    updated_at: AwareDatetime | None = None
    fetched_at: AwareDatetime
    text: str = Field(description="Main text, paragraphs separated by blank lines")
    content_hash: str = Field(
        pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the normalised main text"
    )
    warc: WarcRef | None = None

    @property
    def effective_at(self) -> datetime:
        """Where the article sits in the ledger's histories: its publication, else its fetch."""
        return self.published_at or self.fetched_at


# --------------------------------------------------------------------------- facts


class Entity(Contract):
    """An organisation as resolved by the extractor."""

    id: str = Field(description="Canonical id from the organisations file, or 'unknown:<mention>'")
    name: str = Field(description="Canonical English name (the mention when unknown)")
    mention: str = Field(description="The text as written in the article")


class Quantity(Contract):
    value: float | None = Field(description="None when the text is vague (수만 개, 'thousands')")
    unit: Unit
    qualifier: Qualifier
    text: str = Field(description="The quantity as written, e.g. '최대 26만개'")


class Timeframe(Contract):
    text: str
    start: str | None = Field(default=None, description="ISO date or year-month, when known")
    end: str | None = None


class Evidence(Contract):
    sentence: str
    start: int = Field(ge=0, description="Character offset of the sentence in the input text")
    end: int = Field(ge=0)
    spans: dict[str, Span] = Field(
        default_factory=dict,
        description="Character spans of fields (subject, quantity, …) in the input text",
    )


class ExtractorRef(Contract):
    version: str
    rule: str


class FactV1(Contract):
    """One commitment-like statement found in an article."""

    type: FactType
    subject: Entity
    counterparty: Entity | None = None
    quantity: Quantity | None = None
    gpu_model: str | None = None
    products: tuple[str, ...] = ()
    timeframe: Timeframe | None = None
    scope: str | None = Field(
        default=None,
        description="What distinguishes this commitment from others of the same parties "
        "(a phase, a site, a programme; for each figure of a list of GPU models, its model); "
        "part of the commitment key",
    )
    status: Status = "announced"
    confidence: float = Field(default=1.0, ge=0.0, le=1.0)
    evidence: Evidence
    extractor: ExtractorRef


class ExtractionV1(Contract):
    """Every fact of one article from one extractor version (the ``facts.v1`` message)."""

    article: ArticleV1
    extractor_version: str
    facts: tuple[FactV1, ...]
    extracted_at: AwareDatetime


# --------------------------------------------------------------------------- changes


class CommitmentState(Contract):
    quantity: Quantity | None = None
    gpu_model: str | None = None
    products: tuple[str, ...] = ()
    timeframe: Timeframe | None = None
    status: Status = "announced"


class Delta(Contract):
    absolute: float
    relative: float | None = Field(description="absolute / before; None when before is 0")


class ChangeEvidence(Contract):
    article_id: str
    url: str
    title: str = ""
    source: str = ""
    sentence: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class OrgRef(Contract):
    id: str
    name: str


class ChangeV1(Contract):
    """A change of the ledger (``ledger.changes.v1``, and rows of ``changes --format jsonl``)."""

    id: str = Field(pattern=r"^[0-9a-f]{32}$", description="Stable id; the idempotency key")
    kind: ChangeKind
    key: str = Field(description="Commitment key")
    type: FactType
    subject: OrgRef
    counterparty: OrgRef | None = None
    before: CommitmentState | None = None
    after: CommitmentState | None = Field(
        description="null only for a withdrawal that leaves nothing of the commitment"
    )
    delta: Delta | None = None
    evidence: ChangeEvidence
    effective_at: AwareDatetime = Field(description="Publication time of the causing article")
    recorded_at: AwareDatetime = Field(description="When the ledger learned it")
    replay_id: str | None = Field(default=None, description="Set when caused by a replay")
    notify: bool = Field(
        default=True,
        description="False for replays without --alerts, live reaffirmations, a history's"
        " first version derived again after a re-extraction from an article it held before,"
        " and changes an article read again puts back that are the very ones analysts were"
        " told last",
    )

    @model_validator(mode="after")
    def _state_after(self) -> ChangeV1:
        if self.after is None and self.kind != "withdrawn":
            raise ValueError(f"a {self.kind} change needs the state after it")
        return self


# --------------------------------------------------------------------------- dead letters


class DeadLetterError(Contract):
    service: str
    kind: str = Field(description="Exception class name")
    reason: str


class DeadLetterV1(Contract):
    """A message a consumer could not handle, with the original bytes (base64), or where they
    are when too large to copy."""

    topic: str
    partition: int = Field(ge=0)
    offset: int = Field(ge=0)
    key_b64: str | None = None
    value_b64: str
    headers: dict[str, str] = Field(default_factory=dict)
    error: DeadLetterError
    failed_at: datetime
    original_omitted: bool = Field(
        default=False,
        description="The original was too large to copy here (value_b64 is empty, headers too, "
        "key_b64 null): it stays at topic/partition/offset for that topic's retention",
    )

    @property
    def original_key(self) -> str:
        """The original message's key as text ("" when it had none or it was left out)."""
        return base64.b64decode(self.key_b64).decode("utf-8", "replace") if self.key_b64 else ""


# --------------------------------------------------------------------------- replay input


class ReplayLineV1(Contract):
    """One line of a ``replay jsonl`` file: an article from elsewhere."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    url: str = Field(min_length=1)
    title: str | None = None
    published_at: AwareDatetime
    lang: str | None = None
    text: str | None = None
    html: str | None = None
