"""core.invoicing: what a merchant sent becomes a valid invoice, or the named error (spec 6.4,
6.5; D-13, D-17, D-19, D-20, D-41, D-45, D-49)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from openseqr.core import errors
from openseqr.core.invoicing import (
    MAX_TEXT,
    AmountDraft,
    InvoiceDraft,
    RowDraft,
    merged_update,
    money,
    new_invoice,
    positive_amount,
)
from openseqr.core.machine import Policy
from openseqr.core.money import Money
from openseqr.core.records import (
    AckMode,
    PaymentMode,
    Reseller,
    Terminal,
    TerminalKind,
)
from openseqr.core.states import State

T0 = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
CET = timezone(timedelta(hours=1))
POLICY = Policy()
RESELLER = Reseller("shop", "9900", "hash", "Shop", currencies=("SEK", "EUR"))
ONLINE = Terminal("t1", "shop", TerminalKind.ONLINE, "Web till", "hash")
TILL = replace(ONLINE, kind=TerminalKind.CASH_REGISTER)
STRICT = replace(ONLINE, strict_rows=True)


def sek(value: str) -> AmountDraft:
    return AmountDraft(Decimal(value), "SEK")


def draft(**kw: object) -> InvoiceDraft:
    return InvoiceDraft(**{"total": sek("100.00"), **kw})  # type: ignore[arg-type]


def make(d: InvoiceDraft, terminal: Terminal = ONLINE, policy: Policy = POLICY):  # type: ignore[no-untyped-def]
    return new_invoice(
        d, reference="R1", terminal=terminal, reseller=RESELLER, now=T0, zone=CET, policy=policy
    )


def update(inv, d: InvoiceDraft, terminal: Terminal = ONLINE):  # type: ignore[no-untyped-def]
    return merged_update(inv, d, terminal=terminal, reseller=RESELLER, zone=CET, policy=POLICY)


# --------------------------------------------------------------------------- new_invoice


def test_only_total_amount_is_required_and_defaults_fill_the_rest() -> None:
    inv = make(draft())
    assert (inv.reference, inv.terminal_id, inv.reseller_id) == ("R1", "t1", "shop")
    assert inv.state is State.ISSUED and inv.version == 1
    assert inv.total == Money.of("100.00", "SEK")
    assert inv.payment_mode is PaymentMode.IMMEDIATE_DEBIT
    assert inv.ack_mode is ONLINE.ack_mode_default
    assert inv.issue_date == T0 and inv.created_at == T0
    assert inv.title == "Web till"  # the terminal's name when the merchant sent none
    assert inv.rows == () and inv.commit_timeout is None
    assert inv.back_url is None and inv.notification_url is None


def test_missing_total_is_invalid_invoice_data() -> None:
    with pytest.raises(errors.InvalidInvoiceData, match="totalAmount is required"):
        make(InvoiceDraft())
    with pytest.raises(errors.InvalidInvoiceData, match="totalAmount is required"):
        make(draft(total=AmountDraft(None, "SEK")))


def test_currency_the_reseller_does_not_accept() -> None:
    with pytest.raises(errors.InvalidCurrency, match="USD is not accepted"):
        make(draft(total=AmountDraft(Decimal("1.00"), "USD")))


@pytest.mark.parametrize("value", ["0", "0.00", "-0.01", "-100"])
def test_amount_must_be_greater_than_zero(value: str) -> None:
    with pytest.raises(errors.AmountRejected, match="greater than zero"):
        make(draft(total=sek(value)))


def test_smallest_positive_amount_is_accepted() -> None:
    assert make(draft(total=sek("0.01"))).total.amount == Decimal("0.01")


def test_max_amount_boundary() -> None:
    assert make(draft(total=sek("1000000"))).total.amount == Decimal("1000000")
    with pytest.raises(errors.AmountRejected, match="above the limit"):
        make(draft(total=sek("1000000.01")))
    unlimited = Policy(max_amount=None)
    assert make(draft(total=sek("99999999.99")), policy=unlimited).total.is_positive


def test_amount_with_too_many_minor_digits_is_invalid() -> None:
    with pytest.raises(errors.InvalidAmount):
        make(draft(total=sek("1.001")))


@pytest.mark.parametrize(
    ("raw", "mode"),
    [
        ("RESERVATION_DESIRED", PaymentMode.RESERVATION_DESIRED),
        (" RESERVATION_REQUIRED ", PaymentMode.RESERVATION_REQUIRED),
        ("", PaymentMode.IMMEDIATE_DEBIT),
    ],
)
def test_payment_mode_parsed_trimmed_and_empty_means_default(raw: str, mode: PaymentMode) -> None:
    assert make(draft(payment_mode=raw)).payment_mode is mode


def test_unknown_modes_are_invalid_invoice_data() -> None:
    with pytest.raises(errors.InvalidInvoiceData, match="paymentMode 'CASH' is not known"):
        make(draft(payment_mode="CASH"))
    with pytest.raises(errors.InvalidInvoiceData, match="acknowledgmentMode 'x' is not known"):
        make(draft(ack_mode="x"))


def test_ack_mode_default_comes_from_the_terminal() -> None:  # D-17
    requiring = replace(ONLINE, ack_mode_default=AckMode.REQUIRE_ACKNOWLEDGMENT)
    assert make(draft(), terminal=requiring).ack_mode is AckMode.REQUIRE_ACKNOWLEDGMENT
    sent = draft(ack_mode="OPTIONAL_ACKNOWLEDGMENT")
    assert make(sent, terminal=requiring).ack_mode is AckMode.OPTIONAL_ACKNOWLEDGMENT


def test_zone_less_issue_date_is_in_the_server_zone_and_zoned_is_kept() -> None:  # D-41
    naive = datetime(2015, 12, 25, 12, 34, 56)
    assert make(draft(issue_date=naive)).issue_date == naive.replace(tzinfo=CET)
    zoned = datetime(2015, 12, 25, 12, 34, 56, tzinfo=UTC)
    assert make(draft(issue_date=zoned)).issue_date.tzinfo is UTC


@pytest.mark.parametrize(
    ("field", "element"),
    [
        ("title", "title"),
        ("client_invoice_id", "clientInvoiceId"),
        ("cashier_id", "cashierId"),
        ("footer", "footer"),
    ],
)
def test_text_fields_are_limited_to_255_characters(field: str, element: str) -> None:  # D-45
    assert getattr(make(draft(**{field: "x" * MAX_TEXT})), field) == "x" * MAX_TEXT
    with pytest.raises(errors.InvalidInvoiceData, match=f"{element} is longer than 255"):
        make(draft(**{field: "x" * (MAX_TEXT + 1)}))


def test_back_url_must_be_absolute_without_spaces_and_at_most_2048() -> None:
    ok = "https://shop.example/back?o=1"
    assert make(draft(back_url=ok)).back_url == ok
    assert make(draft(back_url="")).back_url is None
    longest = "https://a.example/" + "x" * (2048 - len("https://a.example/"))
    assert make(draft(back_url=longest)).back_url == longest
    for bad in ("/relative/path", "https://a.example/with space", longest + "x"):
        with pytest.raises(errors.InvalidInvoiceData, match="backURL must be an absolute URL"):
            make(draft(back_url=bad))


def test_empty_notification_url_means_none() -> None:
    assert make(draft(notification_url="")).notification_url is None
    url = "http://127.0.0.1:9/notify"
    assert make(draft(notification_url=url)).notification_url == url


def test_commit_timeout_must_be_positive() -> None:
    assert make(draft(commit_timeout=1)).commit_timeout == 1
    for bad in (0, -5):
        with pytest.raises(errors.InvalidInvoiceData, match="commitReservationTimeout"):
            make(draft(commit_timeout=bad))


def test_preliminary_amount_reservation_gets_the_default_commit_timeout() -> None:  # D-16
    prelim = draft(payment_mode="RESERVATION_REQUIRED_PRELIMINARY_AMOUNT")
    assert make(prelim).commit_timeout == POLICY.default_commit_timeout
    assert make(draft(payment_mode="RESERVATION_REQUIRED")).commit_timeout is None


def test_online_invoices_expire_cash_register_invoices_do_not() -> None:  # D-45
    assert make(draft()).deadline_at == T0 + POLICY.online_lifetime  # type: ignore[operator]
    assert make(draft(), terminal=TILL).deadline_at is None


# ---------------------------------------------------------------------------------- rows


def test_rows_take_the_invoice_currency_when_theirs_is_missing() -> None:
    row = RowDraft(
        description="Tickets",
        quantity=Decimal(2),
        unit_price=AmountDraft(Decimal("50.00"), None),
        total=AmountDraft(Decimal("100.00"), "SEK"),
        discount=AmountDraft(None, None),  # an empty element: absent
    )
    (out,) = make(draft(rows=(row,))).rows
    assert out.unit_price == Money.of("50.00", "SEK") and out.total == Money.of("100.00", "SEK")
    assert out.discount is None and out.quantity == 2 and out.description == "Tickets"


def test_row_amount_with_only_a_currency_is_zero() -> None:
    (out,) = make(draft(rows=(RowDraft(discount=AmountDraft(None, "SEK")),))).rows
    assert out.discount == Money.of("0", "SEK")


def test_row_in_another_currency_is_refused() -> None:
    row = RowDraft(total=AmountDraft(Decimal("1.00"), "EUR"))
    with pytest.raises(errors.InvalidCurrency, match="itemTotalAmount is in EUR"):
        make(draft(rows=(row,)))


@pytest.mark.parametrize("quantity", ["NaN", "Infinity", "-Infinity"])
def test_row_quantity_must_be_finite(quantity: str) -> None:
    with pytest.raises(errors.InvalidInvoiceData, match="itemQuantity must be a number"):
        make(draft(rows=(RowDraft(quantity=Decimal(quantity)),)))


@pytest.mark.parametrize(
    ("field", "element"),
    [
        ("description", "itemDescription"),
        ("ean", "itemEAN"),
        ("sku", "itemSKU"),
        ("unit", "itemUnit"),
    ],
)
def test_row_text_is_limited_to_255(field: str, element: str) -> None:
    assert make(draft(rows=(RowDraft(**{field: "y" * MAX_TEXT}),))).rows
    with pytest.raises(errors.InvalidInvoiceData, match=f"{element} is longer than 255"):
        make(draft(rows=(RowDraft(**{field: "y" * (MAX_TEXT + 1)}),)))


def test_lenient_terminal_accepts_rows_that_do_not_add_up() -> None:  # D-19
    row = RowDraft(total=sek("1.00"))
    assert len(make(draft(rows=(row,))).rows) == 1


def test_strict_terminal_rows_net_of_discount_must_add_up_to_the_total() -> None:  # D-20
    rows = (RowDraft(total=sek("80.00")), RowDraft(total=sek("30.00"), discount=sek("10.00")))
    assert len(make(draft(rows=rows), terminal=STRICT).rows) == 2
    short = (RowDraft(total=sek("80.00")), RowDraft(total=sek("19.99")))
    with pytest.raises(errors.InvalidInvoiceData, match="do not add up"):
        make(draft(rows=short), terminal=STRICT)
    without_total = (RowDraft(total=sek("100.00")), RowDraft(description="gift"))
    with pytest.raises(errors.InvalidInvoiceData, match="do not add up"):
        make(draft(rows=without_total), terminal=STRICT)


def test_strict_terminal_without_rows_is_fine() -> None:
    assert make(draft(), terminal=STRICT).rows == ()


# ------------------------------------------------------------------------- merged_update


def test_present_elements_replace_absent_ones_keep() -> None:  # D-49
    inv = make(draft(title="Old", cashier_id="Bob", footer="Thanks", back_url="https://a.b/c"))
    out = update(inv, InvoiceDraft(total=sek("450.00"), title="New"))
    assert out.total == Money.of("450.00", "SEK") and out.title == "New"
    assert (out.cashier_id, out.footer, out.back_url) == ("Bob", "Thanks", "https://a.b/c")
    assert out.version == inv.version and out.state is inv.state  # the machine bumps, not this
    assert update(inv, InvoiceDraft()) == inv


def test_present_rows_wrapper_replaces_all_rows_and_empty_clears() -> None:  # D-49
    inv = make(draft(rows=(RowDraft(description="a"), RowDraft(description="b"))))
    assert [
        r.description for r in update(inv, InvoiceDraft(rows=(RowDraft(description="c"),))).rows
    ] == ["c"]
    assert update(inv, InvoiceDraft(rows=())).rows == ()
    assert update(inv, InvoiceDraft()).rows == inv.rows


def test_update_validates_like_a_new_invoice() -> None:
    inv = make(draft())
    with pytest.raises(errors.AmountRejected):
        update(inv, InvoiceDraft(total=sek("0")))
    with pytest.raises(errors.InvalidInvoiceData, match="title is longer"):
        update(inv, InvoiceDraft(title="z" * (MAX_TEXT + 1)))
    with pytest.raises(errors.InvalidInvoiceData, match="backURL"):
        update(inv, InvoiceDraft(back_url="nope"))


def test_payment_mode_cannot_change_but_may_be_repeated() -> None:
    inv = make(draft())
    assert update(inv, InvoiceDraft(payment_mode="IMMEDIATE_DEBIT")) == inv
    with pytest.raises(errors.InvalidInvoiceData, match="paymentMode cannot change"):
        update(inv, InvoiceDraft(payment_mode="RESERVATION_REQUIRED"))


def test_reservation_currency_cannot_change_other_invoices_may() -> None:
    euros = InvoiceDraft(total=AmountDraft(Decimal("5.00"), "EUR"))
    assert update(make(draft()), euros).total.currency == "EUR"
    reserved = replace(make(draft(payment_mode="RESERVATION_REQUIRED")), state=State.RESERVED)
    with pytest.raises(errors.InvalidCurrency, match="currency of a reservation"):
        update(reserved, euros)
    assert update(reserved, InvoiceDraft(total=sek("5.00"))).total == Money.of("5.00", "SEK")


def test_update_issue_date_and_notification_url() -> None:
    inv = make(draft(notification_url="http://127.0.0.1:9/a"))
    naive = datetime(2026, 1, 1, 8, 0)
    out = update(inv, InvoiceDraft(issue_date=naive, notification_url=""))
    assert out.issue_date == naive.replace(tzinfo=CET)
    assert out.notification_url == "http://127.0.0.1:9/a"  # empty keeps the stored one


# ----------------------------------------------------------------------- money helpers


def test_money_requires_a_value_and_names_what_is_missing() -> None:
    assert money(sek("1.50")) == Money.of("1.50", "SEK")
    with pytest.raises(errors.InvalidInvoiceData, match="refund amount is required"):
        money(None, "refund amount")
    with pytest.raises(errors.InvalidInvoiceData, match="amount is required"):
        money(AmountDraft(None, "SEK"))


def test_positive_amount_applies_the_total_rules() -> None:
    assert positive_amount(sek("5.00"), RESELLER, POLICY) == Money.of("5.00", "SEK")
    with pytest.raises(errors.AmountRejected):
        positive_amount(sek("-1"), RESELLER, POLICY)
    with pytest.raises(errors.InvalidCurrency):
        positive_amount(AmountDraft(Decimal(1), "USD"), RESELLER, POLICY)
