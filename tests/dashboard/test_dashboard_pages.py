"""The dashboard over HTTP on a real ledger (the seeds through the real extractor and store),
on SQLite and PostgreSQL: pages, filters, timelines, the feed poll and the assets."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.orm import Session, sessionmaker

from services.core.db import Base, make_engine, session_factory, transaction
from services.core.models import ChangeV1
from services.dashboard import build_router, reads
from services.dashboard.feed import Position
from services.store import queries
from services.store.tables import TABLES

from .ledger_data import SAMSUNG_GPUS, follow_up_article, seed_articles, store


@dataclass
class Dashboard:
    http: httpx.AsyncClient
    factory: sessionmaker[Session]


@pytest.fixture
def factory(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(db_url)
    Base.metadata.create_all(engine, tables=list(TABLES))
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
async def dashboard(factory: sessionmaker[Session]) -> AsyncIterator[Dashboard]:
    await store(factory, *seed_articles())
    app = FastAPI()
    app.include_router(build_router(factory))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://dashboard") as http:
        yield Dashboard(http, factory)


def rows(page: str) -> list[str]:
    return re.findall(r'<tr data-key="([^"]+)"', page)


def feed_position(page: str) -> str:
    found = re.search(r'data-after="([^"]*)"', page)
    assert found is not None
    return found.group(1)


async def test_the_ledger_lists_every_seed_commitment_with_korean_names_and_koreas_total(
    dashboard: Dashboard,
) -> None:
    response = await dashboard.http.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert len(rows(page)) >= 8 and SAMSUNG_GPUS in rows(page)
    assert '<span class="ko" lang="ko">삼성전자</span>' in page
    assert "up to 260,000 GPUs" in page and "최대 26만개" in page
    assert re.search(
        r"Total <b>up to 260,000 GPUs</b> · parts <b>about [\d,]+ GPUs</b> · unallocated "
        r'<b class="unallocated">about ',
        page,
    )
    assert page.count('class="change kind-new"') == len(rows(page))


async def test_filters_narrow_the_rows_by_organisation_type_and_last_change(
    dashboard: Dashboard,
) -> None:
    samsung = rows((await dashboard.http.get("/?org=samsung-electronics")).text)
    assert samsung and all("samsung-electronics" in key for key in samsung)
    supply = rows((await dashboard.http.get("/?type=supply")).text)
    assert supply and all(key.startswith("supply|") for key in supply)
    assert rows((await dashboard.http.get("/?kind=increased")).text) == []
    await store(dashboard.factory, follow_up_article())
    assert rows((await dashboard.http.get("/?kind=increased")).text) == [SAMSUNG_GPUS]


async def test_a_follow_up_reaches_the_poll_once_and_gives_the_timeline_a_second_point(
    dashboard: Dashboard,
) -> None:
    position = feed_position((await dashboard.http.get("/")).text)
    quiet = (await dashboard.http.get("/feed/poll", params={"after": position})).json()
    assert quiet == {"after": position, "items": []}

    await store(dashboard.factory, follow_up_article())
    polled = (await dashboard.http.get("/feed/poll", params={"after": position})).json()
    [item] = polled["items"]
    assert 'class="change kind-increased"' in item and "<mark>6만개</mark>" in item
    assert "+10,000 (+20.0%)" in item and "삼성전자, 엔비디아 GPU 6만개로 확대" in item
    again = (await dashboard.http.get("/feed/poll", params={"after": polled["after"]})).json()
    assert again["items"] == []

    timeline = await dashboard.http.get(f"/timeline?key={quote(SAMSUNG_GPUS, safe='')}")
    assert timeline.status_code == 200
    assert re.findall(r'class="point (\w+)"', timeline.text) == ["new", "increased"]
    assert timeline.text.count('<li id="v') == 2


async def test_the_feed_reads_only_the_newest_changes_however_long_the_log(
    dashboard: Dashboard, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = reads.load_names()
    with transaction(dashboard.factory) as session:
        log = queries.changes(session).items  # the whole log, oldest first
        assert len(log) >= 8
        parsed: list[str | bytes] = []
        parse = ChangeV1.model_validate_json

        def counted(value: str | bytes) -> ChangeV1:
            parsed.append(value)
            return parse(value)

        monkeypatch.setattr(ChangeV1, "model_validate_json", counted)
        shown, position = reads.feed(session, names, Position(), 3)
    assert [c.id for c in shown] == [c.id for c in reversed(log[-3:])]
    assert len(parsed) == 3  # the other rows of the log were not read
    assert position.skip == 0 and position.cursor is not None
    with transaction(dashboard.factory) as session:
        assert reads.feed(session, names, position, 3) == ([], position)


async def test_a_position_of_the_earlier_form_is_answered_past_what_it_saw(
    dashboard: Dashboard,
) -> None:
    names = reads.load_names()
    with transaction(dashboard.factory) as session:
        log = queries.changes(session).items
        shown, position = reads.feed(session, names, Position(None, 5), 200)
        assert [c.id for c in shown] == [c.id for c in reversed(log[5:])]
        assert reads.feed(session, names, position, 200) == ([], position)
        assert reads.feed(session, names, Position(None, len(log)), 200) == (
            [],
            Position(None, len(log)),
        )
    await store(dashboard.factory, follow_up_article())
    with transaction(dashboard.factory) as session:
        [follow_up] = reads.feed(session, names, Position(None, len(log)), 200)[0]
    assert follow_up.kind == "increased"


async def test_an_organisations_timeline_holds_each_of_its_commitments(
    dashboard: Dashboard,
) -> None:
    page = (await dashboard.http.get("/timeline?org=samsung-electronics")).text
    keys = re.findall(r'<section class="timeline" data-key="([^"]+)"', page)
    assert SAMSUNG_GPUS in keys and len(keys) >= 2
    assert "<h1>Samsung Electronics 삼성전자 — timeline</h1>" in page


async def test_unknown_timelines_are_404_and_bad_requests_400(dashboard: Dashboard) -> None:
    assert (await dashboard.http.get("/timeline?key=nope")).status_code == 404
    assert (await dashboard.http.get("/timeline?org=nobody")).status_code == 404
    assert (await dashboard.http.get("/timeline")).status_code == 400
    assert (await dashboard.http.get("/feed/poll", params={"after": "x"})).status_code == 400
    huge = {"after": "99999999999999999999.0"}  # over 64 bits: SQLite's OverflowError once
    assert (await dashboard.http.get("/feed/poll", params=huge)).status_code == 400


async def test_article_text_is_escaped(dashboard: Dashboard) -> None:
    hostile = follow_up_article().model_copy(update={"title": "<script>alert(1)</script>"})
    await store(dashboard.factory, hostile)
    page = (await dashboard.http.get("/changes")).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


async def test_the_stylesheet_and_script_are_served_from_the_package(
    dashboard: Dashboard,
) -> None:
    css = await dashboard.http.get("/static/dashboard/dashboard.css")
    assert css.headers["content-type"] == "text/css; charset=utf-8"
    assert '"Noto Sans CJK KR", "Noto Sans KR", "Apple SD Gothic Neo", "Malgun Gothic"' in css.text
    script = await dashboard.http.get("/static/dashboard/feed.js")
    assert script.headers["content-type"].startswith("text/javascript")
    assert (await dashboard.http.get("/static/dashboard/secret.py")).status_code == 404
