"""What the web console reads and does, always within a principal's scope (A-57).

`scope` is a reseller id (a merchant signed in to its portal) or None (an operator). Anything
outside the scope is reported exactly like something that does not exist (`Missing`), so a
merchant learns nothing about other merchants' objects, by URL or by form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..core.console import AuditEntry, InvoiceSearch, LedgerLine
from ..core.invoicing import InvoiceDraft
from ..core.records import (
    DeliveryAttempt,
    Invoice,
    InvoiceEvent,
    Notification,
    ReceiptDocument,
    Refund,
)
from .admin import redeliver_notification
from .auth import Caller
from .context import Context
from .merchant import refund_payment


class Missing(LookupError):
    """Unknown, or outside the principal's scope (the same answer on purpose)."""


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One line of an invoice's history; the shape of `core.records.InvoiceEvent`."""

    at: datetime | None
    kind: str
    actor: str
    actor_id: str | None = None
    detail: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: Invoice
    timeline: list[TimelineEvent | InvoiceEvent]
    ledger: list[LedgerLine]
    refunds: list[Refund]
    receipts: list[ReceiptDocument]
    notifications: list[tuple[Notification, list[DeliveryAttempt]]]


def search_invoices(ctx: Context, search: InvoiceSearch) -> list[Invoice]:
    with ctx.store.transaction(write=False) as tx:
        return tx.search_invoices(search)


def invoice_detail(ctx: Context, scope: str | None, reference: str) -> InvoiceDetail:
    with ctx.store.transaction(write=False) as tx:
        invoice = tx.get_invoice(reference)
        if invoice is None or (scope is not None and invoice.reseller_id != scope):
            raise Missing(reference)
        refunds = tx.refunds_of_invoice(reference)
        receipts = [doc for ers in _ers_of(invoice, refunds) for doc in tx.receipt_documents(ers)]
        notifications = [
            (n, tx.attempts_of(n.notification_id)) for n in tx.list_notifications(reference, 50)
        ]
        timeline: list[TimelineEvent | InvoiceEvent] = list(tx.invoice_events(reference))
        if not timeline:  # an invoice from before the history existed (migration 0005)
            timeline = list(derived_timeline(invoice, refunds, receipts, notifications))
        return InvoiceDetail(
            invoice, timeline, tx.ledger_of_invoice(reference), refunds, receipts, notifications
        )


def _ers_of(invoice: Invoice, refunds: list[Refund]) -> list[str]:
    return [e for e in [invoice.ers_reference, *(r.ers_reference for r in refunds)] if e]


def derived_timeline(
    invoice: Invoice,
    refunds: list[Refund],
    receipts: list[ReceiptDocument],
    notifications: list[tuple[Notification, list[DeliveryAttempt]]],
) -> list[TimelineEvent]:
    """The history rebuilt from the rows that exist, for invoices created before the event
    history (`invoice_events`, A-47) was recorded."""
    events = [TimelineEvent(invoice.created_at, "sent", "terminal", invoice.terminal_id)]
    if invoice.paid_at is not None:
        events.append(TimelineEvent(invoice.paid_at, "paid", "customer", invoice.payer))
    if invoice.settled_at is not None:
        events.append(TimelineEvent(invoice.settled_at, "acknowledged", "terminal"))
    if invoice.state.value in ("cancelled", "failed", "reversed"):
        reason = {"reason": invoice.reason} if invoice.reason else {}
        events.append(TimelineEvent(None, invoice.state.value, "system", None, reason))
    events += [
        TimelineEvent(
            r.created_at,
            "refunded",
            "terminal",
            r.terminal_id,
            {"amount": f"{r.amount.amount} {r.amount.currency}"},
        )  # fmt: skip
        for r in refunds
    ]
    events += [TimelineEvent(d.created_at, "receipt_submitted", "terminal") for d in receipts]
    for n, attempts in notifications:
        events += [
            TimelineEvent(
                a.started_at,
                "notification_attempt",
                "system",
                n.notification_id,
                {"status": str(a.status_code or a.error or "")},
            )  # fmt: skip
            for a in attempts
        ]
    known = [e for e in events if e.at is not None]
    return sorted(known, key=lambda e: e.at or invoice.created_at) + [
        e for e in events if e.at is None
    ]


def notifications_needing_care(
    ctx: Context, scope: str | None, limit: int = 100
) -> tuple[list[Notification], list[Notification]]:
    """(failed, pending) deliveries, within the scope."""
    with ctx.store.transaction(write=False) as tx:
        failed = tx.notifications_needing_care(scope, "failed", limit)
        pending = tx.notifications_needing_care(scope, "pending", limit)
    return failed, pending


def _merchant_of(ctx: Context, scope: str | None, notification_id: str) -> str:
    """The reseller whose notification this is, if the scope may see it."""
    with ctx.store.transaction(write=False) as tx:
        n = tx.get_notification(notification_id)
        terminal = tx.get_terminal(n.terminal_id) if n is not None else None
    if terminal is None or (scope is not None and terminal.reseller_id != scope):
        raise Missing(notification_id)
    return terminal.reseller_id


def redeliver(
    ctx: Context, scope: str | None, notification_id: str, by: str
) -> tuple[Notification, str]:
    """Send the same notification body once more (the relay delivers it; A-57), recorded in
    the invoice's history as `by`'s; the notification and its merchant."""
    reseller_id = _merchant_of(ctx, scope, notification_id)
    return redeliver_notification(ctx, notification_id, operator=by), reseller_id


def refund(
    ctx: Context, scope: str | None, reference: str, draft: InvoiceDraft
) -> tuple[Invoice, Refund]:
    """Refund an invoice's payment through the SOAP `refundPayment` use case, as the invoice's
    own terminal; a merchant may refund only its own invoices."""
    with ctx.store.transaction(write=False) as tx:
        invoice = tx.get_invoice(reference)
        if invoice is None or (scope is not None and invoice.reseller_id != scope):
            raise Missing(reference)
        terminal = tx.get_terminal(invoice.terminal_id)
        reseller = tx.get_reseller(invoice.reseller_id)
    if terminal is None or reseller is None:
        raise Missing(reference)
    done = refund_payment(ctx, Caller(reseller, terminal), invoice.ers_reference, draft)
    return invoice, done


def audit_entries(
    ctx: Context, scope: str | None, before_id: int | None, limit: int = 100
) -> list[AuditEntry]:
    with ctx.store.transaction(write=False) as tx:
        return tx.audit_entries(scope, before_id, limit)
