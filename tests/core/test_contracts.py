"""The message models and the files in schemas/ describe the same contracts, both ways."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from services.core.schemas import CONTRACTS, SCHEMA_DIR, rendered_text
from services.core.topics import Topics

EXAMPLES = SCHEMA_DIR / "examples"
EXTRACTION_EXAMPLE_FILES = ("article.v1.json", "fact.v1.json")


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def validator(filename: str) -> jsonschema.protocols.Validator:
    schema = load(SCHEMA_DIR / filename)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def example(filename: str) -> dict[str, Any]:
    if filename == "extraction.v1.json":
        article, fact = (load(EXAMPLES / name) for name in EXTRACTION_EXAMPLE_FILES)
        return {
            "article": article,
            "extractor_version": "1.0.0",
            "facts": [fact],
            "extracted_at": "2025-11-01T00:00:00Z",
        }
    data: dict[str, Any] = load(EXAMPLES / filename)
    return data


@pytest.mark.parametrize("filename", sorted(CONTRACTS))
def test_schema_file_is_rendered_from_the_current_model(filename: str) -> None:
    on_disk = (SCHEMA_DIR / filename).read_text(encoding="utf-8")
    assert on_disk == rendered_text(filename), (
        f"schemas/{filename} differs from its model: run `infraledger schemas export`"
    )


@pytest.mark.parametrize("filename", sorted(CONTRACTS))
def test_example_document_satisfies_schema_file_and_model(filename: str) -> None:
    document = example(filename)
    validator(filename).validate(document)
    CONTRACTS[filename].model_validate(document)


@pytest.mark.parametrize("filename", sorted(CONTRACTS))
def test_model_output_satisfies_schema_file(filename: str) -> None:
    model: type[BaseModel] = CONTRACTS[filename]
    dumped = json.loads(model.model_validate(example(filename)).model_dump_json())
    validator(filename).validate(dumped)


@pytest.mark.parametrize("filename", sorted(CONTRACTS))
def test_unknown_field_is_rejected_by_both_or_ignored_by_both(filename: str) -> None:
    document = {**example(filename), "surprise": 1}
    model = CONTRACTS[filename]
    schema_accepts = validator(filename).is_valid(document)
    try:
        model.model_validate(document)
        model_accepts = True
    except ValidationError:
        model_accepts = False
    assert schema_accepts == model_accepts


@pytest.mark.parametrize(
    ("filename", "field", "bad"),
    [
        ("fact.v1.json", "type", "rumour"),
        ("fact.v1.json", "status", "maybe"),
        ("change.v1.json", "kind", "exploded"),
        ("change.v1.json", "id", "not-hex"),
        ("article.v1.json", "content_hash", "short"),
    ],
)
def test_invalid_values_are_rejected_by_both(filename: str, field: str, bad: str) -> None:
    document = {**example(filename), field: bad}
    assert not validator(filename).is_valid(document)
    with pytest.raises(ValidationError):
        CONTRACTS[filename].model_validate(document)


def test_asyncapi_names_every_topic_and_an_existing_payload_file() -> None:
    spec = yaml.safe_load((SCHEMA_DIR / "asyncapi.yaml").read_text(encoding="utf-8"))
    assert spec["asyncapi"].startswith("3.")
    addresses = {channel["address"] for channel in spec["channels"].values()}
    assert addresses == set(Topics().all())
    for message in spec["components"]["messages"].values():
        ref = message["payload"]["schema"]["$ref"]
        assert (SCHEMA_DIR / ref).resolve().is_file(), ref
        assert Path(ref).name in CONTRACTS
