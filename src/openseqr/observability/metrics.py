"""The Prometheus series of openseqr (docs/operations.md lists them) and what the edges call.

The metric objects are process-wide, as Prometheus client libraries are built to be (A-50):
with `openseqr serve --workers N` each process writes its values to files in
`PROMETHEUS_MULTIPROC_DIR` (set up by `multiproc.prepare` before the workers start) and a
scrape sums them, so whichever process answers `/metrics` reports the whole server.

Hot paths call the `observe_*`/`count_*` functions below; each label child is bound once and
kept (`_child`), so a request costs a dict lookup and an increment, not a `labels()` call.
`openseqr_notifications_pending` is not kept here: it is counted in the database at scrape time
(`PendingNotifications`), because rows enqueued by one process are sent by another.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import REGISTRY, Collector

from ..core.records import Invoice
from ..core.states import State

disable_created_metrics()  # no `_created` twin of every series (several workers have none)

SOAP_REQUESTS = Counter(
    "openseqr_soap_requests",
    "SOAP requests answered, by operation and resultCode ('fault' for a SOAP Fault)",
    ["operation", "result_code"],
)
SOAP_DURATION = Histogram(
    "openseqr_soap_request_duration_seconds",
    "Time from the request's arrival to the end of the SOAP response, by operation",
    ["operation"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
APP_REQUESTS = Counter(
    "openseqr_app_requests",
    "JSON API requests answered, by route template and HTTP status",
    ["route", "status"],
)
PAYMENTS = Counter(
    "openseqr_payments",
    "Invoice outcomes: paid, reserved, failed, reversed, cancelled, refunded (docs/operations.md)",
    ["outcome"],
)
NOTIFICATION_DELIVERIES = Counter(
    "openseqr_notification_deliveries",
    "Notification attempts: delivered, retrying, failed (gave up) or denied (destination policy)",
    ["outcome"],
)
NOTIFICATION_DELAY = Histogram(
    "openseqr_notification_delay_seconds",
    "From the commit that owes a notification to the merchant's 2xx answer",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 300.0),
)
ACK_REVERSALS = Counter(
    "openseqr_ack_reversals",
    "Payments reversed because the merchant did not acknowledge them in the window",
)
LOAD_SHED = Counter(
    "openseqr_load_shed",
    "SOAP requests answered 93 SYSTEM_BUSY by the in-flight limit",
)

_children: dict[tuple[int, tuple[str, ...]], Any] = {}


def _child(metric: Any, *labels: str) -> Any:
    """The bound child for these label values, made once (label sets here are small)."""
    key = (id(metric), labels)
    child = _children.get(key)
    if child is None:
        child = _children.setdefault(key, metric.labels(*labels))
    return child


def observe_soap(operation: str, result_code: str, seconds: float) -> None:
    _child(SOAP_REQUESTS, operation, result_code).inc()
    _child(SOAP_DURATION, operation).observe(seconds)


def observe_app(route: str, status: int) -> None:
    _child(APP_REQUESTS, route, str(status)).inc()


_PAID = frozenset({State.PAID_UNACKED, State.PAID})
_ENDINGS = {State.RESERVED: "reserved", State.FAILED: "failed", State.CANCELLED: "cancelled"}


def payment_outcome(before: Invoice, after: Invoice) -> str | None:
    """What a written change means for the payments series, or None (views, updates,
    acknowledgements). A payment counts once as `paid` when the money moves (debit, or the
    commit of a reservation); a later reversal or refund counts under its own outcome."""
    if after.refunded > before.refunded:
        return "refunded"
    if after.state is before.state:
        return None
    if after.state in _PAID:
        return None if before.state in _PAID else "paid"
    if after.state is State.REVERSED:
        return "reversed"
    return _ENDINGS.get(after.state)


def count_payment(outcome: str) -> None:
    """An outcome of `payment_outcome`, after the transaction that wrote it committed."""
    _child(PAYMENTS, outcome).inc()
    if outcome == "reversed":
        ACK_REVERSALS.inc()


def count_delivery(outcome: str, delay_seconds: float | None = None) -> None:
    """One notification attempt; `delay_seconds` (commit to 2xx) when it was delivered."""
    _child(NOTIFICATION_DELIVERIES, outcome).inc()
    if delay_seconds is not None:
        NOTIFICATION_DELAY.observe(max(0.0, delay_seconds))


class PendingNotifications(Collector):
    """`openseqr_notifications_pending`, read from the database when scraped (A-51)."""

    def __init__(self, count: Callable[[], int]) -> None:
        self._count = count

    def collect(self) -> Iterable[GaugeMetricFamily]:
        yield GaugeMetricFamily(
            "openseqr_notifications_pending",
            "Notifications owed and not yet delivered or given up (all processes)",
            value=self._count(),
        )


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def scrape_registry(*extra: Collector) -> CollectorRegistry:
    """A registry for one scrape: every process's values (or this process's), plus `extra`."""
    registry = CollectorRegistry(auto_describe=False)
    path = multiprocess_dir()
    if path:
        MultiProcessCollector(registry, path=path)
    else:
        registry.register(_ThisProcess())
    for collector in extra:
        registry.register(collector)
    return registry


class _ThisProcess(Collector):
    def collect(self) -> Iterable[Any]:
        return REGISTRY.collect()


def counter_total(name: str, **labels: str) -> float:
    """The sum of a counter over all processes and over the label values not given, e.g.
    `counter_total("openseqr_payments_total", outcome="paid")` (the `_total` may be left off)."""
    sample_name = name if name.endswith("_total") else name + "_total"
    total = 0.0
    for family in scrape_registry().collect():
        for sample in family.samples:
            if sample.name != sample_name:
                continue
            if all(sample.labels.get(k) == v for k, v in labels.items()):
                total += sample.value
    return total
