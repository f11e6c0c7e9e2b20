"""Prometheus metrics shared by every service (default registry, served at ``/metrics``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter(
    "infraledger_messages_consumed_total", "Messages consumed", ["service", "topic"]
)
PRODUCED = Counter("infraledger_messages_produced_total", "Messages produced", ["topic"])
DEAD_LETTERED = Counter(
    "infraledger_messages_dead_lettered_total", "Messages sent to a dead-letter topic",
    ["service", "topic"],
)  # fmt: skip
SET_ASIDE = Counter(
    "infraledger_messages_set_aside_total",
    "Messages the broker refused as too large, left unpublished (the store's changes stay in "
    "its change log; the crawler counts its articles as the error message_too_large)",
    ["service", "topic"],
)
BATCH_SECONDS = Histogram(
    "infraledger_batch_processing_seconds", "Time to handle one consumed batch", ["service"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)  # fmt: skip
CONSUMER_LAG = Gauge(
    "infraledger_consumer_lag", "Messages behind the end of a partition",
    ["service", "partition"],
)  # fmt: skip
DB_TRANSACTION_SECONDS = Histogram(
    "infraledger_db_transaction_seconds", "Time of one database transaction", ["service"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)  # fmt: skip
PRUNED = Counter(
    "infraledger_rows_pruned_total",
    "Rows deleted once older than the retention (webhook deliveries, outbox rows; the "
    "crawler counts articles whose fingerprints it forgot)",
    ["service"],
)
