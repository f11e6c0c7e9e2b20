"""Prometheus metrics of webhook delivery (default registry, served at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

DELIVERIES = Counter(
    "infraledger_webhook_deliveries_total",
    "Webhook attempts by outcome (delivered, retry, give_up, disable)",
    ["outcome"],
)
LATENCY = Histogram(
    "infraledger_webhook_latency_seconds",
    "Time of one webhook attempt, answer or error",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30),
)
ENDPOINTS_DISABLED = Counter(
    "infraledger_webhook_endpoints_disabled_total",
    "Endpoints disabled automatically (410 Gone, failing too long)",
    ["reason"],
)
