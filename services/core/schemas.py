"""The JSON Schema files in ``schemas/`` are rendered from the message models.

``infraledger schemas export`` rewrites them; ``tests/core/test_contracts.py`` fails when the
files and the models disagree, in either direction.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from services.core.models import (
    ArticleV1,
    ChangeV1,
    DeadLetterV1,
    ExtractionV1,
    FactV1,
    ReplayLineV1,
)

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"
BASE_ID = "https://infraledger.dev/schemas/"

CONTRACTS: dict[str, type[BaseModel]] = {
    "article.v1.json": ArticleV1,
    "fact.v1.json": FactV1,
    "extraction.v1.json": ExtractionV1,
    "change.v1.json": ChangeV1,
    "deadletter.v1.json": DeadLetterV1,
    "replay-line.v1.json": ReplayLineV1,
}


def render(filename: str, model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": BASE_ID + filename,
        **schema,
    }


def rendered_text(filename: str) -> str:
    return json.dumps(render(filename, CONTRACTS[filename]), indent=2, ensure_ascii=False) + "\n"


def export(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for filename in CONTRACTS:
        path = directory / filename
        path.write_text(rendered_text(filename), encoding="utf-8")
        written.append(path)
    return written
