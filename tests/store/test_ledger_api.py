"""The read API, against a small app that mounts the store's router (SQLite and PostgreSQL)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import StarletteDeprecationWarning

from services.core.db import transaction
from services.core.models import ChangeV1
from services.store.api import StoreContext, context, router
from services.store.directory import load_directory
from services.store.queries import totals

from .builders import OCT_30, article, extraction, fact
from .ledger import LedgerHarness

with warnings.catch_warnings():
    # starlette asks for the httpx2 package, which the project does not depend on (yet)
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

SAMSUNG_GPU = "gpu_commitment|samsung-electronics|nvidia|gpu|-"


@pytest.fixture
async def client(factory: sessionmaker[Session], ledger: LedgerHarness) -> Iterator[TestClient]:
    await ledger.deliver(
        extraction(
            article("a"),
            fact(50_000, mention="삼성전자"),
            fact(260_000, type="supply", subject="nvidia", counterparty="korea"),
        ),
        extraction(
            article("b", OCT_30 + timedelta(days=60), source="reuters"),
            fact(60_000, mention="Samsung"),
        ),
        extraction(
            article("c", OCT_30 + timedelta(days=61), source="hankyung"),
            fact(50_000, subject="hyundai-motor-group"),
        ),
    )
    app = FastAPI()
    app.include_router(router)
    app.dependency_overrides[context] = lambda: StoreContext(factory, load_directory())
    with TestClient(app) as test_client:
        yield test_client


def test_commitments_filtered_by_an_alias_of_the_organisation(client: TestClient) -> None:
    for alias in ("Samsung", "삼성전자", "samsung-electronics"):
        body = client.get("/api/v1/commitments", params={"org": alias}).json()
        assert [c["key"] for c in body["items"]] == [SAMSUNG_GPU]
    [row] = client.get("/api/v1/commitments", params={"org": "Samsung"}).json()["items"]
    assert row["state"]["quantity"]["value"] == 60_000
    assert row["last_kind"] == "increased"
    assert client.get("/api/v1/commitments", params={"org": "Nobody"}).json()["items"] == []


def test_commitments_are_paged_by_cursor(client: TestClient) -> None:
    keys, cursor = [], None
    while True:
        params = {"limit": 1} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/commitments", params=params).json()
        keys += [c["key"] for c in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert keys == sorted(keys) and len(keys) == 3


def test_history_and_single_commitment_by_key(client: TestClient) -> None:
    path = "/api/v1/commitments/" + quote(SAMSUNG_GPU, safe="")
    history = client.get(path + "/history").json()
    assert [v["kind"] for v in history] == ["new", "increased"]
    assert history[1]["delta"] == {"absolute": 10_000.0, "relative": 0.2}
    assert client.get(path).json()["corroboration"] == 1
    assert client.get("/api/v1/commitments/nope/history").status_code == 404
    assert client.get("/api/v1/commitments/nope").status_code == 404


def test_changes_since_a_time_by_cursor_and_kind(client: TestClient) -> None:
    everything = client.get("/api/v1/changes").json()["items"]
    assert [c["kind"] for c in everything] == ["new", "new", "increased", "new"]
    assert all(ChangeV1.model_validate(c) for c in everything)
    first = client.get("/api/v1/changes", params={"limit": 2}).json()
    rest = client.get("/api/v1/changes", params={"cursor": first["next_cursor"]}).json()
    assert first["items"] + rest["items"] == everything
    since = (OCT_30 + timedelta(days=30)).isoformat()
    later = client.get("/api/v1/changes", params={"since": since}).json()["items"]
    assert len(later) == 2
    increased = client.get("/api/v1/changes", params={"kind": "increased"}).json()["items"]
    assert [c["key"] for c in increased] == [SAMSUNG_GPU]
    assert client.get("/api/v1/changes", params={"cursor": "x"}).status_code == 400
    assert client.get("/api/v1/changes", params={"kind": "bogus"}).status_code == 422


async def test_a_client_follows_the_change_log_with_the_cursor_of_its_last_page(
    client: TestClient, ledger: LedgerHarness
) -> None:
    caught_up = client.get("/api/v1/changes", params={"limit": 10}).json()
    assert len(caught_up["items"]) == 4 and caught_up["next_cursor"]
    nothing_new = client.get("/api/v1/changes", params={"cursor": caught_up["next_cursor"]}).json()
    assert nothing_new == {"items": [], "next_cursor": caught_up["next_cursor"]}

    await ledger.deliver(
        extraction(article("d", OCT_30 + timedelta(days=90), source="yonhap"), fact(70_000))
    )

    news = client.get("/api/v1/changes", params={"cursor": caught_up["next_cursor"]}).json()
    assert [c["key"] for c in news["items"]] == [SAMSUNG_GPU]  # the new article's change only
    assert int(news["next_cursor"]) > int(caught_up["next_cursor"])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/api/v1/changes", {"cursor": "99999999999999999999"}),  # over 64 bits
        ("/api/v1/changes", {"cursor": "²"}),
        ("/api/v1/changes", {"since": "0001-01-01T00:00:00+01:00"}),  # before the year 1 in UTC
    ],
)
def test_a_parameter_out_of_range_is_a_client_error(
    client: TestClient, path: str, params: dict[str, str]
) -> None:
    response = client.get(path, params=params)
    assert response.status_code in (400, 422), response.text


def test_articles_and_their_facts(client: TestClient) -> None:
    articles = client.get("/api/v1/articles").json()["items"]
    assert [a["url"].rsplit("/", 1)[1] for a in articles] == ["c", "b", "a"]
    page = client.get("/api/v1/articles", params={"limit": 2}).json()
    rest = client.get("/api/v1/articles", params={"cursor": page["next_cursor"]}).json()
    assert [a["id"] for a in page["items"] + rest["items"]] == [a["id"] for a in articles]
    oldest = articles[-1]["id"]
    body = client.get(f"/api/v1/articles/{oldest}/facts").json()
    assert [f["key"] for f in body["facts"]] == [SAMSUNG_GPU, "supply|nvidia|korea|gpu|-"]
    assert "samsung-electronics (written '삼성전자')" in body["facts"][0]["key_reason"]
    assert client.get("/api/v1/articles/" + "0" * 32 + "/facts").status_code == 404
    hyundai = client.get("/api/v1/articles", params={"org": "현대차그룹"}).json()["items"]
    assert [a["source"] for a in hyundai] == ["hankyung"]


def test_organisations_with_their_aliases(client: TestClient) -> None:
    orgs = {o["id"]: o for o in client.get("/api/v1/organisations").json()}
    assert {"samsung-electronics", "nvidia", "korea", "hyundai-motor-group"} <= set(orgs)
    assert {"삼성전자", "Samsung"} <= set(orgs["samsung-electronics"]["aliases"])


def test_totals_say_which_figures_are_bounds_and_which_sums_are_estimates(
    client: TestClient,
) -> None:
    [korea] = client.get("/api/v1/totals").json()
    assert (korea["total"], korea["allocated"], korea["unallocated"]) == (260_000, 110_000, 150_000)
    assert [p["qualifier"] for p in korea["parts"]] == ["exact", "exact"]
    assert korea["allocated_estimated"] is False  # exact parts: an exact sum
    assert korea["qualifier"] == "exact" and korea["unallocated_estimated"] is False


async def test_a_total_given_as_up_to_leaves_an_estimated_remainder(
    factory: sessionmaker[Session], ledger: LedgerHarness
) -> None:
    await ledger.deliver(
        extraction(
            article("t"),
            fact(260_000, type="supply", subject="nvidia", counterparty="korea", qualifier="up_to"),
            fact(50_000, qualifier="at_least"),
        )
    )
    with transaction(factory) as session:
        [korea] = totals(session, load_directory())
    assert (korea.qualifier, [p.qualifier for p in korea.parts]) == ("up_to", ["at_least"])
    assert korea.allocated_estimated and korea.unallocated_estimated


def test_the_api_is_documented(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/commitments",
        "/api/v1/changes",
        "/api/v1/organisations",
        "/api/v1/articles/{article_id}/facts",
    } <= set(paths)
