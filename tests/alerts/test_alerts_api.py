"""The webhook HTTP API, through FastAPI's TestClient."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alerts_helpers import Factory, MakeSettings, make_change, publish, threaded_receiver
from fastapi import FastAPI
from standardwebhooks.webhooks import Webhook
from starlette.exceptions import StarletteDeprecationWarning

from services.alerts import api
from services.alerts.payload import webhook_id
from services.core.config import Settings

with warnings.catch_warnings():
    # starlette asks for the httpx2 package, which the project does not depend on (yet)
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from fastapi.testclient import TestClient

TOKEN = "s3cret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _client(factory: Factory, settings: Settings) -> TestClient:
    app = FastAPI()
    app.include_router(api.router)
    app.dependency_overrides[api.context] = lambda: api.AlertsContext(factory, settings)
    return TestClient(app)


@pytest.fixture
def client(factory: Factory, make_settings: MakeSettings) -> Iterator[TestClient]:
    with _client(factory, make_settings(api_token=TOKEN)) as test_client:
        yield test_client


def _add(client: TestClient, url: str = "https://hooks.example/in", **body: object) -> Any:
    response = client.post("/api/v1/webhooks", json={"url": url, **body}, headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def test_add_returns_the_secret_once_and_list_and_show_never_do(client: TestClient) -> None:
    created = _add(client, kinds=["increased", "new"], orgs=["NVIDIA"], min_delta_pct=10)
    assert created["secret"].startswith("whsec_")
    assert created["kinds"] == ["increased", "new"]
    assert (created["orgs"], created["min_delta_pct"]) == (["NVIDIA"], 10)

    listed = client.get("/api/v1/webhooks", headers=AUTH).json()
    shown = client.get(f"/api/v1/webhooks/{created['id']}", headers=AUTH).json()
    assert [e["id"] for e in listed] == [created["id"]]
    assert "secret" not in listed[0] and "secret" not in shown
    assert shown["status"] == "enabled"


def test_without_kinds_every_kind_but_reaffirmed_is_subscribed(client: TestClient) -> None:
    kinds = _add(client)["kinds"]
    assert "reaffirmed" not in kinds and len(kinds) == 8
    assert {"settled", "withdrawn"} <= set(kinds)


def test_every_route_needs_the_bearer_token(client: TestClient) -> None:
    endpoint_id = _add(client)["id"]
    for method, path in [
        ("GET", "/api/v1/webhooks"),
        ("GET", f"/api/v1/webhooks/{endpoint_id}"),
        ("POST", f"/api/v1/webhooks/{endpoint_id}/disable"),
        ("POST", "/api/v1/webhooks"),
    ]:
        assert client.request(method, path).status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert client.request(method, path, headers=wrong).status_code == 401


def test_without_a_configured_token_the_webhook_api_is_closed_to_reads_and_writes(
    factory: Factory, make_settings: MakeSettings
) -> None:
    with _client(factory, make_settings()) as client:
        for method, path in (("POST", "/api/v1/webhooks"), ("GET", "/api/v1/webhooks")):
            response = client.request(method, path, json={"url": "https://h.example/"})
            assert response.status_code == 503
            assert "INFRALEDGER_API_TOKEN" in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"url": "ftp://h.example/x"}, "http(s)"),
        ({"url": "http://169.254.169.254/latest"}, "metadata"),
        ({"url": "http://10.1.2.3/hook"}, "private"),
        ({"url": "https://h.example/", "kinds": ["grew"]}, "unknown kind"),
    ],
)
def test_invalid_subscriptions_are_refused_with_422(
    client: TestClient, body: dict[str, object], fragment: str
) -> None:
    response = client.post("/api/v1/webhooks", json=body, headers=AUTH)
    assert response.status_code == 422
    assert fragment in response.json()["detail"]


def test_unknown_ids_are_404(client: TestClient) -> None:
    assert client.get("/api/v1/webhooks/ep_none", headers=AUTH).status_code == 404
    assert client.get("/api/v1/webhooks/deliveries/msg_x", headers=AUTH).status_code == 404


def test_disable_enable_and_rotate_secret(client: TestClient) -> None:
    endpoint_id = _add(client)["id"]
    disabled = client.post(f"/api/v1/webhooks/{endpoint_id}/disable", headers=AUTH).json()
    assert (disabled["status"], disabled["disabled_reason"]) == ("disabled", "disabled by user")
    enabled = client.post(f"/api/v1/webhooks/{endpoint_id}/enable", headers=AUTH).json()
    assert (enabled["status"], enabled["disabled_reason"]) == ("enabled", None)
    rotated = client.post(
        f"/api/v1/webhooks/{endpoint_id}/rotate-secret",
        json={"grace_seconds": 600},
        headers=AUTH,
    ).json()
    assert rotated["secret"].startswith("whsec_")
    assert rotated["previous_secret_expires_at"] is not None


def test_a_second_gentle_rotation_within_the_window_is_refused_not_silently_ending_the_oldest(
    client: TestClient,
) -> None:
    endpoint_id = _add(client)["id"]
    url = f"/api/v1/webhooks/{endpoint_id}/rotate-secret"
    first = client.post(url, json={"grace_seconds": 3600}, headers=AUTH).json()

    refused = client.post(url, json={"grace_seconds": 3600}, headers=AUTH)
    assert refused.status_code == 409
    assert "previous secret still signs until" in refused.json()["detail"]
    shown = client.get(f"/api/v1/webhooks/{endpoint_id}", headers=AUTH).json()
    assert shown["previous_secret_expires_at"] == first["previous_secret_expires_at"]

    replaced = client.post(
        url, json={"grace_seconds": 3600, "replace_previous": True}, headers=AUTH
    )
    assert replaced.status_code == 200 and replaced.json()["secret"] != first["secret"]
    leaked = client.post(url, json={"grace_seconds": 0}, headers=AUTH)  # ends all at once
    assert leaked.status_code == 200 and leaked.json()["previous_secret_expires_at"] is None


def test_testing_a_disabled_endpoint_is_a_conflict(client: TestClient) -> None:
    endpoint_id = _add(client)["id"]
    client.post(f"/api/v1/webhooks/{endpoint_id}/disable", headers=AUTH)
    response = client.post(f"/api/v1/webhooks/{endpoint_id}/test", headers=AUTH)
    assert response.status_code == 409 and "enable it first" in response.json()["detail"]


def test_test_sends_a_signed_test_event_and_logs_the_attempt(client: TestClient) -> None:
    with threaded_receiver(200) as receiver:
        created = _add(client, url=receiver.url)
        response = client.post(f"/api/v1/webhooks/{created['id']}/test", headers=AUTH)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["state"] == "delivered" and result["event_type"] == "webhook.test"
    assert [a["status_code"] for a in result["attempt_log"]] == [200]
    [request] = receiver.requests
    event = Webhook(created["secret"]).verify(request.body, request.headers)
    assert event["type"] == "webhook.test"
    assert request.headers["webhook-id"] == result["id"]


async def test_deliveries_are_listed_shown_and_redelivered(
    factory: Factory, make_settings: MakeSettings
) -> None:
    settings = make_settings(api_token=TOKEN)
    with _client(factory, settings) as client:
        endpoint_id = _add(client)["id"]
        await publish(factory, settings, make_change(1))
        msg = webhook_id(make_change(1).id, endpoint_id)

        listed = client.get(f"/api/v1/webhooks/{endpoint_id}/deliveries", headers=AUTH).json()
        assert [(d["id"], d["state"]) for d in listed] == [(msg, "pending")]
        failed = client.get(
            f"/api/v1/webhooks/{endpoint_id}/deliveries?failed=true", headers=AUTH
        ).json()
        assert failed == []

        client.post(f"/api/v1/webhooks/{endpoint_id}/disable", headers=AUTH)
        shown = client.get(f"/api/v1/webhooks/deliveries/{msg}", headers=AUTH).json()
        assert shown["state"] == "failed" and shown["attempt_log"] == []
        refused = client.post(f"/api/v1/webhooks/deliveries/{msg}/redeliver", headers=AUTH)
        assert refused.status_code == 409

        client.post(f"/api/v1/webhooks/{endpoint_id}/enable", headers=AUTH)
        again = client.post(f"/api/v1/webhooks/deliveries/{msg}/redeliver", headers=AUTH)
        assert again.json()["state"] == "pending"
        client.post(f"/api/v1/webhooks/{endpoint_id}/disable", headers=AUTH)
        client.post(f"/api/v1/webhooks/{endpoint_id}/enable", headers=AUTH)
        queued = client.post(
            "/api/v1/webhooks/redeliver",
            json={"since": "2000-01-01T00:00:00Z", "endpoint_id": endpoint_id},
            headers=AUTH,
        ).json()
        assert queued == {"queued": 1}


def test_without_an_override_the_router_uses_the_configured_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("INFRALEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'api.db'}")
    monkeypatch.setenv("INFRALEDGER_API_TOKEN", TOKEN)
    api.context.cache_clear()
    app = FastAPI()
    app.include_router(api.router)
    try:
        with TestClient(app) as client:
            created = _add(client)
            assert [e["id"] for e in client.get("/api/v1/webhooks", headers=AUTH).json()] == [
                created["id"]
            ]
    finally:
        api.context().factory.kw["bind"].dispose()
        api.context.cache_clear()
