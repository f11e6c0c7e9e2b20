"""The corpus the scenarios run on: large enough, changing over time, parsed by the extractor."""

from __future__ import annotations

from collections import defaultdict

from corpus import corpus, generate

from services.extractor.extract import extract_article


def test_corpus_has_500_generated_articles_plus_the_seeds_in_both_languages() -> None:
    articles = corpus(500, seed=9)
    assert len({a.id for a in articles}) == len(articles) >= 501
    assert {a.lang for a in articles} == {"ko", "en"}
    assert generate(500, seed=9) == generate(500, seed=9)


def test_commitment_figures_change_over_publication_time() -> None:
    figures: dict[tuple[str, str | None], list[float]] = defaultdict(list)
    for article in generate(500, seed=9):
        for fact in extract_article(article):
            if fact.quantity is not None and fact.quantity.value is not None:
                key = (fact.subject.id, fact.counterparty and fact.counterparty.id)
                figures[key].append(fact.quantity.value)
    changing = [key for key, values in figures.items() if len(set(values)) > 1]
    assert len(figures) >= 20 and len(changing) >= 15
    assert sum(len(v) for v in figures.values()) >= 500
