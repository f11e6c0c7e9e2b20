"""``infraledger webhooks …`` end to end on a SQLite file (settings from the environment)."""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from alerts_helpers import threaded_receiver
from standardwebhooks.webhooks import Webhook

from services.alerts.cli import add_commands
from services.alerts.errors import NotFound, RotationInProgress

Invoke = Callable[..., tuple[int, str]]


@pytest.fixture
def run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> Invoke:
    monkeypatch.setenv("INFRALEDGER_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("INFRALEDGER_ALLOW_NETWORKS", "127.0.0.0/8")
    monkeypatch.setenv("INFRALEDGER_WEBHOOK_RETRY_SCHEDULE", "0,1h")
    parser = argparse.ArgumentParser(prog="infraledger")
    add_commands(parser.add_subparsers(dest="command", required=True))

    def invoke(*argv: str) -> tuple[int, str]:
        args = parser.parse_args(["webhooks", *argv])
        code = args.func(args)
        return code, capsys.readouterr().out

    return invoke


def _secret(output: str) -> str:
    match = re.search(r"secret: (whsec_\S+)", output)
    assert match is not None, output
    return match.group(1)


def test_add_prints_a_secret_once_and_list_and_show_describe_the_subscription(run: Invoke) -> None:
    code, out = run(
        "add", "https://hooks.example/in", "--kinds", "increased,new",
        "--org", "NVIDIA", "--org", "sk-hynix", "--min-delta-pct", "10",
    )  # fmt: skip
    assert code == 0
    secret = _secret(out)
    endpoint_id = out.split()[0]
    assert endpoint_id.startswith("ep_")

    code, out = run("list")
    assert code == 0 and endpoint_id in out and "orgs=NVIDIA,sk-hynix" in out
    assert secret not in out
    code, out = run("show", endpoint_id)
    shown = json.loads(out)
    assert shown["kinds"] == ["increased", "new"] and shown["min_delta_pct"] == 10
    assert secret not in out


def test_disable_enable_and_rotate_secret(run: Invoke) -> None:
    _, out = run("add", "https://hooks.example/in")
    endpoint_id, first = out.split()[0], _secret(out)
    assert "disabled (disabled by user)" in run("disable", endpoint_id)[1]
    assert " enabled " in run("enable", endpoint_id)[1]
    code, out = run("rotate-secret", endpoint_id, "--grace", "1h")
    assert code == 0 and _secret(out) != first
    assert "previous secret also signs until" in out


def test_rotating_again_while_the_previous_secret_signs_needs_replace_previous(
    run: Invoke,
) -> None:
    _, out = run("add", "https://hooks.example/in")
    endpoint_id = out.split()[0]
    assert run("rotate-secret", endpoint_id, "--grace", "1h")[0] == 0
    with pytest.raises(RotationInProgress, match="previous secret still signs until"):
        run("rotate-secret", endpoint_id, "--grace", "1h")
    code, out = run("rotate-secret", endpoint_id, "--grace", "1h", "--replace-previous")
    assert code == 0 and "previous secret also signs until" in out


def test_test_sends_a_signed_event_now(run: Invoke) -> None:
    with threaded_receiver(200) as receiver:
        _, out = run("add", receiver.url)
        endpoint_id, secret = out.split()[0], _secret(out)
        code, out = run("test", endpoint_id)
    assert code == 0
    result = json.loads(out)
    assert result["state"] == "delivered"
    [request] = receiver.requests
    assert Webhook(secret).verify(request.body, request.headers)["type"] == "webhook.test"

    code, out = run("deliveries", endpoint_id)
    assert result["id"] in out and "delivered" in out
    code, out = run("attempts", result["id"])
    assert json.loads(out)["attempt_log"][0]["status_code"] == 200


def test_a_failed_test_is_reported_and_can_be_listed_and_redelivered(run: Invoke) -> None:
    with threaded_receiver(500) as receiver:
        _, out = run("add", receiver.url)
        endpoint_id = out.split()[0]
        code, out = run("test", endpoint_id)
    assert code == 1
    delivery_id = json.loads(out)["id"]
    assert json.loads(out)["state"] == "pending"  # the worker retries it on schedule

    run("disable", endpoint_id)  # the queued retry fails with the endpoint
    code, out = run("deliveries", endpoint_id, "--failed", "--json")
    assert [d["id"] for d in json.loads(out)] == [delivery_id]

    run("enable", endpoint_id)
    code, out = run("redeliver", delivery_id)
    assert code == 0 and "pending" in out
    run("disable", endpoint_id)
    run("enable", endpoint_id)
    code, out = run("redeliver", "--since", "1h")
    assert code == 0 and out.startswith("queued 1 failed deliveries")
    assert run("redeliver")[0] == 2


def test_unknown_ids_raise_the_alerts_not_found_error(run: Invoke) -> None:
    with pytest.raises(NotFound):
        run("show", "ep_missing")
