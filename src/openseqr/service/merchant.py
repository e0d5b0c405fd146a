"""The merchant SOAP API's use cases (spec 7). One function per operation, one transaction each.

Callers are already authenticated (`auth.authenticate`); every function checks the principal kind
and that the invoice belongs to the calling terminal (54 otherwise: a terminal never sees another
terminal's invoices).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from ..core import errors, history, ids, machine
from ..core.invoicing import AmountDraft, InvoiceDraft, merged_update, new_invoice, positive_amount
from ..core.money import Money
from ..core.ports import DuplicateKey, Tx
from ..core.records import (
    Invoice,
    PrincipalStatus,
    ReceiptDocument,
    Refund,
    Terminal,
    TerminalKind,
    Token,
)
from ..core.states import LIVE, State
from ..protocol import urls
from .auth import Caller
from .context import Context
from .provider import refuses_when_unavailable
from .security import hash_secret
from .writes import persist

SEQR_ID = re.compile(r"[A-Za-z0-9]{1,32}")


@dataclass(frozen=True, slots=True)
class SentInvoice:
    reference: str
    qr_code: str


def check_notification_url(ctx: Context, url: str | None) -> None:
    """64 for a malformed URL (D-44) or a literal address the operator's policy denies."""
    if not url:
        return
    try:
        urls.validate_notification_url(url)
    except urls.InvalidNotificationUrl as exc:
        raise errors.InvalidNotificationUrl(str(exc)) from None
    reason = ctx.config.destinations.check(url)
    if reason:
        raise errors.InvalidNotificationUrl(reason)


def send_invoice(
    ctx: Context, caller: Caller, draft: InvoiceDraft, tokens: tuple[Token, ...] = ()
) -> SentInvoice:
    terminal = caller.require_terminal()
    check_notification_url(ctx, draft.notification_url)
    now = ctx.now()
    for _ in range(5):
        inv = new_invoice(
            draft,
            reference=ids.invoice_reference(ctx.local(now)),
            terminal=terminal,
            reseller=caller.reseller,
            now=now,
            zone=ctx.config.zone,
            policy=ctx.policy,
        )
        if tokens:
            inv = replace(inv, tokens=tokens)
        try:
            with ctx.store.transaction() as tx:
                if terminal.kind is TerminalKind.CASH_REGISTER:
                    _supersede_live(ctx, tx, terminal)
                tx.insert_invoice(inv)
                tx.append_event(history.sent_event(inv, now))
            return SentInvoice(inv.reference, urls.invoice_qr(inv.reference))
        except DuplicateKey:
            continue
    raise errors.DomainError("could not allocate an invoice reference")


def _supersede_live(ctx: Context, tx: Tx, terminal: Terminal) -> None:
    """T13: one live invoice per cash register; one already paying is left alone (D-36)."""
    now = ctx.now()
    for old in tx.live_invoices(terminal.terminal_id):
        if old.state in LIVE:
            persist(ctx, tx, old, machine.supersede(old, now), terminal)


def _own_invoice(tx: Tx, terminal: Terminal, reference: str | None, lock: bool = False) -> Invoice:
    if reference:
        inv = tx.lock_invoice(reference) if lock else tx.get_invoice(reference)
    elif terminal.kind is TerminalKind.CASH_REGISTER:  # D-37
        inv = tx.latest_invoice(terminal.terminal_id)
        if inv is not None and lock:
            inv = tx.lock_invoice(inv.reference)
    else:
        inv = None
    if inv is None or inv.terminal_id != terminal.terminal_id:
        raise errors.InvoiceNotFound()
    return inv


def get_payment_status(
    ctx: Context, caller: Caller, reference: str | None, version: int | None
) -> Invoice:
    """Read the status; returning PAID to the owning terminal acknowledges it (D-11)."""
    terminal = caller.require_terminal()
    register = _is_register(terminal)
    with ctx.store.transaction(write=False) as tx:
        inv = _own_invoice(tx, terminal, reference)
    now = ctx.now()
    if machine.status_read(inv, version, now, ctx.policy, register) is None:
        return inv  # the usual poll: no write
    with ctx.store.transaction() as tx:
        inv = _own_invoice(tx, terminal, inv.reference, lock=True)
        decision = machine.status_read(inv, version, now, ctx.policy, register)
        return inv if decision is None else persist(ctx, tx, inv, decision, terminal)


def _is_register(terminal: Terminal) -> bool:
    return terminal.kind is TerminalKind.CASH_REGISTER


def update_invoice(
    ctx: Context,
    caller: Caller,
    reference: str | None,
    draft: InvoiceDraft,
    tokens: tuple[Token, ...] | None,
) -> Invoice:
    terminal = caller.require_terminal()
    check_notification_url(ctx, draft.notification_url)
    with ctx.store.transaction() as tx:
        inv = _own_invoice(tx, terminal, reference, lock=True)

        def merge(current: Invoice) -> Invoice:
            return merged_update(
                current,
                draft,
                terminal=terminal,
                reseller=caller.reseller,
                zone=ctx.config.zone,
                policy=ctx.policy,
            )

        return persist(ctx, tx, inv, machine.update(inv, merge, tokens), terminal)


def cancel_invoice(ctx: Context, caller: Caller, reference: str | None) -> Invoice:
    terminal = caller.require_terminal()
    with ctx.store.transaction() as tx:
        inv = _own_invoice(tx, terminal, reference, lock=True)
        return persist(ctx, tx, inv, machine.merchant_cancel(inv, ctx.now()), terminal)


def commit_reservation(
    ctx: Context, caller: Caller, reference: str | None, amount: AmountDraft | None
) -> Invoice:
    terminal = caller.require_terminal()
    final = positive_amount(amount, caller.reseller, ctx.policy) if amount is not None else None
    now = ctx.now()
    with ctx.store.transaction() as tx:
        if refuses_when_unavailable(tx):
            raise errors.ProviderUnavailable()
        inv = _own_invoice(tx, terminal, reference, lock=True)
        decision = machine.commit(inv, final, ids.ers_reference(ctx.local(now)), now)
        return persist(ctx, tx, inv, decision, terminal)


def _payment_or_refund(tx: Tx, caller: Caller, ers_reference: str) -> Invoice | Refund:
    found: Invoice | Refund | None = tx.invoice_by_ers_reference(ers_reference)
    if found is None:
        found = tx.get_refund(ers_reference)
    if found is None or found.reseller_id != caller.reseller.reseller_id:
        raise errors.InvalidErsReference()
    return found


def submit_payment_receipt(
    ctx: Context,
    caller: Caller,
    ers_reference: str | None,
    mime_type: str | None,
    data: bytes | None,
    receipt_type: str | None,
) -> None:
    """Attach a receipt document to a payment or refund (D-24, D-25: anything goes, even empty)."""
    terminal = caller.require_terminal()
    now = ctx.now()
    with ctx.store.transaction() as tx:
        found = _payment_or_refund(tx, caller, ers_reference or "")
        tx.insert_receipt_document(
            ReceiptDocument(ers_reference or "", mime_type, data, receipt_type, now)
        )
        size = len(data or b"")
        tx.append_event(history.receipt_event(found, terminal.terminal_id, mime_type, size, now))


def refund_payment(
    ctx: Context, caller: Caller, ers_reference: str | None, draft: InvoiceDraft
) -> Refund:
    terminal = caller.require_terminal()
    check_notification_url(ctx, draft.notification_url)
    if draft.total is None or draft.total.value is None:
        raise errors.InvalidInvoiceData("totalAmount (the amount to refund) is required")
    amount = Money.of(draft.total.value, draft.total.currency)
    now = ctx.now()
    with ctx.store.transaction() as tx:
        if refuses_when_unavailable(tx):
            raise errors.ProviderUnavailable()
        inv = tx.invoice_by_ers_reference(ers_reference or "")
        if inv is None or inv.reseller_id != caller.reseller.reseller_id:
            raise errors.InvalidErsReference()
        inv = tx.lock_invoice(inv.reference) or inv
        refund_ref = ids.ers_reference(ctx.local(now))
        persist(
            ctx, tx, inv, machine.refund(inv, amount, refund_ref, caller.reseller, now), terminal
        )
        refund = Refund(
            ers_reference=refund_ref,
            payment_reference=inv.ers_reference or "",
            invoice_reference=inv.reference,
            terminal_id=terminal.terminal_id,
            reseller_id=inv.reseller_id,
            amount=amount,
            created_at=now,
            title=draft.title,
            cashier_id=draft.cashier_id,
            notification_url=draft.notification_url,
        )
        tx.insert_refund(refund)
        return refund


def register_terminal(
    ctx: Context, caller: Caller, external_id: str | None, password: str | None, name: str | None
) -> Terminal:
    reseller = caller.require_reseller_user()
    if not password or len(password) < 4:
        raise errors.InvalidNewPassword()
    for text in (external_id, name):
        if text is not None and len(text) > 255:
            raise errors.InvalidInvoiceData(
                "externalTerminalId and name are at most 255 characters"
            )
    terminal = Terminal(
        terminal_id=ids.terminal_id(),
        reseller_id=reseller.reseller_id,
        kind=TerminalKind.CASH_REGISTER,
        name=name or external_id or "Cash register",
        password_hash=hash_secret(password),
        external_terminal_id=external_id,
        created_at=ctx.now(),
    )
    with ctx.store.transaction() as tx:
        tx.insert_terminal(terminal)
    return terminal


def unregister_terminal(ctx: Context, caller: Caller) -> None:
    """D-31: the terminal's own context; live invoices cancelled, seqrId released (T20)."""
    terminal = caller.require_terminal()
    now = ctx.now()
    with ctx.store.transaction() as tx:
        for inv in tx.live_invoices(terminal.terminal_id):
            if inv.state is not State.PAYING:
                persist(ctx, tx, inv, machine.terminal_unregistered(inv, now), terminal)
        tx.update_terminal(replace(terminal, status=PrincipalStatus.UNREGISTERED, seqr_id=None))


def assign_seqr_id(ctx: Context, caller: Caller, seqr_id: str | None) -> None:
    terminal = caller.require_terminal()
    if not seqr_id or not SEQR_ID.fullmatch(seqr_id):
        raise errors.InvalidSeqrId()
    with ctx.store.transaction() as tx:
        holder = tx.terminal_by_seqr_id(seqr_id)
        if holder is not None and holder.terminal_id != terminal.terminal_id:
            raise errors.InvalidSeqrId("this SEQR ID is assigned to another terminal")
        current = tx.get_terminal(terminal.terminal_id) or terminal
        try:
            tx.update_terminal(replace(current, seqr_id=seqr_id))
        except DuplicateKey:
            raise errors.InvalidSeqrId("this SEQR ID is assigned to another terminal") from None


__all__ = [
    "SentInvoice",
    "send_invoice",
    "get_payment_status",
    "update_invoice",
    "cancel_invoice",
    "commit_reservation",
    "submit_payment_receipt",
    "refund_payment",
    "register_terminal",
    "unregister_terminal",
    "assign_seqr_id",
    "check_notification_url",
]
