"""Which differences between a database and this release's tables this release cannot run on."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from services.core.schema_fit import misfits

META = MetaData()
FACTS = Table(
    "store_facts",
    META,
    Column("id", String(40), primary_key=True),
    Column("note", Text, nullable=True),
    Column("weight", Integer, nullable=False),
    Column("rank", Integer, nullable=False, server_default="0"),
    Column("article_id", String(40)),
)
ARTICLES = Table("store_articles", META, Column("id", String(40), primary_key=True))
LINKS = Table(
    "store_links",
    META,
    Column("article_id", String(40)),
    ForeignKeyConstraint(["article_id"], ["store_articles.id"], name="fk_article"),
)
[FK] = LINKS.foreign_key_constraints


def _modify(kind: str, existing: Any, wanted: Any) -> list[tuple[Any, ...]]:
    return [(kind, None, "store_facts", "weight", {}, existing, wanted)]


@pytest.mark.parametrize(
    ("difference", "misfit"),
    [
        (("add_table", ARTICLES), "table store_articles is missing"),
        (("add_column", None, "store_facts", FACTS.c.note), "column store_facts.note is missing"),
        (
            ("remove_column", None, "store_facts", FACTS.c.weight),
            "column store_facts.weight is unknown and NOT NULL without a default",
        ),
        (
            ("remove_index", Index("ux_facts_note", FACTS.c.note, unique=True)),
            "unique index ux_facts_note is unknown",
        ),
        (
            ("remove_constraint", UniqueConstraint(FACTS.c.note, name="uq_note")),
            "unique constraint uq_note on store_facts is unknown",
        ),
        (("remove_fk", FK), "foreign key fk_article on store_links is unknown"),
        (
            _modify("modify_type", Integer(), Text()),
            "column store_facts.weight is INTEGER, not TEXT",
        ),
        (
            _modify("modify_nullable", False, True),
            "column store_facts.weight is NOT NULL where this release writes NULL",
        ),
    ],
)
def test_what_this_release_cannot_run_on(difference: Any, misfit: str) -> None:
    assert misfits([difference]) == [misfit]


@pytest.mark.parametrize(
    "difference",
    [
        ("remove_table", ARTICLES),  # a table it does not know
        ("remove_column", None, "store_facts", FACTS.c.note),  # nullable
        ("remove_column", None, "store_facts", FACTS.c.rank),  # NOT NULL with a default
        ("add_index", Index("ix_facts_note", FACTS.c.note)),  # slower, not wrong
        ("remove_index", Index("ix_facts_weight", FACTS.c.weight)),
        _modify("modify_nullable", True, False),  # it always writes a value
        _modify("modify_default", None, "0"),
    ],
)
def test_what_this_release_runs_on(difference: Any) -> None:
    assert misfits([difference]) == []
