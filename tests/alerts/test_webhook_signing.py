"""Signatures are Standard Webhooks signatures: checked with the independent reference package."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from services.alerts.errors import InvalidSubscription
from services.alerts.signing import generate_secret, secret_key, sign, webhook_headers

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
