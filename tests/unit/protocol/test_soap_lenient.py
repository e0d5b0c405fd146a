"""Lenient input (D-43b/c, D-29, D-63) and InvalidValue paths."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openseqr.protocol import (
    Amount,
    ClientContext,
    GetPaymentStatusRequest,
    InvalidValue,
    Invoice,
    PrincipalId,
    SendInvoiceRequest,
    UnknownOperation,
    UnsupportedRequest,
    decode_request,
)

TNS = "http://external.interfaces.ers.seamless.com/"


def env(op_xml: str) -> bytes:
    return (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        f'xmlns:ext="{TNS}"><soapenv:Header/><soapenv:Body>{op_xml}</soapenv:Body>'
        "</soapenv:Envelope>"
    ).encode()


def test_qualified_children_accepted():
    req = decode_request(
        env(
            "<ext:getPaymentStatus><ext:context><ext:clientRequestTimeout>0</ext:clientRequestTimeout>"
            "<ext:initiatorPrincipalId><ext:id>T1</ext:id><ext:type>TERMINALID</ext:type>"
            "</ext:initiatorPrincipalId><ext:password>pw</ext:password></ext:context>"
            "<ext:invoiceReference>42</ext:invoiceReference><ext:invoiceVersion>3</ext:invoiceVersion>"
            "</ext:getPaymentStatus>"
        )
    )
    assert req == GetPaymentStatusRequest(
        context=ClientContext(
            client_request_timeout=0, initiator=PrincipalId("T1", "TERMINALID"), password="pw"
        ),
        invoice_reference="42",
        invoice_version=3,
    )


def test_default_namespace_and_other_prefix():
    req = decode_request(
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
        b'<getPaymentStatus xmlns="http://external.interfaces.ers.seamless.com/">'
        b"<invoiceReference>1</invoiceReference></getPaymentStatus></e:Body></e:Envelope>"
    )
    assert req == GetPaymentStatusRequest(invoice_reference="1")


def test_shuffled_order_unknown_elements_and_foreign_namespaces_ignored():
    req = decode_request(
        env(
            '<ext:sendInvoice xmlns:x="urn:other"><tokens><value>V</value><status>1</status>'
            "<id>C</id></tokens><invoice><totalAmount><value>10.5</value><currency>SEK</currency>"
            "<cents>1050</cents></totalAmount><deliveryAddress>Street</deliveryAddress>"
            "<title>T</title><x:title>ignored</x:title></invoice><bogus><a/></bogus>"
            "<context><password>p</password><initiatorPrincipalId><type>TERMINALID</type>"
            "<id>T1</id></initiatorPrincipalId></context></ext:sendInvoice>"
        )
    )
    assert req.invoice == Invoice(title="T", total_amount=Amount("SEK", Decimal("10.5")))
    assert req.context == ClientContext(initiator=PrincipalId("T1", "TERMINALID"), password="p")
    assert req.tokens[0].status == 1 and req.tokens[0].id == "C"


def test_empty_elements_are_empty_strings():
    req = decode_request(
        env(
            "<ext:sendInvoice><context><password/><clientId></clientId></context>"
            "<invoice><title/><invoiceRows><invoiceRow><itemUnit></itemUnit></invoiceRow>"
            "</invoiceRows><issueDate/></invoice></ext:sendInvoice>"
        )
    )
    assert req.context.password == "" and req.context.client_id == ""
    assert req.invoice.title == ""
    assert req.invoice.invoice_rows[0].item_unit == ""
    assert req.invoice.issue_date is None  # an empty non-string element is treated as absent


def test_empty_invoice_rows_wrapper_is_empty_tuple():
    req = decode_request(
        env("<ext:updateInvoice><invoice><invoiceRows/></invoice></ext:updateInvoice>")
    )
    assert req.invoice.invoice_rows == ()
    req = decode_request(env("<ext:updateInvoice><invoice/></ext:updateInvoice>"))
    assert req.invoice.invoice_rows is None


def test_missing_invoice_version_is_none():
    req = decode_request(
        env("<ext:getPaymentStatus><invoiceReference>1</invoiceReference></ext:getPaymentStatus>")
    )
    assert req.invoice_version is None
    assert req.context is None


@pytest.mark.parametrize(
    "params_xml",
    [
        "<parameters><parameter><entry><key>A</key><value>1</value></entry>"
        "<entry><key>B</key><value>2</value></entry></parameter></parameters>",
        "<parameters><entry><key>A</key><value>1</value></entry>"
        "<entry><key>B</key><value>2</value></entry></parameters>",
        "<entry><key>A</key><value>1</value></entry><entry><value>2</value><key>B</key></entry>",
    ],
    ids=["wsdl", "faq", "bare"],
)
def test_parameter_map_variants(params_xml):
    for op in ("markTransactionPeriod", "executeReport"):
        req = decode_request(env(f"<ext:{op}><context/>{params_xml}</ext:{op}>"))
        assert req.parameters == (("A", "1"), ("B", "2"))


def test_parameter_entry_missing_value():
    req = decode_request(
        env(
            "<ext:executeReport><parameters><entry><key>K</key></entry></parameters></ext:executeReport>"
        )
    )
    assert req.parameters == (("K", ""),)


@pytest.mark.parametrize("typ", ["reselleruser", "ResellerUser", "RESELLERUSER"])
def test_principal_type_upper_cased(typ):
    req = decode_request(
        env(
            "<ext:registerTerminal><context><initiatorPrincipalId><id>shop</id>"
            f"<type>{typ}</type><userId>9900</userId></initiatorPrincipalId></context>"
            "</ext:registerTerminal>"
        )
    )
    assert req.context.initiator == PrincipalId("shop", "RESELLERUSER", "9900")
    assert PrincipalId("x", "terminalid").type == "TERMINALID"


def test_client_request_timeout_garbage_tolerated():
    req = decode_request(
        env(
            "<ext:unregisterTerminal><context><clientRequestTimeout>soon</clientRequestTimeout></context></ext:unregisterTerminal>"
        )
    )
    assert req.context.client_request_timeout is None


def test_whitespace_around_numbers():
    req = decode_request(
        env("<ext:getPaymentStatus><invoiceVersion>\n 5 \n</invoiceVersion></ext:getPaymentStatus>")
    )
    assert req.invoice_version == 5


def test_strings_keep_whitespace_and_entities():
    req = decode_request(
        env("<ext:assignSeqrId><seqrId> a&amp;b&#x41;&lt; </seqrId></ext:assignSeqrId>")
    )
    assert req.seqr_id == " a&bA< "


def test_cdata_and_comments_in_values():
    req = decode_request(
        env("<ext:assignSeqrId><!-- c --><seqrId><![CDATA[<x>]]></seqrId></ext:assignSeqrId>")
    )
    assert req.seqr_id == "<x>"


def test_out_of_scope_operation_decodes_to_unsupported():
    req = decode_request(
        env(
            "<ext:requestTopup><context><password>p</password></context><amount/></ext:requestTopup>"
        )
    )
    assert req == UnsupportedRequest(operation="requestTopup", context=ClientContext(password="p"))


def test_unknown_operation():
    with pytest.raises(UnknownOperation) as ei:
        decode_request(env("<ext:createAuthorization/>"))
    assert ei.value.name == "createAuthorization"
    with pytest.raises(UnknownOperation):  # right name, wrong namespace (eProducts API)
        decode_request(env('<executeReport xmlns="http://externalws.client.ers.seamless.com/"/>'))


def test_unqualified_operation_element_tolerated():
    req = decode_request(env("<sendInvoice><invoice><title>x</title></invoice></sendInvoice>"))
    assert req == SendInvoiceRequest(invoice=Invoice(title="x"))


@pytest.mark.parametrize(
    ("inner", "path", "raw"),
    [
        (
            "<invoice><totalAmount><value>1e3</value></totalAmount></invoice>",
            "invoice/totalAmount/value",
            "1e3",
        ),
        (
            "<invoice><totalAmount><value>NaN</value></totalAmount></invoice>",
            "invoice/totalAmount/value",
            "NaN",
        ),
        (
            "<invoice><totalAmount><value>Infinity</value></totalAmount></invoice>",
            "invoice/totalAmount/value",
            "Infinity",
        ),
        (
            "<invoice><totalAmount><value>1,000.00</value></totalAmount></invoice>",
            "invoice/totalAmount/value",
            "1,000.00",
        ),
        (
            "<invoice><totalAmount><value>12abc</value></totalAmount></invoice>",
            "invoice/totalAmount/value",
            "12abc",
        ),
        (
            "<invoice><issueDate>2015-13-45T99:00:00</issueDate></invoice>",
            "invoice/issueDate",
            "2015-13-45T99:00:00",
        ),
        ("<invoice><issueDate>yesterday</issueDate></invoice>", "invoice/issueDate", "yesterday"),
        (
            "<invoice><invoiceRows><invoiceRow><itemQuantity>two</itemQuantity></invoiceRow></invoiceRows></invoice>",
            "invoice/invoiceRows/invoiceRow/itemQuantity",
            "two",
        ),
        (
            "<invoice><commitReservationTimeout>1.5</commitReservationTimeout></invoice>",
            "invoice/commitReservationTimeout",
            "1.5",
        ),
        ("<tokens><status>x</status></tokens>", "tokens/status", "x"),
    ],
)
def test_invalid_values_carry_path_and_operation(inner, path, raw):
    with pytest.raises(InvalidValue) as ei:
        decode_request(env(f"<ext:sendInvoice>{inner}</ext:sendInvoice>"))
    assert ei.value.path == path
    assert ei.value.raw == raw
    assert ei.value.operation == "sendInvoice"


def test_invalid_values_outside_invoice():
    with pytest.raises(InvalidValue) as ei:
        decode_request(
            env("<ext:getPaymentStatus><invoiceVersion>1.0</invoiceVersion></ext:getPaymentStatus>")
        )
    assert (ei.value.path, ei.value.operation) == ("invoiceVersion", "getPaymentStatus")
    with pytest.raises(InvalidValue) as ei:
        decode_request(
            env(
                "<ext:getPaymentStatus><invoiceVersion>99999999999</invoiceVersion></ext:getPaymentStatus>"
            )
        )
    assert ei.value.path == "invoiceVersion"
    with pytest.raises(InvalidValue) as ei:
        decode_request(
            env(
                "<ext:submitPaymentReceipt><receiptDocument><receiptData>%%%</receiptData>"
                "</receiptDocument></ext:submitPaymentReceipt>"
            )
        )
    assert ei.value.path == "receiptDocument/receiptData"
    with pytest.raises(InvalidValue) as ei:
        decode_request(
            env("<ext:commitReservation><amount><value>-</value></amount></ext:commitReservation>")
        )
    assert ei.value.path == "amount/value"
