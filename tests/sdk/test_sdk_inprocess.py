"""The SDK against the real app, in-process (httpx.ASGITransport): every operation, every
error class we can provoke, sync and async."""

from __future__ import annotations

import asyncio
import inspect
from decimal import Decimal
from typing import Any

import httpx
import pytest

from openseqr import sdk
from openseqr.sdk import (
    AckMode,
    AsyncResellerClient,
    AsyncSeqrClient,
    InvoiceRow,
    InvoiceStatus,
    PaymentMode,
    ResultCode,
    SeqrClient,
    Token,
    TokenStatus,
)
from tests.sdk.conftest import DAVE, FRIDA, RESELLER, TERMINAL, Wallet
from tests.support.app_login import bearer_of
from tests.support.services import register_service

URL = "http://openseqr.test"


def paid_invoice(client: SeqrClient, wallet: Wallet, amount: str = "100.00") -> sdk.PaymentStatus:
    sent = client.send_invoice(Decimal(amount), "SEK", title="Shop", client_invoice_id="o-1")
    wallet.pay(sent.reference)
    status = client.get_payment_status(sent.reference)
    assert status.is_paid
    return status


# ------------------------------------------------------------------------------ basics


def test_benchmarking_nop_and_endpoint(client: SeqrClient) -> None:
    assert client.benchmarking_nop() is None
    assert client.endpoint == URL + "/soap/merchant/cashregister-2"
    assert SeqrClient(URL + "/extclientproxy/service/v2", "t", "p").endpoint.endswith("/v2")


def test_send_invoice_returns_reference_and_qr(client: SeqrClient, wallet: Wallet) -> None:
    rows = [
        InvoiceRow(
            "Movie ticket",
            quantity=2,
            unit_price=Decimal("120.00"),
            tax_rate=6,
            sku="16",
            unit="EA",
        ),
        InvoiceRow("Popcorn", total="40.00"),
    ]
    sent = client.send_invoice(
        Decimal("280.00"),
        "SEK",
        title="Grand Cinema",
        rows=rows,
        client_invoice_id="order-4711",
        footer="Thanks",
        cashier_id="Bob",
        back_url="https://shop.example/done",
        notification_url="https://shop.example/seqr/notify?order=4711",
    )
    assert sent.reference.isdigit()
    assert sent.qr_code == f"HTTP://SEQR.SE/R{sent.reference}" == sdk.invoice_qr(sent.reference)
    assert sent.deep_link == f"seqr://SEQR.SE/R{sent.reference}"
    seen = wallet.view(sent.reference)
    assert seen["title"] == "Grand Cinema" and seen["total"]["value"] == "280.00"
    assert [r["description"] for r in seen["rows"]] == ["Movie ticket", "Popcorn"]
    assert seen["rows"][0]["total"]["value"] == "240.00"  # quantity * unit price

    status = client.get_payment_status(sent.reference)
    assert status.status is InvoiceStatus.ISSUED and status.is_pending
    assert not status.is_paid and not status.is_final and status.version >= 1
    assert status.ers_reference is None and status.receipt is None


def test_payment_status_when_paid_has_receipt(client: SeqrClient, wallet: Wallet) -> None:
    sent = client.send_invoice(Decimal("12.50"), title="Kiosk", client_invoice_id="k-9")
    wallet.pay(sent.reference)
    st = client.get_payment_status(sent.reference, version=1)
    assert st.is_paid and st.is_final and st.ers_reference
    assert st.receipt is not None
    assert st.receipt.payment_reference == st.ers_reference
    assert st.receipt.invoice_reference == sent.reference
    assert st.receipt.client_invoice_id == st.client_invoice_id == "k-9"
    assert st.receipt.amount == Decimal("12.50") and st.receipt.currency == "SEK"
    assert st.receipt.terminal_id == TERMINAL[0] and st.receipt.payment_date is not None
    assert st.as_status_json()["status"] == "PAID"


def test_failed_payment(client: SeqrClient, wallet: Wallet) -> None:
    sent = client.send_invoice(Decimal("10.00"))
    r = wallet.http.post(f"/api/app/v1/invoices/{sent.reference}/pay", json=DAVE)
    assert r.status_code in (200, 402, 409), r.text
    st = client.get_payment_status(sent.reference)
    assert st.status is InvoiceStatus.FAILED and st.is_final and not st.is_paid


def test_update_invoice(client: SeqrClient, wallet: Wallet) -> None:
    sent = client.send_invoice(Decimal("50.00"), title="Before", rows=[InvoiceRow("A", total=50)])
    before = client.get_payment_status(sent.reference).version
    client.update_invoice(
        sent.reference,
        Decimal("45.00"),
        title="After",
        rows=[InvoiceRow("A", total=50), InvoiceRow("Discount", total=-5)],
    )
    seen = wallet.view(sent.reference)
    assert seen["title"] == "After" and seen["total"]["value"] == "45.00"
    assert len(seen["rows"]) == 2
    assert client.get_payment_status(sent.reference).version > before
    client.cancel_invoice(sent.reference)
    with pytest.raises(sdk.SeqrSystemError) as exc:  # D-49: final invoice -> 90
        client.update_invoice(sent.reference, title="Too late")
    assert exc.value.code is ResultCode.SYSTEM_ERROR


def test_cancel_invoice_and_its_errors(client: SeqrClient, wallet: Wallet) -> None:
    sent = client.send_invoice(Decimal("5.00"))
    client.cancel_invoice(sent.reference)
    assert client.get_payment_status(sent.reference).status is InvoiceStatus.CANCELED
    with pytest.raises(sdk.InvoiceAlreadyCanceled) as exc:
        client.cancel_invoice(sent.reference)
    assert exc.value.code == 95 and exc.value.description == "INVOICE_ALREADY_CANCELED"
    assert exc.value.operation == "cancelInvoice"

    paid = paid_invoice(client, wallet)
    with pytest.raises(sdk.CannotCancelPaidInvoice) as exc2:
        client.cancel_invoice(paid.reference)
    assert exc2.value.code is ResultCode.CANNOT_CANCEL_PAID_INVOICE
    assert isinstance(exc2.value, sdk.InvoiceError) and isinstance(exc2.value, sdk.SeqrError)

    with pytest.raises(sdk.InvoiceNotFound) as exc3:
        client.cancel_invoice("123")
    assert exc3.value.code == 54


def test_cancel_or_acknowledge(client: SeqrClient, wallet: Wallet) -> None:
    open_ = client.send_invoice(Decimal("5.00"))
    assert sdk.cancel_or_acknowledge(client, open_.reference).status is InvoiceStatus.CANCELED
    sent = client.send_invoice(Decimal("5.00"))
    wallet.pay(sent.reference)  # paid while the cashier hesitated
    st = sdk.cancel_or_acknowledge(client, sent.reference)
    assert st.is_paid and st.ers_reference


def test_refunds_and_receipts(client: SeqrClient, wallet: Wallet) -> None:
    paid = paid_invoice(client, wallet, "100.00")
    assert paid.ers_reference
    r1 = client.refund_payment(paid.ers_reference, Decimal("30.00"), "SEK", cashier_id="Bob")
    r2 = client.refund_payment(paid.ers_reference, "70.00", title="Rest")
    assert r1 and r2 and len({r1, r2, paid.ers_reference}) == 3
    with pytest.raises(sdk.RefundExceedsOriginal) as exc:
        client.refund_payment(paid.ers_reference, Decimal("0.01"))
    assert exc.value.code == ResultCode.SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION
    with pytest.raises(sdk.InvalidErsReference):
        client.refund_payment("2015122512351234501000123", Decimal("1.00"))
    # the original stays PAID
    assert client.get_payment_status(paid.reference).is_paid

    client.submit_payment_receipt(paid.ers_reference, "<html><body>Kvitto</body></html>")
    client.submit_payment_receipt(
        paid.ers_reference, b"<warranty/>", "text/xml", sdk.ReceiptType.WARRANTY
    )
    client.submit_payment_receipt(r1, b"refund slip", "text/plain", "OTHER")
    with pytest.raises(sdk.InvalidErsReference) as exc2:
        client.submit_payment_receipt("999", b"x")
    assert exc2.value.code == 23


def test_invoice_validation_errors(client: SeqrClient) -> None:
    with pytest.raises(sdk.InvalidInvoiceData) as e1:
        client.send_invoice(Decimal("10.00"), "XXX")
    assert e1.value.code == 49
    with pytest.raises((sdk.AmountRejected, sdk.InvalidInvoiceData)) as e2:
        client.send_invoice(Decimal("0"))
    assert e2.value.code in (11, 49)
    with pytest.raises(sdk.InvalidNotificationUrl) as e3:
        client.send_invoice(Decimal("1.00"), notification_url="ftp://shop.example/notify")
    assert e3.value.code is ResultCode.INVALID_NOTIFICATION_URL
    with pytest.raises(TypeError):
        client.send_invoice(1.5)  # type: ignore[arg-type]  # floats are refused locally


def test_credentials_errors(transport: httpx.ASGITransport) -> None:
    with SeqrClient(URL, TERMINAL[0], "wrong", transport=transport) as bad:
        with pytest.raises(sdk.AuthenticationFailed) as e1:
            bad.send_invoice(Decimal("1.00"))
        assert e1.value.code == 20 and isinstance(e1.value, sdk.CredentialsError)
        bad.benchmarking_nop()  # no authentication
    with SeqrClient(URL, "no_such_terminal", "12345678", transport=transport) as unknown:
        with pytest.raises(sdk.InvalidPrincipal) as e2:
            unknown.get_payment_status("1")
        assert e2.value.code == 29
    with sdk.ResellerClient(
        URL, RESELLER[0], "no-user", RESELLER[2], transport=transport
    ) as nobody:
        with pytest.raises(sdk.PrincipalNotFound) as e3:
            nobody.mark_transaction_period()
        assert e3.value.code == 37


def test_reservation_flow(client: SeqrClient, wallet: Wallet) -> None:
    sent = client.send_invoice(
        Decimal("80.00"), payment_mode=PaymentMode.RESERVATION_REQUIRED, commit_timeout=3600
    )
    with pytest.raises(sdk.InvoiceNotReserved) as e0:
        client.commit_reservation(sent.reference)
    assert e0.value.code == 96
    wallet.pay(sent.reference)
    st = sdk.wait_for_payment(client, sent.reference, timeout=2, interval=0.05)
    assert st.status is InvoiceStatus.RESERVED and st.needs_action and not st.is_final
    with pytest.raises(sdk.AmountRejected):
        client.commit_reservation(sent.reference, Decimal("90.00"))
    client.commit_reservation(sent.reference, Decimal("75.00"))
    done = client.get_payment_status(sent.reference)
    assert done.is_paid and done.receipt and done.receipt.amount == Decimal("75.00")


def test_loyalty_acknowledgement(client: SeqrClient, wallet: Wallet) -> None:
    sent = client.send_invoice(Decimal("100.00"), ack_mode=AckMode.REQUIRE_ACKNOWLEDGMENT)
    wallet.view(sent.reference, FRIDA)  # Frida scans: the merchant must acknowledge
    st = sdk.wait_for_payment(client, sent.reference, timeout=2, interval=0.05)
    assert st.status is InvoiceStatus.PENDING_ISSUER_ACKNOWLEDGE and st.needs_action
    assert st.tokens and st.tokens[0].id == "X_CARD" and st.tokens[0].status == 0
    used = st.tokens[0].with_status(TokenStatus.USED)
    client.update_invoice(sent.reference, Decimal("90.00"), tokens=[used])
    after = client.get_payment_status(sent.reference, st.version)
    assert after.status is InvoiceStatus.ISSUED and after.version > st.version
    wallet.pay(sent.reference, FRIDA)
    assert client.get_payment_status(sent.reference, after.version).is_paid


def test_swiped_card_tokens_accepted(client: SeqrClient) -> None:
    sent = client.send_invoice(
        Decimal("10.00"), tokens=[Token("X_CARD", "2610411111110", 1, "X Club card")]
    )
    assert sent.reference


def test_cash_register_lifecycle(
    reseller: sdk.ResellerClient, transport: httpx.ASGITransport, wallet: Wallet
) -> None:
    reg = reseller.register_terminal("Store 1/Till 4", "Cash register 4")
    assert reg.terminal_id and len(reg.password) >= 16 and reg.name == "Cash register 4"
    with pytest.raises(sdk.InvalidNewPassword) as e0:
        reseller.register_terminal("Store 1/Till 5", "Till 5", password="abc")
    assert e0.value.code == 22
    pos = SeqrClient(URL, reg.terminal_id, reg.password, transport=transport)
    other = reseller.register_terminal("Store 1/Till 6", "Till 6", password="secret-6")
    pos6 = SeqrClient(URL, other.terminal_id, "secret-6", transport=transport)

    seqr_id = "sdktest" + reg.terminal_id[:8]
    pos.assign_seqr_id(seqr_id)
    with pytest.raises(sdk.InvalidSeqrId) as e1:
        pos6.assign_seqr_id(seqr_id)  # taken by another terminal
    assert e1.value.code == 53
    with pytest.raises(sdk.InvalidSeqrId):
        pos6.assign_seqr_id("not alnum!")

    first = pos.send_invoice(Decimal("20.00"))
    second = pos.send_invoice(Decimal("25.00"))  # supersedes the first
    assert pos.get_payment_status(first.reference).status is InvoiceStatus.CANCELED
    latest = pos.get_payment_status()  # no reference: the register's latest invoice
    assert latest.status is InvoiceStatus.ISSUED
    scanned = wallet.scan(sdk.terminal_qr(seqr_id))  # the sticker finds the live invoice
    assert scanned["kind"] == "invoice" and scanned["invoice"]["reference"] == second.reference

    pos.unregister_terminal()
    with pytest.raises(sdk.CredentialsError) as e2:
        pos.get_payment_status(second.reference)
    assert e2.value.code == ResultCode.INVALID_INITIATOR_PRINCIPAL_ID
    pos.close()
    pos6.close()


def test_reconciliation(client: SeqrClient, reseller: sdk.ResellerClient, wallet: Wallet) -> None:
    paid_invoice(client, wallet, "33.00")
    period = reseller.mark_transaction_period(TERMINAL[0])
    report = reseller.execute_report("Reconciliation/STD_RECON_003.xml", period, TERMINAL[0])
    assert report.content and report.text and report.title
    assert report.content.decode("utf-8") == report.text
    assert "33.00" in report.text
    # a terminal may mark its own period too (D-32)
    own = client.mark_transaction_period()
    assert own and own != period
    rep2 = client.execute_report("Reconciliation/STD_RECON_003.xml", own)
    assert rep2.text
    with pytest.raises(sdk.SeqrError) as exc:
        reseller.execute_report("No/Such_Report.xml", period)
    assert exc.value.code in (ResultCode.SYSTEM_ERROR, ResultCode.REPORT_NOT_READY)


def test_client_session_info(app: Any, client: SeqrClient, wallet: Wallet) -> None:
    register_service(app)
    opened = wallet.scan(sdk.service_qr("PARKING", zone="5", spot="17"))
    assert opened["kind"] == "service"
    token, ref = sdk.parse_service_fragment(opened["order_url"].split("#", 1)[1])
    assert ref is None
    info = client.get_client_session_info(token)
    assert info["msisdn"] == "46700000001" and info["subscriberKey"]
    assert info["zone"] == "5" and info["spot"] == "17"
    with pytest.raises(sdk.InvalidSessionToken) as e1:
        client.get_client_session_info("0000000000-00000000")
    assert e1.value.code == 63 and isinstance(e1.value, sdk.SessionError)
    r = wallet.http.post(f"/api/app/v1/sessions/{token}/cancel")
    assert r.status_code == 200
    with pytest.raises(sdk.SessionCancelled) as e2:
        client.get_client_session_info(token)
    assert e2.value.code is ResultCode.AUTHORIZATION_CANCELLED


# ------------------------------------------------------------------------ transport errors


def _mock(handler: Any) -> SeqrClient:
    return SeqrClient(URL, *TERMINAL, transport=httpx.MockTransport(handler))


def test_soap_fault_raises_soap_fault_error(client: SeqrClient) -> None:
    fault = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b"<soap:Fault><faultcode>soap:Client</faultcode><faultstring>bad</faultstring>"
        b"</soap:Fault></soap:Body></soap:Envelope>"
    )
    with pytest.raises(sdk.SoapFaultError) as exc:
        _mock(lambda req: httpx.Response(500, content=fault)).benchmarking_nop()
    assert exc.value.faultcode == "Client" and exc.value.faultstring == "bad"


def test_real_server_fault_is_soap_fault_error(client: SeqrClient) -> None:
    # a request the server cannot bind at all (empty body) is a Fault
    r = client._http.post(client.endpoint, content=b"not xml", headers={"Content-Type": "text/xml"})
    assert r.status_code == 500
    from openseqr.sdk import _ops

    with pytest.raises(sdk.SoapFaultError):
        _ops.finish(_ops.benchmarking_nop(), r.status_code, r.content)


def test_transport_errors() -> None:
    def refuse(req: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=req)

    with pytest.raises(sdk.TransportError) as e1:
        _mock(refuse).get_payment_status("1")
    assert e1.value.status_code is None
    with pytest.raises(sdk.TransportError) as e2:
        _mock(lambda req: httpx.Response(502, text="Bad gateway")).get_payment_status("1")
    assert e2.value.status_code == 502
    with pytest.raises(sdk.InvalidResponseError):
        _mock(lambda req: httpx.Response(200, text="<html/>")).get_payment_status("1")


def test_unknown_result_code_is_plain_seqr_error() -> None:
    body = (
        b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        b'<ns2:cancelInvoiceResponse xmlns:ns2="http://external.interfaces.ers.seamless.com/">'
        b"<return><resultCode>77</resultCode><resultDescription>ODD</resultDescription>"
        b"</return></ns2:cancelInvoiceResponse></soap:Body></soap:Envelope>"
    )
    with pytest.raises(sdk.SeqrError) as exc:
        _mock(lambda req: httpx.Response(200, content=body)).cancel_invoice("1")
    assert type(exc.value) is sdk.SeqrError and exc.value.code == 77
    assert exc.value.description == "ODD"


def test_request_on_the_wire_has_minimal_context() -> None:
    seen: list[bytes] = []

    def capture(req: httpx.Request) -> httpx.Response:
        seen.append(req.content)
        assert req.headers["content-type"].startswith("text/xml")
        return httpx.Response(500, text="x")

    c = SeqrClient(
        URL, *TERMINAL, transport=httpx.MockTransport(capture), client_id="pos-7", channel="WS"
    )
    with pytest.raises(sdk.TransportError):
        c.get_payment_status("42", 3)
    xml = seen[0].decode()
    for part in (
        "<clientRequestTimeout>0</clientRequestTimeout>",
        "<type>TERMINALID</type>",
        "<id>public_test_shop_terminal</id>",
        "<password>12345678</password>",
        "<invoiceReference>42</invoiceReference>",
        "<invoiceVersion>3</invoiceVersion>",
        "<clientId>pos-7</clientId>",
        "<channel>WS</channel>",
    ):
        assert part in xml


# ------------------------------------------------------------------------------ async


def test_async_client_every_kind_of_call(app: Any, transport: httpx.ASGITransport) -> None:
    register_service(app)

    async def main() -> None:
        wallet = httpx.AsyncClient(transport=transport, base_url=URL)
        async with AsyncSeqrClient(URL, *TERMINAL, transport=transport) as c:
            assert await c.benchmarking_nop() is None
            sent = await c.send_invoice(
                Decimal("10.00"), "SEK", title="Async", rows=[InvoiceRow("x", total="10.00")]
            )
            st = await c.get_payment_status(sent.reference)
            assert st.status is InvoiceStatus.ISSUED
            await c.update_invoice(sent.reference, Decimal("9.00"))
            r = await wallet.post(
                f"/api/app/v1/invoices/{sent.reference}/pay",
                json={"msisdn": "46700000001", "pin": "1111"},
            )
            assert r.status_code == 200, r.text
            changes: list[sdk.PaymentStatus] = []

            async def note(s: sdk.PaymentStatus) -> None:
                changes.append(s)

            paid = await sdk.wait_for_payment_async(
                c, sent.reference, timeout=3, interval=0.05, on_change=note
            )
            assert paid.is_paid and changes and changes[-1].is_paid
            refund = await c.refund_payment(paid.ers_reference, Decimal("4.00"))
            await c.submit_payment_receipt(refund, b"slip", "text/plain")
            with pytest.raises(sdk.CannotCancelPaidInvoice):
                await c.cancel_invoice(sent.reference)
            assert (await sdk.cancel_or_acknowledge_async(c, sent.reference)).is_paid
            other = await c.send_invoice(Decimal("3.00"))
            await c.cancel_invoice(other.reference)
            with pytest.raises(sdk.InvoiceAlreadyCanceled):
                await c.cancel_invoice(other.reference)
            res = await c.send_invoice(
                Decimal("8.00"), payment_mode=PaymentMode.RESERVATION_REQUIRED
            )
            with pytest.raises(sdk.InvoiceNotReserved):
                await c.commit_reservation(res.reference)
            period = await c.mark_transaction_period()
            report = await c.execute_report("Reconciliation/STD_RECON_003.xml", period)
            assert report.text
            alice = bearer_of(
                await wallet.post(
                    "/api/app/v1/login", json={"msisdn": "46700000001", "pin": "1111"}
                )
            )
            opened = await wallet.post(
                "/api/app/v1/scan", json={"code": sdk.service_qr("PARKING")}, headers=alice
            )
            token, _ = sdk.parse_service_fragment(opened.json()["order_url"].split("#")[1])
            assert (await c.get_client_session_info(token))["msisdn"] == "46700000001"
            with pytest.raises(sdk.InvoiceNotFound):
                await c.get_payment_status("1")
        async with AsyncResellerClient(URL, *RESELLER, transport=transport) as rc:
            reg = await rc.register_terminal("Async till", "Async till")
            assert await rc.mark_transaction_period(reg.terminal_id)
            async with AsyncSeqrClient(
                URL, reg.terminal_id, reg.password, transport=transport
            ) as pos:
                await pos.assign_seqr_id("asynctill" + reg.terminal_id[:6])
                await pos.unregister_terminal()
                with pytest.raises(sdk.InvalidPrincipal):
                    await pos.send_invoice(Decimal("1.00"))
        async with AsyncSeqrClient(URL, TERMINAL[0], "bad", transport=transport) as bad:
            with pytest.raises(sdk.AuthenticationFailed):
                await bad.get_payment_status("1")
        await wallet.aclose()

    asyncio.run(main())


def test_async_client_refuses_sync_transport() -> None:
    with pytest.raises(TypeError):
        AsyncSeqrClient(URL, *TERMINAL, transport=httpx.HTTPTransport())


def test_async_transport_error() -> None:
    async def main() -> None:
        def refuse(req: httpx.Request) -> httpx.Response:
            raise httpx.ReadTimeout("slow", request=req)

        async with AsyncSeqrClient(URL, *TERMINAL, transport=httpx.MockTransport(refuse)) as c:
            with pytest.raises(sdk.TransportError):
                await c.benchmarking_nop()

    asyncio.run(main())


def test_sync_and_async_clients_have_the_same_operations() -> None:
    def ops(cls: type) -> dict[str, inspect.Signature]:
        return {
            n: inspect.signature(getattr(cls, n))
            for n in dir(cls)
            if not n.startswith("_") and callable(getattr(cls, n))
        }

    sync_ops, async_ops = ops(SeqrClient), ops(AsyncSeqrClient)
    sync_ops.pop("close"), async_ops.pop("aclose")
    assert sync_ops == async_ops
    expected = {
        "send_invoice",
        "get_payment_status",
        "update_invoice",
        "cancel_invoice",
        "commit_reservation",
        "submit_payment_receipt",
        "refund_payment",
        "assign_seqr_id",
        "unregister_terminal",
        "mark_transaction_period",
        "execute_report",
        "get_client_session_info",
        "benchmarking_nop",
    }
    assert expected <= set(sync_ops)
    # the methods are literally shared, so there is no per-operation logic to drift apart
    for name in expected:
        assert getattr(SeqrClient, name) is getattr(AsyncSeqrClient, name)
        assert getattr(SeqrClient, name).__doc__
    assert set(ops(sdk.ResellerClient)) - {"close"} == set(ops(AsyncResellerClient)) - {"aclose"}
