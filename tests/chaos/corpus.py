"""The chaos corpus: generated Korean and English articles whose commitments change over time.

Deterministic for a given seed.  Each *storyline* is one commitment (an organisation deploying
a vendor's GPUs); its figure moves over publication time (increases, decreases, restatements).
Every article states one or two storylines' current figures among filler paragraphs; about one
article in eight states nothing (filler only).  The seed archive (``seeds/``) is added as is.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from services.core.models import ArticleV1, stable_id
from services.replay.sources import read_path

REPO_ROOT = Path(__file__).resolve().parents[2]
SEEDS = REPO_ROOT / "seeds"
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)

# (id, Korean name, English name); vendors are the counterparties.
ORGANISATIONS = (
    ("samsung-electronics", "삼성전자", "Samsung Electronics"),
    ("samsung-sds", "삼성SDS", "Samsung SDS"),
    ("sk-telecom", "SK텔레콤", "SK Telecom"),
    ("sk-hynix", "SK하이닉스", "SK hynix"),
    ("hyundai-motor-group", "현대차그룹", "Hyundai Motor Group"),
    ("lg-electronics", "LG전자", "LG Electronics"),
    ("lg-uplus", "LG유플러스", "LG Uplus"),
    ("naver", "네이버", "Naver"),
    ("naver-cloud", "네이버클라우드", "Naver Cloud"),
    ("kakao", "카카오", "Kakao"),
    ("kt", "KT", "KT"),
    ("posco", "포스코", "POSCO"),
    ("hanwha", "한화", "Hanwha"),
    ("doosan", "두산", "Doosan"),
    ("celltrion", "셀트리온", "Celltrion"),
    ("upstage", "업스테이지", "Upstage"),
    ("microsoft", "마이크로소프트", "Microsoft"),
    ("oracle", "오라클", "Oracle"),
    ("coreweave", "코어위브", "CoreWeave"),
    ("softbank", "소프트뱅크", "SoftBank"),
)
VENDORS = (("nvidia", "엔비디아", "NVIDIA"), ("amd", "AMD", "AMD"))

FILLER_KO = (
    "업계에서는 데이터센터 전력 수급이 향후 최대 변수가 될 것으로 보고 있다.",
    "이날 행사에는 국내외 관계자 수백 명이 참석해 높은 관심을 보였다.",
    "전문가들은 인공지능 반도체 공급망 재편이 당분간 이어질 것으로 전망했다.",
    "회사 측은 구체적인 일정은 추후 공개하겠다고 밝혔다.",
    "주식시장에서는 관련 종목의 주가가 소폭 상승했다.",
    "한편 정부는 지역 균형 발전을 위한 별도의 지원책을 검토하고 있다.",
)
FILLER_EN = (
    "Analysts expect power supply to remain the main constraint for data centres.",
    "The announcement was made at an industry event attended by several hundred people.",
    "The company declined to give a timetable for the rest of the programme.",
    "Shares of related suppliers rose slightly after the news.",
    "Industry observers said the supply chain for accelerators is still tight.",
    "Separately, regulators are reviewing rules for large computing clusters.",
)


def _topic_particle(name: str) -> str:
    last = name[-1]
    if "가" <= last <= "힣":
        return "은" if (ord(last) - 0xAC00) % 28 else "는"
    return "는"


def korean_count(value: int) -> str:
    """12000 → ``1만2000``; 50000 → ``5만``."""
    man, rest = divmod(value, 10000)
    if man and rest:
        return f"{man}만{rest}"
    if man:
        return f"{man}만"
    return str(rest)


@dataclass(frozen=True)
class Storyline:
    subject: tuple[str, str, str]
    vendor: tuple[str, str, str]
    figures: tuple[int, ...]
    lang: str

    def sentence(self, figure: int, lang: str, first: bool) -> str:
        _, ko, en = self.subject
        _, vendor_ko, vendor_en = self.vendor
        if lang == "ko":
            particle = _topic_particle(ko)
            if first:
                return f"{ko}{particle} {vendor_ko} GPU {korean_count(figure)}개를 도입한다."
            return (
                f"{ko}{particle} {vendor_ko} GPU 도입 규모를 {korean_count(figure)}개로 "
                "늘리기로 했다."
            )
        return f"{en} will deploy {figure:,} {vendor_en} GPUs."


def _storylines(rng: random.Random) -> list[Storyline]:
    lines = []
    for subject in ORGANISATIONS:
        for vendor in VENDORS:
            if vendor[0] == "amd" and rng.random() < 0.5:
                continue
            figure = rng.randrange(2, 40) * 1000
            figures = [figure]
            for _ in range(rng.randrange(4, 9)):
                step = rng.choice((0, 0, 1000, 2000, 5000, -1000, 3000))
                figure = max(1000, figure + step)
                figures.append(figure)
            lines.append(Storyline(subject, vendor, tuple(figures), rng.choice(("ko", "en"))))
    return lines


def _article(index: int, lang: str, paragraphs: list[str], published: datetime) -> ArticleV1:
    url = f"https://chaos.example.com/{lang}/article/{index:04d}"
    text = "\n\n".join(paragraphs)
    title = paragraphs[0][:60] if paragraphs else f"article {index}"
    return ArticleV1(
        id=stable_id(url),
        url=url,
        source=f"chaos-{lang}",
        lang=lang,
        title=title,
        published_at=published,
        fetched_at=published + timedelta(minutes=5),
        text=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def generate(count: int = 500, seed: int = 9) -> list[ArticleV1]:
    """``count`` generated articles in publication order (seeded, reproducible)."""
    rng = random.Random(seed)
    lines = _storylines(rng)
    progress = dict.fromkeys(range(len(lines)), 0)
    articles = []
    for index in range(count):
        lang = rng.choice(("ko", "en"))
        filler = FILLER_KO if lang == "ko" else FILLER_EN
        paragraphs = rng.sample(filler, 2)
        if rng.random() >= 0.125:
            active = [i for i in progress if progress[i] < len(lines[i].figures) * 3]
            for chosen in rng.sample(active, min(len(active), rng.choice((1, 1, 2)))):
                line = lines[chosen]
                step = min(progress[chosen] // 3, len(line.figures) - 1)
                progress[chosen] += 1
                sentence = line.sentence(line.figures[step], lang, first=step == 0)
                paragraphs.insert(rng.randrange(1, len(paragraphs) + 1), sentence)
        published = START + timedelta(hours=6 * index, minutes=rng.randrange(0, 300))
        articles.append(_article(index, lang, paragraphs, published))
    return articles


def seed_articles() -> list[ArticleV1]:
    """The articles of the seed archive (``seeds/``)."""
    return [r.article for r in read_path(SEEDS) if r.article is not None]


def corpus(count: int = 500, seed: int = 9) -> list[ArticleV1]:
    """The seeds, then ``count`` generated articles."""
    return [*seed_articles(), *generate(count, seed)]


SYLLABLES = "가나다라마바사아자차카타파하거너더러머버서어저처커터퍼허고노도로모보소오조초코토포호"


def crawlable(count: int = 20, seed: int = 90) -> list[ArticleV1]:
    """Articles for a crawled site: generated ones made far apart for near-duplicate detection
    (each gets paragraphs of random words), so the crawler publishes every one of them."""
    rng = random.Random(seed)
    chosen = []
    for article in generate(500, seed=9):
        if len(chosen) == count:
            break
        if article.lang != "ko" or "GPU" not in article.text:
            continue
        noise = [
            " ".join(
                "".join(rng.choice(SYLLABLES) for _ in range(rng.randrange(2, 4)))
                for _ in range(40)
            )
            + "."
            for _ in range(3)
        ]
        text = "\n\n".join([*article.text.split("\n\n"), *noise])
        chosen.append(
            article.model_copy(
                update={
                    "text": text,
                    "content_hash": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                }
            )
        )
    return chosen
