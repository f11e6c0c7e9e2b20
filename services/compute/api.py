"""The compute view over HTTP: ``/api/v1/compute/…`` (FastAPI router), read-only.

- ``/commitments?as_of=DATE``  every GPU or power commitment, converted, with its flags
- ``/aggregates?by=country|sector|vendor|status&as_of=DATE``  the committed compute per group
- ``/dashboard?as_of=DATE``  an HTML page: totals by country in H100-equivalents

The routes read the ledger through the store API's :func:`services.store.api.context`
dependency (so an application's override of it applies here too) and the organisations and
accelerator table through :func:`compute_context`, which an application may override as well.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse

from services.compute.aggregate import Bucket, Dimension, aggregate
from services.compute.context import ComputeContext, load_context
from services.compute.ledger_rows import read_versions
from services.compute.render import amount, bounds_text, commitment_line
from services.compute.view import ComputeItem, compute_items, cutoff
from services.core.config import load_settings
from services.core.db import transaction
from services.store.api import StoreContext, context


@functools.cache
def compute_context() -> ComputeContext:
    """The default: the organisations file of the settings and the built-in accelerator table."""
    return load_context(load_settings().organisations_file)


Store = Annotated[StoreContext, Depends(context)]
Compute = Annotated[ComputeContext, Depends(compute_context)]
AsOf = Annotated[
    date | None, Query(description="Only what was effective by this date (whole day, UTC)")
]


@dataclass(frozen=True)
class Aggregates:
    by: Dimension
    as_of: date | None
    aggregates: list[Bucket]


def _items(store: StoreContext, compute: ComputeContext, as_of: date | None) -> list[ComputeItem]:
    with transaction(store.factory) as session:
        versions = read_versions(session)
    return compute_items(versions, compute.parties, compute.table, cutoff(as_of))


router = APIRouter(prefix="/api/v1/compute", tags=["compute"])


@router.get("/commitments", summary="Every GPU or power commitment with its conversions")
def list_commitments(store: Store, compute: Compute, as_of: AsOf = None) -> list[ComputeItem]:
    return _items(store, compute, as_of)


@router.get("/aggregates", summary="Committed compute per country, sector, vendor or status")
def list_aggregates(
    store: Store, compute: Compute, by: Dimension = "country", as_of: AsOf = None
) -> Aggregates:
    return Aggregates(by=by, as_of=as_of, aggregates=aggregate(_items(store, compute, as_of), by))


@router.get("/dashboard", response_class=HTMLResponse, summary="Totals by country (HTML)")
def dashboard(store: Store, compute: Compute, as_of: AsOf = None) -> HTMLResponse:
    items = _items(store, compute, as_of)
    by_key = {item.key: item for item in items}
    rows = []
    for bucket in aggregate(items, "country"):
        details = "".join(
            f"<li>{html.escape(commitment_line(by_key[key]))}"
            + "".join(
                f"<ul><li>part, not added: {html.escape(commitment_line(by_key[p]))}</li></ul>"
                for p in by_key[key].parts
                if p in bucket.parts_not_added
            )
            + "</li>"
            for key in bucket.commitments
        )
        rows.append(
            f"<tr><td>{html.escape(bucket.value)}</td><td>{amount(bucket.h100e)}</td>"
            f"<td>{amount(bucket.gpus)}</td><td>{amount(bucket.it_power_mw)}</td>"
            f"<td>{html.escape(bounds_text(bucket.bounds))}</td>"
            f"<td><ul>{details}</ul></td></tr>"
        )
    when = f" as of {as_of.isoformat()}" if as_of else ""
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>infraledger: compute</title>"
        "</head><body>"
        f"<h1>Committed compute by country{when}</h1>"
        "<p>H100-equivalents: dense BF16 throughput relative to an H100 SXM. A total is "
        "counted once; its parts are listed beneath it and not added.</p>"
        "<table border='1'><tr><th>country</th><th>H100-equivalents</th><th>GPUs</th>"
        "<th>IT power (MW)</th><th>bounds</th><th>commitments</th></tr>"
        + "".join(rows)
        + "</table></body></html>"
    )
    return HTMLResponse(page)
