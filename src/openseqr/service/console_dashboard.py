"""The console dashboard's numbers (A-59): payments over the last hour and day, their outcome
rates, notification delivery health and load shedding.

Invoices are counted in the bucket they were created in, by the state they are in now, so a
bucket can still change while its invoices are being paid. Every read is a range search on an
index (migrations 0006, 0007), so the cost follows the window, not the history.
"""

from __future__ import annotations

import importlib
import logging
import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from ..core.ports import Tx
from ..core.states import State
from .context import Context

log = logging.getLogger(__name__)
PAID_STATES = frozenset({State.PAID.value, State.PAID_UNACKED.value})


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    paid: int = 0
    failed: int = 0  # declined by the account provider (or the wallet had too little)
    reversed: int = 0  # paid, then reversed when the acknowledgement window ran out
    other: int = 0  # still open, or cancelled

    def plus(self, state: str, count: int) -> Bucket:
        if state in PAID_STATES:
            return replace(self, paid=self.paid + count)
        if state == State.FAILED.value:
            return replace(self, failed=self.failed + count)
        if state == State.REVERSED.value:
            return replace(self, reversed=self.reversed + count)
        return replace(self, other=self.other + count)

    @property
    def outcomes(self) -> int:
        """Invoices that reached a payment outcome: paid, failed or reversed."""
        return self.paid + self.failed + self.reversed


@dataclass(frozen=True, slots=True)
class Window:
    label: str
    width: timedelta  # of one bucket
    buckets: tuple[Bucket, ...]

    @property
    def total(self) -> Bucket:
        b = self.buckets
        return Bucket(b[0].start, sum(x.paid for x in b), sum(x.failed for x in b),
                      sum(x.reversed for x in b), sum(x.other for x in b))  # fmt: skip

    def rate(self, what: str) -> float | None:
        """Share of outcomes that were `what` (paid, failed, reversed); None without outcomes."""
        total = self.total
        count: int = getattr(total, what)
        return count / total.outcomes if total.outcomes else None

    @property
    def per_minute(self) -> float:
        minutes = self.width.total_seconds() / 60 * len(self.buckets)
        return self.total.paid / minutes


@dataclass(frozen=True, slots=True)
class NotificationHealth:
    pending: int
    retrying: int  # pending after at least one failed attempt
    failed_last_day: int  # gave up
    deliveries_last_hour: int
    p99_delay_last_hour: float | None  # seconds from the PAID commit to the 2xx answer


@dataclass(frozen=True, slots=True)
class Dashboard:
    at: datetime
    hour: Window
    day: Window
    notifications: NotificationHealth
    load_shed: float | None  # None: this server has no metrics to read it from


def _floor(t: datetime, width: timedelta) -> datetime:
    seconds = int((t - datetime(2000, 1, 1, tzinfo=UTC)).total_seconds())
    step = int(width.total_seconds())
    return datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds - seconds % step)


def window(
    tx: Tx, label: str, end: datetime, width: timedelta, n: int, reseller_id: str | None
) -> Window:
    """`n` buckets of `width` ending at `end` (exclusive): one small indexed count per bucket,
    which reads far less than grouping the whole day by an expression (no sort)."""
    start = end - width * n
    buckets = []
    for i in range(n):
        bucket = Bucket(start + width * i)
        counts = tx.invoice_states_between(bucket.start, bucket.start + width, reseller_id)
        for state, count in counts.items():
            bucket = bucket.plus(state, count)
        buckets.append(bucket)
    return Window(label, width, tuple(buckets))


def p99(values: list[float]) -> float | None:
    """Nearest-rank 99th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.99 * len(ordered)) - 1)]


def load_shed_total() -> float | None:
    """Integration point with `openseqr.observability.metrics` (the /metrics work, A-59): the
    requests shed with result 93, summed over the server's processes. None while that module
    is absent; the database does not record shed requests, they never reach it."""
    try:
        metrics = importlib.import_module("openseqr.observability.metrics")
    except ImportError:
        return None
    try:
        return float(metrics.counter_total("openseqr_load_shed_total"))
    except Exception:  # the dashboard shows the rest; a metrics fault is logged, not a 500
        log.warning("cannot read openseqr_load_shed_total", exc_info=True)
        return None


def dashboard(ctx: Context, reseller_id: str | None = None) -> Dashboard:
    """Across the platform, or of one merchant (`reseller_id`: its portal, no load shedding)."""
    now = ctx.now()
    minute, quarter = timedelta(minutes=1), timedelta(minutes=15)
    hour_end, day_end = _floor(now, minute) + minute, _floor(now, quarter) + quarter
    with ctx.store.transaction(write=False) as tx:  # one snapshot for every number
        hour = window(tx, "Last hour, per minute", hour_end, minute, 60, reseller_id)
        day = window(tx, "Last day, per 15 minutes", day_end, quarter, 96, reseller_id)
        pending, retrying = tx.count_pending_notifications(reseller_id)
        failed = tx.failed_notifications_since(now - timedelta(days=1), reseller_id)
        delays = tx.delivery_delays_since(now - timedelta(hours=1), reseller_id)
    health = NotificationHealth(pending, retrying, failed, len(delays), p99(delays))
    return Dashboard(
        now,
        hour,
        day,
        health,
        load_shed_total() if reseller_id is None else None,
    )
