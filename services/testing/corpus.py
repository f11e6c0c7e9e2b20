"""A synthetic, seeded news corpus whose commitments change over time.

Used by the scale-out and chaos tests and by the benchmarks: articles in Korean and English,
2–20 KB, mostly filler paragraphs as in real news, with one to three commitment sentences that
the extractor parses.  Each organisation's GPU commitment evolves across the corpus (new, then
increased, reaffirmed, decreased), so the ledger has real history to diff.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.core.models import ArticleV1, stable_id

ORGS_KO = (
    ("삼성전자", "samsung-electronics"),
    ("SK텔레콤", "sk-telecom"),
    ("네이버클라우드", "naver-cloud"),
    ("카카오", "kakao"),
    ("KT", "kt"),
    ("LG유플러스", "lg-uplus"),
    ("현대차그룹", "hyundai-motor-group"),
    ("SK하이닉스", "sk-hynix"),
)
ORGS_EN = (
    ("Microsoft", "microsoft"),
    ("Oracle", "oracle"),
    ("CoreWeave", "coreweave"),
    ("xAI", "xai"),
    ("Meta", "meta"),
    ("Amazon", "amazon"),
    ("Nebius", "nebius"),
    ("SoftBank", "softbank"),
)
MODELS = ("H100", "H200", "B200", "GB200", "GB300")

FILLER_KO = (
    "업계에서는 이번 결정이 국내 산업 전반의 디지털 전환을 앞당길 것으로 보고 있다.",
    "회사 관계자는 구체적인 일정은 추후 공개할 예정이라고 설명했다.",
    "전문가들은 인재 확보와 전력 수급이 향후 과제가 될 것이라고 지적했다.",
    "이날 행사에는 정부 관계자와 업계 대표 등 200여 명이 참석했다.",
    "한편 주식시장에서는 관련 종목의 주가가 소폭 상승 마감했다.",
    "시장조사업체에 따르면 관련 시장은 해마다 두 자릿수 성장을 이어가고 있다.",
)
FILLER_EN = (
    "Analysts said the decision reflects a broader shift in how companies plan capacity.",
    "A spokesperson declined to comment on the timeline beyond what was announced.",
    "Power availability and skilled staff remain the main constraints, experts said.",
    "Shares of the company closed slightly higher on the news.",
    "The announcement came at an industry event attended by several hundred people.",
    "Market researchers expect the segment to keep growing at double-digit rates.",
)


@dataclass(frozen=True)
class Commitment:
    """What an article says about one organisation's GPU commitment."""

    org_id: str
    value: int
    model: str


@dataclass(frozen=True)
class CorpusArticle:
    article: ArticleV1
    commitments: tuple[Commitment, ...]


def _sentence_ko(name: str, value: int, model: str, first: bool) -> str:
    count = f"{value // 10000}만{value % 10000 or ''}" if value >= 10000 else f"{value:,}"
    if first:
        return f"{name}는 엔비디아 {model} GPU {count}개를 도입한다고 밝혔다."
    return f"{name}는 엔비디아 {model} GPU 도입 규모를 {count}개로 조정했다고 밝혔다."


def _sentence_en(name: str, value: int, model: str, first: bool) -> str:
    if first:
        return f"{name} will deploy {value:,} NVIDIA {model} GPUs, the company said."
    return f"{name} now plans to deploy {value:,} NVIDIA {model} GPUs, the company said."


def generate(count: int, seed: int = 7, *, start: datetime | None = None) -> list[CorpusArticle]:
    """``count`` articles, published one hour apart, deterministic for a given ``seed``."""
    rng = random.Random(seed)
    when = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    current: dict[str, tuple[int, str]] = {}
    corpus = []
    for index in range(count):
        lang = "ko" if index % 2 == 0 else "en"
        orgs = ORGS_KO if lang == "ko" else ORGS_EN
        chosen = rng.sample(orgs, rng.randint(1, 3))
        sentences, commitments = [], []
        for name, org_id in chosen:
            first = org_id not in current
            value, model = current.get(
                org_id, (rng.choice((1, 2, 5, 10)) * 10000, rng.choice(MODELS))
            )
            if not first:
                value = max(5000, value + rng.choice((-1, 0, 1, 2)) * 5000)
            current[org_id] = (value, model)
            make = _sentence_ko if lang == "ko" else _sentence_en
            sentences.append(make(name, value, model, first))
            commitments.append(Commitment(org_id, value, model))
        filler = FILLER_KO if lang == "ko" else FILLER_EN
        target = rng.randint(2_000, 20_000)
        paragraphs = list(sentences)
        while sum(len(p.encode()) for p in paragraphs) < target:
            paragraphs.insert(rng.randrange(len(paragraphs) + 1), " ".join(rng.sample(filler, 3)))
        text = "\n\n".join(paragraphs)
        url = f"https://news.example.com/{lang}/article/{seed}-{index:06d}"
        title = (
            f"AI 인프라 투자 확대 {index}"
            if lang == "ko"
            else f"AI infrastructure build-out {index}"
        )
        corpus.append(
            CorpusArticle(
                ArticleV1(
                    id=stable_id(url),
                    url=url,
                    source="synthetic",
                    lang=lang,
                    title=title,
                    published_at=when + timedelta(hours=index),
                    fetched_at=when + timedelta(hours=index, minutes=5),
                    text=text,
                    content_hash=hashlib.sha256(text.encode()).hexdigest(),
                ),
                tuple(commitments),
            )
        )
    return corpus
