"""What the store knows of organisations beyond its facts: the extractor's organisations file.

Countries and kinds feed the aggregates; names and aliases let people ask for "Samsung" when
the articles said "삼성전자".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from services.extractor.lexicon import load_lexicon
from services.store.aggregates import Member


@dataclass(frozen=True)
class Directory:
    members: Mapping[str, Member]
    aliases: Mapping[str, tuple[str, ...]]


def load_directory(organisations_file: Path | None = None) -> Directory:
    """The built-in organisations, with ``organisations_file`` (if any) merged over them."""
    organisations = load_lexicon(str(organisations_file) if organisations_file else None)
    orgs = organisations.organisations
    return Directory(
        members={
            o.id: Member(country=o.country, is_country=o.kind == "country") for o in orgs.values()
        },
        aliases={o.id: (o.name, *o.names_ko, *o.aliases) for o in orgs.values()},
    )
