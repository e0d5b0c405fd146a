"""Reading and bounding the invoice event history (A-47, A-49).

Events are written by the use cases themselves (`writes.persist`, `writes.record_delivery`, and
the few actions beside the transition table); this module only reads them for operators and
purges what is older than the retention, one small batch per transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ..core.records import InvoiceEvent
from .admin import AdminError
from .context import Context

PURGE_BATCH = 1000  # rows per purge transaction: short, so it never holds the writer for long


def invoice_history(ctx: Context, reference: str) -> list[InvoiceEvent]:
    """The events of one invoice, oldest first. An invoice without events (written before the
    history existed) gives an empty list; a reference nobody knows is an `AdminError`."""
    with ctx.store.transaction(write=False) as tx:
        events = tx.invoice_events(reference)
        if not events and tx.get_invoice(reference) is None:
            raise AdminError(f"no invoice {reference!r}")
    return events


def purge_batch(
    ctx: Context,
    now: datetime | None = None,
    retention: timedelta | None = None,
    limit: int = PURGE_BATCH,
) -> int:
    """Delete up to `limit` events older than the retention (the configured one by default);
    returns how many. A result equal to `limit` means more may be due."""
    keep = retention if retention is not None else ctx.config.event_retention
    if keep is None:
        return 0
    cutoff = (now or ctx.now()) - keep
    with ctx.store.transaction() as tx:
        return tx.purge_events(cutoff, limit)


def purge_all(ctx: Context, retention: timedelta | None = None, now: datetime | None = None) -> int:
    """Batches until none is full: what `openseqr events purge` runs."""
    total = 0
    while True:
        deleted = purge_batch(ctx, now, retention)
        total += deleted
        if deleted < PURGE_BATCH:
            return total
