"""Every invoice field has a range the domain can represent (49 beyond it), so an accepted
invoice can always be stored, converted and paid."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from openseqr.core import errors, machine
from openseqr.core.invoicing import (
    MAX_COMMIT_TIMEOUT,
    AmountDraft,
    InvoiceDraft,
    RowDraft,
    new_invoice,
)
from openseqr.core.records import Reseller, Terminal, TerminalKind

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
TERMINAL = Terminal("t1", "r1", TerminalKind.ONLINE, "Till", "hash")
RESELLER = Reseller("r1", "9900", "hash", "Shop")


def make(**kw: object) -> object:
    draft = InvoiceDraft(total=AmountDraft(Decimal("10.00"), "SEK"), **kw)  # type: ignore[arg-type]
    return new_invoice(
        draft,
        reference="12345678901234567",
        terminal=TERMINAL,
        reseller=RESELLER,
        now=NOW,
        zone=ZoneInfo("Pacific/Kiritimati"),  # +14:00, the widest offset
        policy=machine.Policy(),
    )


@pytest.mark.parametrize(
    "issue_date",
    [
        datetime(1, 1, 1),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59),
        datetime(1969, 12, 31, 23, 59),
    ],
)
def test_issue_dates_no_zone_can_convert_are_invalid_invoice_data(issue_date: datetime) -> None:
    with pytest.raises(errors.InvalidInvoiceData, match="issueDate"):
        make(issue_date=issue_date)


def test_an_ordinary_zoneless_issue_date_takes_the_server_zone() -> None:
    inv = make(issue_date=datetime(2015, 12, 25, 12, 34, 56))
    assert inv.issue_date.utcoffset() is not None  # type: ignore[attr-defined]


@pytest.mark.parametrize("timeout", [0, -1, MAX_COMMIT_TIMEOUT + 1, 99999999999999, 2**63 - 1])
def test_commit_timeouts_outside_the_range_are_refused(timeout: int) -> None:
    with pytest.raises(errors.InvalidInvoiceData, match="commitReservationTimeout"):
        make(payment_mode="RESERVATION_DESIRED", commit_timeout=timeout)


def test_the_longest_commit_timeout_gives_a_representable_deadline() -> None:
    inv = make(payment_mode="RESERVATION_DESIRED", commit_timeout=MAX_COMMIT_TIMEOUT)
    assert inv.commit_timeout == MAX_COMMIT_TIMEOUT  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "row",
    [
        RowDraft(quantity=Decimal("9" * 19)),
        RowDraft(quantity=Decimal("1E+30")),
        RowDraft(tax_rate=Decimal("1E-40")),
        RowDraft(quantity=Decimal("NaN")),
        RowDraft(tax_rate=Decimal("Infinity")),
    ],
)
def test_row_numbers_are_bounded(row: RowDraft) -> None:
    with pytest.raises(errors.InvalidInvoiceData):
        make(rows=(row,))


def test_ordinary_row_numbers_pass_unchanged() -> None:
    inv = make(rows=(RowDraft(quantity=Decimal("2.5"), tax_rate=Decimal("0.25")),))
    (row,) = inv.rows  # type: ignore[attr-defined]
    assert (row.quantity, row.tax_rate) == (Decimal("2.5"), Decimal("0.25"))
