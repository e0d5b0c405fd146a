"""Turning what a merchant sent into a valid invoice (spec 6.4, 6.5; D-19, D-20, D-45).

Lenient where the official samples are sloppy (D-19: only `totalAmount` is required), strict
where money is concerned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import TypeVar
from urllib.parse import urlsplit

from . import errors
from .machine import Policy, expiry_deadline
from .money import Money
from .records import AckMode, Invoice, InvoiceRow, PaymentMode, Reseller, Terminal, TerminalKind
from .states import State

MAX_TEXT = 255  # D-45
# Ranges the domain can represent: beyond them an invoice could be accepted and then
# fail later (a deadline past year 9999, a date no time zone can convert).
MAX_COMMIT_TIMEOUT = 30 * 24 * 3600  # seconds
ISSUE_YEARS = range(1970, 9000)
MAX_DECIMAL_DIGITS = 18  # itemQuantity, itemTaxRate: like amounts (money.MAX_DIGITS)

E = TypeVar("E")


@dataclass(frozen=True, slots=True)
class AmountDraft:
    value: Decimal | None
    currency: str | None


@dataclass(frozen=True, slots=True)
class RowDraft:
    description: str | None = None
    discount: AmountDraft | None = None
    ean: str | None = None
    quantity: Decimal | None = None
    sku: str | None = None
    tax_rate: Decimal | None = None
    total: AmountDraft | None = None
    unit: str | None = None
    unit_price: AmountDraft | None = None


@dataclass(frozen=True, slots=True)
class InvoiceDraft:
    """Everything optional: what the merchant sent, unvalidated. None means absent."""

    payment_mode: str | None = None
    ack_mode: str | None = None
    issue_date: datetime | None = None
    title: str | None = None
    client_invoice_id: str | None = None
    rows: tuple[RowDraft, ...] | None = None
    total: AmountDraft | None = None
    cashier_id: str | None = None
    footer: str | None = None
    back_url: str | None = None
    notification_url: str | None = None
    commit_timeout: int | None = None


def new_invoice(
    draft: InvoiceDraft,
    *,
    reference: str,
    terminal: Terminal,
    reseller: Reseller,
    now: datetime,
    zone: tzinfo,
    policy: Policy,
) -> Invoice:
    total = _total(draft.total, reseller, policy)
    mode = _enum(PaymentMode, draft.payment_mode, PaymentMode.IMMEDIATE_DEBIT, "paymentMode")
    ack = _enum(AckMode, draft.ack_mode, terminal.ack_mode_default, "acknowledgmentMode")
    rows = _rows(draft.rows or (), total, terminal)
    return Invoice(
        reference=reference,
        terminal_id=terminal.terminal_id,
        reseller_id=terminal.reseller_id,
        state=State.ISSUED,
        version=1,  # D-13
        payment_mode=mode,
        ack_mode=ack,
        issue_date=_zoned(draft.issue_date, zone) or now,
        total=total,
        created_at=now,
        title=_text(draft.title, "title") or terminal.name,
        client_invoice_id=_text(draft.client_invoice_id, "clientInvoiceId"),
        rows=rows,
        cashier_id=_text(draft.cashier_id, "cashierId"),
        footer=_text(draft.footer, "footer"),
        back_url=_back_url(draft.back_url),
        notification_url=draft.notification_url or None,
        commit_timeout=_commit_timeout(draft.commit_timeout, mode, policy),
        deadline_at=expiry_deadline(now, policy, terminal.kind is TerminalKind.CASH_REGISTER),
    )


def merged_update(
    inv: Invoice,
    draft: InvoiceDraft,
    *,
    terminal: Terminal,
    reseller: Reseller,
    zone: tzinfo,
    policy: Policy,
) -> Invoice:
    """Present elements replace stored ones; a present rows wrapper replaces all rows (D-49)."""
    total = _total(draft.total, reseller, policy) if draft.total is not None else inv.total
    if total.currency != inv.currency and inv.state is State.RESERVED:
        raise errors.InvalidCurrency("cannot change the currency of a reservation")
    rows = _rows(draft.rows, total, terminal) if draft.rows is not None else inv.rows
    ack = _enum(AckMode, draft.ack_mode, inv.ack_mode, "acknowledgmentMode")
    mode = _enum(PaymentMode, draft.payment_mode, inv.payment_mode, "paymentMode")
    if mode is not inv.payment_mode:
        raise errors.InvalidInvoiceData("paymentMode cannot change after the invoice was sent")

    def pick(new: str | None, old: str | None, name: str) -> str | None:
        return _text(new, name) if new is not None else old

    return replace(
        inv,
        total=total,
        rows=rows,
        ack_mode=ack,
        issue_date=_zoned(draft.issue_date, zone) or inv.issue_date,
        title=pick(draft.title, inv.title, "title"),
        client_invoice_id=pick(draft.client_invoice_id, inv.client_invoice_id, "clientInvoiceId"),
        cashier_id=pick(draft.cashier_id, inv.cashier_id, "cashierId"),
        footer=pick(draft.footer, inv.footer, "footer"),
        back_url=_back_url(draft.back_url) if draft.back_url is not None else inv.back_url,
        notification_url=draft.notification_url or inv.notification_url,
    )


def money(draft: AmountDraft | None, what: str = "amount") -> Money:
    if draft is None or draft.value is None:
        raise errors.InvalidInvoiceData(f"{what} is required")
    return Money.of(draft.value, draft.currency)


def positive_amount(draft: AmountDraft | None, reseller: Reseller, policy: Policy) -> Money:
    """An amount the reseller accepts: known currency (49), positive and within limits (11)."""
    return _total(draft, reseller, policy)


def _total(draft: AmountDraft | None, reseller: Reseller, policy: Policy) -> Money:
    total = money(draft, "totalAmount")
    if total.currency not in reseller.currencies:
        raise errors.InvalidCurrency(f"currency {total.currency} is not accepted")
    if not total.is_positive:
        raise errors.AmountRejected("the amount must be greater than zero")
    if policy.max_amount is not None and total.amount > policy.max_amount:
        raise errors.AmountRejected("the amount is above the limit")
    return total


def _rows(rows: tuple[RowDraft, ...], total: Money, terminal: Terminal) -> tuple[InvoiceRow, ...]:
    out = tuple(_row(r, total.currency) for r in rows)
    if terminal.strict_rows and out:
        nets = [r.net for r in out]
        if (
            any(n is None for n in nets)
            or sum((n.amount for n in nets if n is not None), Decimal(0)) != total.amount
        ):
            raise errors.InvalidInvoiceData("the invoice rows do not add up to totalAmount")
    return out


def _row(r: RowDraft, currency: str) -> InvoiceRow:
    def amount(d: AmountDraft | None, name: str) -> Money | None:
        if d is None or (d.value is None and not d.currency):
            return None
        m = Money.of(d.value if d.value is not None else Decimal(0), d.currency or currency)
        if m.currency != currency:
            raise errors.InvalidCurrency(f"{name} is in {m.currency}, the invoice in {currency}")
        return m

    return InvoiceRow(
        description=_text(r.description, "itemDescription"),
        discount=amount(r.discount, "itemDiscount"),
        ean=_text(r.ean, "itemEAN"),
        quantity=_decimal(r.quantity, "itemQuantity"),
        sku=_text(r.sku, "itemSKU"),
        tax_rate=_decimal(r.tax_rate, "itemTaxRate"),
        total=amount(r.total, "itemTotalAmount"),
        unit=_text(r.unit, "itemUnit"),
        unit_price=amount(r.unit_price, "itemUnitPrice"),
    )


def _enum(kind: Callable[[str], E], raw: str | None, default: E, name: str) -> E:
    if raw is None or raw == "":
        return default
    try:
        return kind(raw.strip())
    except ValueError:
        raise errors.InvalidInvoiceData(f"{name} {raw!r} is not known") from None


def _text(value: str | None, name: str) -> str | None:
    if value is not None and len(value) > MAX_TEXT:
        raise errors.InvalidInvoiceData(f"{name} is longer than {MAX_TEXT} characters")
    return value


def _decimal(value: Decimal | None, name: str) -> Decimal | None:
    if value is None:
        return None
    if (
        not value.is_finite()
        or len(value.as_tuple().digits) > MAX_DECIMAL_DIGITS
        or not -MAX_DECIMAL_DIGITS <= value.as_tuple().exponent <= MAX_DECIMAL_DIGITS  # type: ignore[operator]
    ):
        raise errors.InvalidInvoiceData(f"{name} must be a number of at most 18 digits")
    return value


def _zoned(value: datetime | None, zone: tzinfo) -> datetime | None:
    """D-41: a zone-less issueDate is in the server's zone."""
    if value is None:
        return None
    if value.year not in ISSUE_YEARS:  # checked before any zone arithmetic can overflow
        raise errors.InvalidInvoiceData(
            f"issueDate must be between {ISSUE_YEARS.start} and {ISSUE_YEARS.stop - 1}"
        )
    if value.tzinfo is not None:
        return value
    return value.replace(tzinfo=zone)


def _back_url(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or len(url) > 2048 or any(c.isspace() for c in url):
        raise errors.InvalidInvoiceData("backURL must be an absolute URL")
    return url


def _commit_timeout(value: int | None, mode: PaymentMode, policy: Policy) -> int | None:
    if value is not None and not 0 < value <= MAX_COMMIT_TIMEOUT:
        raise errors.InvalidInvoiceData(
            f"commitReservationTimeout must be between 1 and {MAX_COMMIT_TIMEOUT} seconds"
        )
    if value is None and mode is PaymentMode.RESERVATION_REQUIRED_PRELIMINARY_AMOUNT:
        return policy.default_commit_timeout
    return value
