"""Prometheus metrics of the crawler (default registry, names ``infraledger_crawler_*``)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

FETCHED = Counter(
    "infraledger_crawler_fetched", "Responses received", ["kind"]
)  # kind: feed | sitemap | page | article | robots
NOT_MODIFIED = Counter(
    "infraledger_crawler_not_modified", "Feeds/sitemaps unchanged (304 or same body)"
)
PUBLISHED = Counter("infraledger_crawler_published", "Articles published to articles.v1")
PENDING = Gauge(
    "infraledger_crawler_pending_claims",
    "Articles claimed over a minute ago and not yet marked published (the broker away), "
    "counted around each republish",
)
DUPLICATES = Counter(
    "infraledger_crawler_duplicates", "Articles dropped as duplicates", ["kind"]
)  # kind: url | exact | near
IRRELEVANT = Counter("infraledger_crawler_irrelevant", "Articles dropped as not relevant")
NOT_ARTICLE = Counter("infraledger_crawler_not_article", "Pages without article text")
ROBOTS_BLOCKED = Counter("infraledger_crawler_robots_blocked", "URLs forbidden by robots.txt")
ERRORS = Counter("infraledger_crawler_errors", "Fetch and processing errors", ["kind"])
LATENCY = Histogram(
    "infraledger_crawler_fetch_seconds",
    "Fetch latency per kind of fetch (per host would grow with every host a feed links to)",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
SOURCE_POLLED = Gauge(
    "infraledger_crawler_source_polled_timestamp_seconds",
    "Unix time of the source's last successful poll (an endpoint answered), kept across restarts",
    ["source"],
)
SOURCE_ARTICLE = Gauge(
    "infraledger_crawler_source_article_timestamp_seconds",
    "Unix time of the source's last poll that published a new article, kept across restarts",
    ["source"],
)
ARCHIVE_WRITABLE = Gauge(
    "infraledger_crawler_archive_writable",
    "0 within a minute of a WARC write that failed (a full disk, say), else 1",
)
