"""Every answer of the HTTP face carries the security headers; the dashboard's pages its policy."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.responses import HTMLResponse

from services.api.app import PAGE_POLICY, SECURITY_HEADERS, create_app
from services.core.db import make_engine

with warnings.catch_warnings():
    from starlette.exceptions import StarletteDeprecationWarning

    # starlette asks for the httpx2 package, which the project does not depend on (yet)
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    engine = make_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    app = create_app(lambda: {}, engine, with_api=False)

    @app.get("/page", response_class=HTMLResponse)
    def page() -> str:
        return "<!doctype html><title>a page</title>"

    with TestClient(app) as test_client:
        yield test_client
    engine.dispose()


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics", "/page", "/docs"])
def test_every_answer_forbids_sniffing_framing_and_leaking_the_referrer(
    client: TestClient, path: str
) -> None:
    headers = client.get(path).headers
    assert {name: headers.get(name) for name in SECURITY_HEADERS} == SECURITY_HEADERS


def test_pages_have_a_content_security_policy_but_not_the_swagger_ui_from_its_cdn(
    client: TestClient,
) -> None:
    assert client.get("/page").headers["content-security-policy"] == PAGE_POLICY
    assert "content-security-policy" not in client.get("/docs").headers
    assert "content-security-policy" not in client.get("/healthz").headers  # JSON
