"""``/api/v1/compute/…`` against a small app that mounts the compute router."""

from __future__ import annotations

import warnings
from collections.abc import Iterator

import pytest
from compute_helpers import Ledger, seed_extractions
from fastapi import FastAPI
from starlette.exceptions import StarletteDeprecationWarning

from services.compute.api import compute_context, router
from services.compute.context import ComputeContext
from services.store.api import StoreContext, context
from services.store.directory import load_directory

with warnings.catch_warnings():
    # starlette asks for the httpx2 package, which the project does not depend on (yet)
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def client(ledger: Ledger, compute: ComputeContext) -> Iterator[TestClient]:
    ledger.record(*seed_extractions())
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[context] = lambda: StoreContext(ledger.factory, load_directory())
    app.dependency_overrides[compute_context] = lambda: compute
    with TestClient(app) as test_client:
        yield test_client


def test_commitments_carry_their_conversions_and_flags(client: TestClient) -> None:
    items = {i["key"]: i for i in client.get("/api/v1/compute/commitments").json()}
    korea = items["supply|nvidia|korea|gpu|-"]
    assert korea["conversion"]["basis"] == "model"
    assert round(korea["conversion"]["h100e"]["low"]) == 656_964
    assert len(korea["parts"]) == 3
    samsung = items["gpu_commitment|samsung-electronics|nvidia|gpu|-"]
    assert samsung["conversion"]["h100e"] is None
    assert "GPU model not stated: no conversion" in samsung["conversion"]["flags"]


def test_aggregates_by_country_before_and_after_the_seed(client: TestClient) -> None:
    before = client.get("/api/v1/compute/aggregates", params={"as_of": "2025-10-30"}).json()
    assert before == {"by": "country", "as_of": "2025-10-30", "aggregates": []}
    after = client.get("/api/v1/compute/aggregates", params={"by": "country"}).json()
    [korea] = after["aggregates"]
    assert (korea["value"], korea["gpus"]["high"], korea["bounds"]) == ("KR", 260_000, ["up_to"])
    by_vendor = client.get("/api/v1/compute/aggregates", params={"by": "vendor"}).json()
    assert [b["value"] for b in by_vendor["aggregates"]] == ["nvidia"]
    assert client.get("/api/v1/compute/aggregates", params={"by": "planet"}).status_code == 422
    last_day = client.get("/api/v1/compute/aggregates", params={"as_of": "9999-12-31"}).json()
    assert last_day["aggregates"] == after["aggregates"]  # the last day there is: everything


def test_the_dashboard_shows_totals_by_country_in_h100_equivalents(client: TestClient) -> None:
    page = client.get("/api/v1/compute/dashboard")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<td>KR</td><td>656,964</td><td>260,000</td>" in page.text
    assert page.text.count("part, not added:") == 3
