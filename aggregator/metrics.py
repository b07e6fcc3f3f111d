"""Prometheus metrics of the service, in one registry of their own (so that tests and
several apps in one process never collide on the global registry)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry(auto_describe=True)

FETCHES = Counter(
    "aggregator_fetches",
    "Source fetches by outcome (ok, not_modified, error kind).",
    ["outcome"],
    registry=REGISTRY,
)
FETCH_SECONDS = Histogram(
    "aggregator_fetch_duration_seconds",
    "Time of one source refresh, fetch to commit.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 60),
    registry=REGISTRY,
)
ITEMS = Counter("aggregator_items_ingested", "New items stored.", registry=REGISTRY)
ITEMS_UPDATED = Counter(
    "aggregator_items_updated", "Stored items whose content changed.", registry=REGISTRY
)
STORIES = Counter(
    "aggregator_stories_created", "New stories (items that joined none).", registry=REGISTRY
)
SOURCES_IN_ERROR = Gauge(
    "aggregator_sources_in_error", "Sources whose last fetch failed.", registry=REGISTRY
)
PUBLISH_SECONDS = Histogram(
    "aggregator_publish_duration_seconds",
    "Time to render and write the outputs.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
OUTPUT_REQUESTS = Counter(
    "aggregator_output_requests",
    "Requests for the output, by path and status.",
    ["path", "status"],
    registry=REGISTRY,
)
CONFIG_RELOADS = Counter(
    "aggregator_config_reloads", "Configuration reloads by result.", ["result"], registry=REGISTRY
)


def exposition() -> bytes:
    """The metrics in the Prometheus text format."""
    return bytes(generate_latest(REGISTRY))
