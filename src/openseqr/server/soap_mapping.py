"""Wire messages (openseqr.protocol) ⇄ domain records (openseqr.core). Explicit, field by field."""

from __future__ import annotations

from datetime import tzinfo

from ..core import errors, invoicing
from ..core.money import Money
from ..core.records import Invoice, InvoiceRow, Token
from ..protocol import types as w
from ..protocol.url_checks import InvalidBackUrl, validate_back_url

MAX_TOKENS = 32  # customer tokens per invoice; each field as long as an invoice text field


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
        back_url=_back_url(inv.back_url),
        notification_url=inv.notification_url,
        commit_timeout=inv.commit_reservation_timeout,
    )


def _back_url(url: str | None) -> str | None:
    """The app opens it: no script-capable schemes (U11). Empty means absent."""
    if not url:
        return url
    try:
        return validate_back_url(url)
    except InvalidBackUrl as exc:
        raise errors.InvalidInvoiceData(f"backURL: {exc.reason}") from None


def tokens_in(tokens: tuple[w.CustomerToken, ...]) -> tuple[Token, ...]:
    if len(tokens) > MAX_TOKENS:
        raise errors.InvalidInvoiceData(f"at most {MAX_TOKENS} tokens")
    for t in tokens:
        if any(
            v is not None and len(v) > invoicing.MAX_TEXT for v in (t.id, t.value, t.description)
        ):
            raise errors.InvalidInvoiceData(f"token fields are at most {invoicing.MAX_TEXT} long")
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
