"""Contracts as JSON column values, serialised once, by pydantic.

A JSON column's value used to be ``model.model_dump(mode="json")``: pydantic built a tree of
Python dicts and lists, then the driver's serialiser (orjson) walked it again to write its
text.  :func:`column_json` hands the column pydantic's own JSON text instead, wrapped in
:class:`orjson.Fragment`, which orjson writes as it is: the same value, one pass (the two differ
only for ``NaN`` and infinities, which the contracts reject).  The engines' JSON serialiser is
orjson on every dialect (:func:`services.core.db.make_engine`).

A fact's JSON is also part of its extraction's digest (:func:`extraction_json`), so it is made
once for both.
"""

from __future__ import annotations

from collections.abc import Sequence

import orjson
from pydantic import BaseModel
from pydantic_core import to_json


def model_json(model: BaseModel) -> bytes:
    """``model.model_dump_json()``, as UTF-8 bytes."""
    return model.__pydantic_serializer__.to_json(model)


def column_json(model: BaseModel) -> orjson.Fragment:
    """A JSON column's value for ``model``: what ``model.model_dump(mode="json")`` holds."""
    return orjson.Fragment(model_json(model))


def extraction_json(extractor_version: str, facts: Sequence[bytes]) -> str:
    """``extraction.model_dump_json(include={"extractor_version", "facts"})`` from its
    version and the :func:`model_json` of each of its facts (the same text, byte for byte)."""
    return (
        b'{"extractor_version":' + to_json(extractor_version)
        + b',"facts":[' + b",".join(facts) + b"]}"
    ).decode()  # fmt: skip
