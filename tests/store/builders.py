"""Hand-built ``facts.v1`` fixtures, so the store's tests do not depend on the extractor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from services.core.bus import Message
from services.core.models import (
    ArticleV1,
    ChangeEvidence,
    CommitmentState,
    Entity,
    Evidence,
    ExtractionV1,
    ExtractorRef,
    FactType,
    FactV1,
    Qualifier,
    Quantity,
    Status,
    Timeframe,
    stable_id,
)
from services.core.topics import HEADER_REPLAY_ALERTS, HEADER_REPLAY_ID
from services.store.diff import Observation

OCT_30 = datetime(2025, 10, 30, 9, 0, tzinfo=UTC)

NAMES = {
    "nvidia": ("NVIDIA", "엔비디아"),
    "samsung-electronics": ("Samsung Electronics", "삼성전자"),
    "sk-hynix": ("SK hynix", "SK하이닉스"),
    "hyundai-motor-group": ("Hyundai Motor Group", "현대차그룹"),
    "naver-cloud": ("Naver Cloud", "네이버클라우드"),
    "kr-government": ("Korean government", "정부"),
    "sk-group": ("SK Group", "SK그룹"),
    "naver": ("Naver", "네이버"),
    "korea": ("South Korea", "한국"),
}


def org(org_id: str, mention: str | None = None) -> Entity:
    name, korean = NAMES.get(org_id, (org_id, org_id))
    return Entity(id=org_id, name=name, mention=mention or korean)


def fact(
    value: float | None = 50_000,
    *,
    type: FactType = "gpu_commitment",
    subject: str = "samsung-electronics",
    mention: str | None = None,
    counterparty: str | None = "nvidia",
    unit: str = "gpu",
    qualifier: Qualifier = "exact",
    quantity: bool = True,
    gpu_model: str | None = None,
    products: tuple[str, ...] = (),
    timeframe: Timeframe | None = None,
    scope: str | None = None,
    status: Status = "announced",
    sentence: str = "삼성전자는 5만개 이상의 엔비디아 GPU를 도입한다.",
    version: str = "1.0.0",
) -> FactV1:
    return FactV1(
        type=type,
        subject=org(subject, mention),
        counterparty=org(counterparty) if counterparty else None,
        quantity=Quantity(value=value, unit=unit, qualifier=qualifier, text=f"{value} {unit}")
        if quantity
        else None,
        gpu_model=gpu_model,
        products=products,
        timeframe=timeframe,
        scope=scope,
        status=status,
        evidence=Evidence(sentence=sentence, start=0, end=len(sentence)),
        extractor=ExtractorRef(version=version, rule="test"),
    )


def article(
    slug: str, published_at: datetime | None = OCT_30, *, source: str = "zdnet", lang: str = "ko"
) -> ArticleV1:
    url = f"https://news.example/{slug}"
    text = f"article {slug}"
    return ArticleV1(
        id=stable_id(url),
        url=url,
        source=source,
        lang=lang,
        title=f"Title of {slug}",
        published_at=published_at,
        fetched_at=(published_at or OCT_30) + timedelta(hours=1),
        text=text,
        content_hash=stable_id(text) * 2,
    )


def extraction(art: ArticleV1, *facts: FactV1, version: str = "1.0.0") -> ExtractionV1:
    return ExtractionV1(
        article=art,
        extractor_version=version,
        facts=tuple(
            f.model_copy(update={"extractor": ExtractorRef(version=version, rule="test")})
            for f in facts
        ),
        extracted_at=art.fetched_at + timedelta(minutes=1),
    )


def message(
    item: ExtractionV1 | bytes,
    offset: int,
    *,
    partition: int = 0,
    topic: str = "facts.v1",
    replay: str | None = None,
    alerts: bool = False,
) -> Message:
    headers: tuple[tuple[str, bytes], ...] = ()
    if replay is not None:
        headers = (
            (HEADER_REPLAY_ID, replay.encode()),
            (HEADER_REPLAY_ALERTS, b"true" if alerts else b"false"),
        )
    value = item if isinstance(item, bytes) else item.model_dump_json().encode()
    key = None if isinstance(item, bytes) else item.article.id.encode()
    return Message(topic, partition, offset, key, value, headers)


def observation(
    value: float | None,
    *,
    day: float = 0,
    source: str = "zdnet",
    qualifier: Qualifier = "exact",
    status: Status = "announced",
    slug: str | None = None,
    **state: Any,
) -> Observation:
    article_id = stable_id(slug or f"{source}-{day}-{value}-{qualifier}-{status}")
    quantity = (
        None
        if value is None and "no_quantity" in state
        else Quantity(value=value, unit="gpu", qualifier=qualifier, text=f"{value}")
    )
    state.pop("no_quantity", None)
    return Observation(
        fact_id=stable_id(article_id, "0"),
        article_id=article_id,
        source=source,
        effective_at=OCT_30 + timedelta(days=day),
        state=CommitmentState(quantity=quantity, status=status, **state),
        evidence=ChangeEvidence(
            article_id=article_id,
            url=f"https://news.example/{article_id}",
            sentence="…",
            start=0,
            end=1,
        ),
        position=0,
    )
