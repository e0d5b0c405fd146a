"""XSD lexical forms: amounts, decimals, dateTime with/without offset, base64, ints."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from openseqr.protocol import (
    Amount,
    ExecuteReportResponse,
    Invoice,
    InvoiceRow,
    PaymentStatusResponse,
    Receipt,
    Report,
    SendInvoiceRequest,
    decode_request,
    decode_response,
    encode_request,
    encode_response,
)
from openseqr.protocol.lexical import (
    format_amount,
    format_datetime,
    format_decimal,
    parse_base64,
    parse_datetime,
    parse_decimal,
    parse_int,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("500", "500.00"),
        ("500.0", "500.00"),
        ("10.22", "10.22"),
        ("2.5", "2.50"),
        ("149.99", "149.99"),
        ("0", "0.00"),
        ("-1", "-1.00"),
        ("1E+3", "1000.00"),
        ("1.500", "1.50"),
        ("0.001", "0.001"),  # never rounds money silently
        ("12345678901234567.89", "12345678901234567.89"),
    ],
)
def test_format_amount(value, text):
    assert format_amount(Decimal(value)) == text


def test_format_amount_rejects_non_decimals():
    for bad in (1.5, Decimal("NaN"), Decimal("Infinity")):
        with pytest.raises((TypeError, ValueError)):
            format_amount(bad)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("2", "2"),
        ("1.5", "1.5"),
        ("0.25", "0.25"),
        ("1E+2", "100"),
        ("1E-7", "0.0000001"),
        ("24", "24"),
    ],
)
def test_format_decimal_plain(value, text):
    assert format_decimal(Decimal(value)) == text


def test_row_decimals_and_amounts_on_the_wire():
    body = encode_request(
        SendInvoiceRequest(
            invoice=Invoice(
                invoice_rows=(
                    InvoiceRow(
                        item_quantity=Decimal("1E+1"),
                        item_tax_rate=Decimal("25"),
                        item_total_amount=Amount("SEK", Decimal("100")),
                    ),
                ),
                total_amount=Amount("SEK", Decimal("100")),
            )
        )
    )
    assert b"<itemQuantity>10</itemQuantity>" in body
    assert b"<itemTaxRate>25</itemTaxRate>" in body
    assert b"<totalAmount><currency>SEK</currency><value>100.00</value></totalAmount>" in body
    assert b"E" not in body.split(b"<invoice>")[1].split(b"</invoice>")[0].replace(b"SEK", b"")


@pytest.mark.parametrize(
    ("text", "value"),
    [("500", "500"), ("+1.5", "1.5"), ("-0.01", "-0.01"), (".5", "0.5"), ("5.", "5"), (" 7 ", "7")],
)
def test_parse_decimal_ok(text, value):
    d = parse_decimal(text)
    assert isinstance(d, Decimal) and d == Decimal(value)


@pytest.mark.parametrize(
    "text", ["1e3", "1E3", "NaN", "nan", "Infinity", "-inf", "", ".", "1,5", "1 000", "0x10", "١٢"]
)
def test_parse_decimal_rejects(text):
    with pytest.raises(ValueError):
        parse_decimal(text)


def test_parse_int():
    assert parse_int("2147483647") == 2**31 - 1
    assert parse_int("-5") == -5
    with pytest.raises(ValueError):
        parse_int("2147483648")
    assert parse_int("9223372036854775807", bits=64) == 2**63 - 1
    for bad in ("1.0", "1e2", "", "1_000", "١"):
        with pytest.raises(ValueError):
            parse_int(bad)


def test_parse_datetime_without_offset_is_naive():
    dt = parse_datetime("2015-12-25T12:34:56")
    assert dt == datetime(2015, 12, 25, 12, 34, 56) and dt.tzinfo is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "2015-10-29T10:18:48.663+01:00",
            datetime(2015, 10, 29, 10, 18, 48, 663000, tzinfo=timezone(timedelta(hours=1))),
        ),
        ("2014-04-05T13:23:53Z", datetime(2014, 4, 5, 13, 23, 53, tzinfo=UTC)),
        (
            "2014-04-05T13:23:53-05:30",
            datetime(2014, 4, 5, 13, 23, 53, tzinfo=timezone(-timedelta(hours=5, minutes=30))),
        ),
        (
            "2014-04-05T13:23:53.123456789+00:00",
            datetime(2014, 4, 5, 13, 23, 53, 123456, tzinfo=UTC),
        ),
    ],
)
def test_parse_datetime_with_offset(text, expected):
    dt = parse_datetime(text)
    assert dt == expected and dt.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "text",
    [
        "2015-12-25",
        "2015-12-25 12:34:56",
        "2015-02-30T00:00:00",
        "2015-12-25T24:00:00",
        "25/12/2015",
        "2015-12-25T12:34:56+25:00",
        "20151225T123456",
    ],
)
def test_parse_datetime_rejects(text):
    with pytest.raises(ValueError):
        parse_datetime(text)


def test_format_datetime():
    cet = timezone(timedelta(hours=1))
    assert (
        format_datetime(datetime(2015, 12, 25, 12, 35, 12, 345678, tzinfo=cet))
        == "2015-12-25T12:35:12.345+01:00"
    )
    assert format_datetime(datetime(2015, 1, 1, tzinfo=UTC)) == "2015-01-01T00:00:00.000+00:00"
    with pytest.raises(TypeError):
        format_datetime(datetime(2015, 1, 1))


def test_datetime_round_trip_through_response():
    cet = timezone(timedelta(hours=1))
    resp = PaymentStatusResponse.of(
        0, receipt=Receipt(payment_date=datetime(2015, 10, 29, 10, 18, 48, 663000, tzinfo=cet))
    )
    body = encode_response(resp)
    assert b"<paymentDate>2015-10-29T10:18:48.663+01:00</paymentDate>" in body
    assert decode_response(body, "getPaymentStatus") == resp


def test_base64():
    assert parse_base64("MTE1Nzky") == b"115792"
    assert parse_base64("PGh0bWw+\n PGJvZHk+S3ZpdHRvPC9ib2R5PjwvaHRtbD4=") == (
        b"<html><body>Kvitto</body></html>"
    )
    assert parse_base64("") == b""
    for bad in ("MTE1Nzk", "MTE*Nzky", "\u00e5\u00e4\u00f6=", "MTE1Nzky===="):
        with pytest.raises(ValueError):
            parse_base64(bad)


def test_report_content_bytes_on_the_wire():
    blob = bytes(range(256)) * 3
    resp = ExecuteReportResponse.of(
        0, report=Report("Number of transfers today", "text/plain", blob, None)
    )
    body = encode_response(resp)
    assert f"<content>{base64.b64encode(blob).decode()}</content>".encode() in body
    assert decode_response(body, "executeReport").report.content == blob


def test_decoded_amounts_are_decimal_never_float():
    body = encode_request(
        SendInvoiceRequest(invoice=Invoice(total_amount=Amount("SEK", Decimal("0.10"))))
    )
    req = decode_request(body)
    v = req.invoice.total_amount.value
    assert type(v) is Decimal and v == Decimal("0.10") and str(v) == "0.10"
