"""The JSON body of a webhook (pure).

``{"type": "ledger.change", "timestamp": <recorded_at>, "data": <change.v1>,
"subscription": {"id": <endpoint id>}}`` as compact UTF-8 JSON.  The change already carries its
evidence as a link and a sentence, never a whole article, so bodies stay at a few KiB.  The
body is built once, when the delivery is recorded, so every retry sends identical bytes.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from services.core.models import ChangeV1, stable_id

CHANGE_EVENT = "ledger.change"
TEST_EVENT = "webhook.test"


def webhook_id(event_id: str, endpoint_id: str) -> str:
    """The Standard Webhooks message id: the same for every retry of one event to one endpoint."""
    return "msg_" + stable_id(event_id, endpoint_id)


def _dump(document: dict[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def change_body(change: ChangeV1, endpoint_id: str) -> bytes:
    return _dump(
        {
            "type": CHANGE_EVENT,
            "timestamp": change.recorded_at.isoformat(),
            "data": change.model_dump(mode="json"),
            "subscription": {"id": endpoint_id},
        }
    )


def test_body(endpoint_id: str, nonce: str, now: datetime) -> bytes:
    return _dump(
        {
            "type": TEST_EVENT,
            "timestamp": now.isoformat(),
            "data": {"message": "infraledger test event", "nonce": nonce},
            "subscription": {"id": endpoint_id},
        }
    )
