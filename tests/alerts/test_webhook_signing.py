"""Signatures are Standard Webhooks signatures: checked with the independent reference package."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.alerts.errors import InvalidSubscription
from services.alerts.repository import signing_secrets
from services.alerts.signing import generate_secret, secret_key, sign, webhook_headers
from services.alerts.tables import Endpoint

BODY = '{"type":"ledger.change","data":{"note":"최대 26만개"}}'.encode()


def _now() -> int:
    return int(datetime.now(UTC).timestamp())


def test_generated_secrets_are_whsec_base64_of_24_to_64_random_bytes() -> None:
    first, second = generate_secret(), generate_secret()
    assert first.startswith("whsec_") and first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert len(secret_key(generate_secret(24))) == 24
    assert len(secret_key(generate_secret(64))) == 64
    with pytest.raises(ValueError):
        generate_secret(16)


@pytest.mark.parametrize(
    "bad",
    ["", "abc", "whsec_not*base64", "whsec_" + base64.b64encode(b"short").decode()],
)
def test_malformed_secrets_are_refused(bad: str) -> None:
    with pytest.raises(InvalidSubscription):
        secret_key(bad)


def test_the_reference_implementation_verifies_our_headers() -> None:
    secret = generate_secret()
    headers = webhook_headers(secret, "msg_abc", _now(), BODY)
    assert Webhook(secret).verify(BODY, headers)["data"]["note"] == "최대 26만개"


def test_a_tampered_body_or_id_or_a_foreign_secret_fails_verification() -> None:
    secret = generate_secret()
    headers = webhook_headers(secret, "msg_abc", _now(), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY + b" ", headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, {**headers, "webhook-id": "msg_other"})
    with pytest.raises(WebhookVerificationError):
        Webhook(generate_secret()).verify(BODY, headers)


def test_during_rotation_both_secrets_sign_and_either_verifies() -> None:
    old, new = generate_secret(), generate_secret()
    headers = webhook_headers((new, old), "msg_abc", _now(), BODY)
    assert len(headers["webhook-signature"].split(" ")) == 2
    assert all(part.startswith("v1,") for part in headers["webhook-signature"].split(" "))
    Webhook(old).verify(BODY, headers)
    Webhook(new).verify(BODY, headers)


def test_signature_matches_the_spec_example() -> None:
    # Example from the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    expected = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert sign(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == expected


def test_old_timestamps_are_rejected_by_receivers() -> None:
    secret = generate_secret()
    headers = webhook_headers(secret, "msg_abc", _now() - 600, BODY)
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(secret).verify(BODY, headers)


def _receiver_snippet() -> Callable[[str, dict[str, str], bytes], Any]:
    text = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    [code] = [b for b in re.findall(r"```python\n(.*?)```", text, flags=re.S) if "def verify(" in b]
    namespace: dict[str, Any] = {}
    exec(code, namespace)
    return namespace["verify"]  # type: ignore[no-any-return]


def test_the_documented_receiver_snippet_verifies_our_requests() -> None:
    verify = _receiver_snippet()
    old, new = generate_secret(), generate_secret()
    headers = webhook_headers((new, old), "msg_abc", _now(), BODY)
    assert verify(old, headers, BODY)["data"]["note"] == "최대 26만개"
    assert verify(new, headers, BODY)["type"] == "ledger.change"
    with pytest.raises(ValueError, match="signature"):
        verify(generate_secret(), headers, BODY)
    with pytest.raises(ValueError, match="signature"):
        verify(old, headers, BODY.replace(b"26", b"36"))
    with pytest.raises(ValueError, match="tolerance"):
        verify(old, webhook_headers(old, "msg_abc", _now() - 301, BODY), BODY)


@settings(max_examples=50, deadline=None)
@given(
    body=st.binary(max_size=2048).map(lambda b: b.hex().encode()),
    msg_id=st.from_regex(r"msg_[0-9a-f]{32}", fullmatch=True),
    size=st.integers(min_value=24, max_value=64),
)
def test_any_body_and_id_verify_with_the_reference_implementation(
    body: bytes, msg_id: str, size: int
) -> None:
    secret = generate_secret(size)
    Webhook(secret).verify(body, webhook_headers(secret, msg_id, _now(), body), json_parse=False)


def test_the_previous_secret_signs_only_until_its_window_ends() -> None:
    rotated_at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    endpoint = Endpoint(
        secret="whsec_new",
        previous_secret="whsec_old",
        previous_secret_expires_at=rotated_at + timedelta(hours=24),
    )
    assert signing_secrets(endpoint, rotated_at) == ("whsec_new", "whsec_old")
    assert signing_secrets(endpoint, rotated_at + timedelta(hours=23, minutes=59)) == (
        "whsec_new",
        "whsec_old",
    )
    assert signing_secrets(endpoint, rotated_at + timedelta(hours=24)) == ("whsec_new",)
