"""What the compute view needs besides the ledger: organisations and the accelerator table."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from services.compute.accelerators import AcceleratorTable, default_accelerators
from services.compute.view import Parties
from services.extractor.lexicon import load_lexicon
from services.store.directory import load_directory


@dataclass(frozen=True)
class ComputeContext:
    parties: Parties
    table: AcceleratorTable


def load_context(organisations_file: Path | None = None) -> ComputeContext:
    """The organisations file (built-in, with ``organisations_file`` merged) and the table."""
    lexicon = load_lexicon(str(organisations_file) if organisations_file else None)
    return ComputeContext(
        parties=Parties(lexicon.organisations, load_directory(organisations_file).members),
        table=default_accelerators(),
    )
