"""Wire messages (openseqr.protocol) ⇄ domain records (openseqr.core). Explicit, field by field."""

from __future__ import annotations

from datetime import tzinfo

from ..core import invoicing
from ..core.money import Money
from ..core.records import Invoice, InvoiceRow, Token
from ..protocol import types as w


def amount_draft(a: w.Amount | None) -> invoicing.AmountDraft | None:
    return None if a is None else invoicing.AmountDraft(a.value, a.currency)


def invoice_draft(inv: w.Invoice | None) -> invoicing.InvoiceDraft:
    if inv is None:
        return invoicing.InvoiceDraft()
    rows = None
    if inv.invoice_rows is not None:
        rows = tuple(
            invoicing.RowDraft(
                description=r.item_description,
                discount=amount_draft(r.item_discount),
                ean=r.item_ean,
                quantity=r.item_quantity,
                sku=r.item_sku,
                tax_rate=r.item_tax_rate,
                total=amount_draft(r.item_total_amount),
                unit=r.item_unit,
                unit_price=amount_draft(r.item_unit_price),
            )
            for r in inv.invoice_rows
        )
    return invoicing.InvoiceDraft(
        payment_mode=inv.payment_mode,
        ack_mode=inv.acknowledgment_mode,
        issue_date=inv.issue_date,
        title=inv.title,
        client_invoice_id=inv.client_invoice_id,
        rows=rows,
        total=amount_draft(inv.total_amount),
        cashier_id=inv.cashier_id,
        footer=inv.footer,
        back_url=inv.back_url,
        notification_url=inv.notification_url,
        commit_timeout=inv.commit_reservation_timeout,
    )


def tokens_in(tokens: tuple[w.CustomerToken, ...]) -> tuple[Token, ...]:
    return tuple(Token(t.id, t.value, t.status or 0, t.description) for t in tokens)


def tokens_out(tokens: tuple[Token, ...]) -> tuple[w.CustomerToken, ...]:
    return tuple(w.CustomerToken(t.description, t.id, t.status, t.value) for t in tokens)


def _amount(m: Money | None) -> w.Amount | None:
    return None if m is None else w.Amount(m.currency, m.amount)


def _row(r: InvoiceRow) -> w.InvoiceRow:
    return w.InvoiceRow(
        item_description=r.description,
        item_discount=_amount(r.discount),
        item_ean=r.ean,
        item_quantity=r.quantity,
        item_sku=r.sku,
        item_tax_rate=r.tax_rate,
        item_total_amount=_amount(r.total),
        item_unit=r.unit,
        item_unit_price=_amount(r.unit_price),
    )


def wire_invoice(inv: Invoice, zone: tzinfo) -> w.Invoice:
    return w.Invoice(
        payment_mode=inv.payment_mode.value,
        acknowledgment_mode=inv.ack_mode.value,
        issue_date=inv.issue_date.astimezone(zone),
        title=inv.title,
        client_invoice_id=inv.client_invoice_id,
        invoice_rows=tuple(_row(r) for r in inv.rows) or None,
        total_amount=_amount(inv.total),
        cashier_id=inv.cashier_id,
        footer=inv.footer,
        back_url=inv.back_url,
        notification_url=inv.notification_url,
        commit_reservation_timeout=inv.commit_timeout,
    )


def receipt(inv: Invoice, receiver_name: str, zone: tzinfo) -> w.Receipt:
    return w.Receipt(
        terminal_id=inv.terminal_id,
        payment_date=inv.paid_at.astimezone(zone) if inv.paid_at else None,
        client_invoice_id=inv.client_invoice_id,
        invoice_reference=inv.reference,
        payment_reference=inv.ers_reference,  # D-23
        payer_terminal_id=inv.payer_terminal_id,
        receiver_name=receiver_name,
        invoice=wire_invoice(inv, zone),
    )
