"""The service's metrics, in the Prometheus exposition format (the official client library).

Counters and histograms live in the process; with several workers (`serve --workers N`) each
writes them to files in PROMETHEUS_MULTIPROC_DIR, which the supervisor sets before it starts
them, and a scrape of any worker adds up all of them (the client's multiprocess mode). What the
database knows (log size, checkpoint age, settlement runs) is read from it at scrape time, so it
is the same whichever worker answers.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "distillgov_http_requests",
    "HTTP requests answered, by method, route (the path template) and status.",
    ["method", "route", "status"],
)
LATENCY = Histogram(
    "distillgov_http_request_duration_seconds",
    "Time from a request's arrival to the end of its answer, by route.",
    ["route"],
    buckets=LATENCY_BUCKETS,
)
DECISION_QUEUE = Gauge(
    "distillgov_decision_log_queue",
    "Decisions waiting to be written to the decision log (their requests are not answered yet).",
    multiprocess_mode="livesum",
)
DECISION_BATCH = Histogram(
    "distillgov_decision_log_batch_seconds",
    "Time to write one batch of decisions, commit included.",
    buckets=LATENCY_BUCKETS,
)
DECISION_BATCH_SIZE = Histogram(
    "distillgov_decision_log_batch_decisions",
    "Decisions per batch written to the decision log.",
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500, 1000),
)
CHECKPOINTS = Counter(
    "distillgov_checkpoints_signed", "Checkpoints this service signed (see DISTILLGOV_LOG_KEY)."
)


class DatabaseFigures(Collector):
    """Gauges read from the database when scraped: `figures` returns the values."""

    def __init__(self, figures: Any) -> None:
        self.figures = figures

    def collect(self) -> Iterator[GaugeMetricFamily]:
        found = self.figures()
        log = found["log"]
        yield _gauge("distillgov_log_entries", "Entries in the transparency log.", log["size"])
        signed = log["checkpoint_size"]
        yield _gauge(
            "distillgov_log_unsigned_entries",
            "Entries not yet covered by a signed checkpoint.",
            log["size"] - (signed or 0),
        )
        at = log["checkpoint_signed_at"]
        age = (
            (dt.datetime.now(dt.UTC).replace(tzinfo=None) - at).total_seconds()
            if at is not None
            else float("nan")
        )
        yield _gauge(
            "distillgov_log_checkpoint_age_seconds",
            "Seconds since the latest checkpoint was signed (NaN: none, or signed before its "
            "time was recorded).",
            age,
        )
        runs = found["settlement"]
        yield _gauge(
            "distillgov_settled_licence_months",
            "Licence-months the clearinghouse has settled.",
            runs["settled_licence_months"],
        )
        yield _gauge(
            "distillgov_pool_distribution_runs",
            "Distributions of the collective pool that have run.",
            runs["pool_runs"],
        )


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def exposition(database: Iterable[Collector]) -> tuple[bytes, str]:
    """The metrics page and its content type: the process's (or, with several workers, all
    workers') own metrics, then the database's."""
    if os.environ.get(MULTIPROCESS):
        own = CollectorRegistry()
        MultiProcessCollector(own)  # type: ignore[no-untyped-call]
    else:
        own = REGISTRY
    extra = CollectorRegistry(auto_describe=False)
    for collector in database:
        extra.register(collector)
    return generate_latest(own) + generate_latest(extra), CONTENT_TYPE_LATEST
