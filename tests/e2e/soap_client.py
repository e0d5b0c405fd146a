"""The merchant and the wallet as the end-to-end tests see them, over HTTP against a real server.

* ``Merchant``: a thin zeep wrapper built from the served (extended) ``?wsdl``, which declares
  ``getClientSessionInfo``, ``commitReservation/amount`` and ``commitReservationTimeout`` (D-07).
  Contexts are the minimal ones of the official samples (``clientRequestTimeout`` 0, principal,
  password) unless a test adds fields.
* ``Wallet``: the app JSON API (``/api/app/v1``) with the sandbox customers of ``sandbox.py``.

Module-scoped servers per backend come from ``tests.support.servers``.
"""

from __future__ import annotations

import base64
import re
import secrets
import string
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import zeep
from lxml import etree
from zeep import xsd

from tests.fixtures_server import SOAP_PATH, RunningServer
from tests.support.app_login import login_headers

TERMINAL_ID, TERMINAL_PASSWORD = "public_test_shop_terminal", "12345678"
RESELLER_ID, RESELLER_USER, RESELLER_PASSWORD = "public_test_shop", "9900", "1234"
SKIP = xsd.SkipValue  # "element not sent" (payment.py sends no invoiceVersion)

ERS_REFERENCE = re.compile(r"\d{25}")
INVOICE_REFERENCE = re.compile(r"\d{17}")
TERMINAL_ID_SHAPE = re.compile(r"[0-9a-f]{32}")


@dataclass(frozen=True)
class Customer:
    msisdn: str
    pin: str


ALICE = Customer("46700000001", "1111")  # rich
BOB = Customer("46700000002", "2222")
CAROL = Customer("46700000003", "3333")  # empty SEK account
DAVE = Customer("46700000004", "4444")  # the bank declines
FRIDA = Customer("46700000005", "5555")  # holds the loyalty token X_CARD 2610411111110


# -- merchant --------------------------------------------------------------------------------
def terminal_context(
    terminal_id: str = TERMINAL_ID, password: str = TERMINAL_PASSWORD, **extra: Any
) -> dict[str, Any]:
    """The context of payment.py: only clientRequestTimeout, principal and password."""
    return {
        "clientRequestTimeout": 0,
        "initiatorPrincipalId": {"id": terminal_id, "type": "TERMINALID"},
        "password": password,
        **extra,
    }


def reseller_context(
    reseller_id: str = RESELLER_ID,
    user_id: str | None = RESELLER_USER,
    password: str = RESELLER_PASSWORD,
    **extra: Any,
) -> dict[str, Any]:
    principal: dict[str, Any] = {"id": reseller_id, "type": "RESELLERUSER"}
    if user_id is not None:
        principal["userId"] = user_id
    return {
        "clientRequestTimeout": 0,
        "initiatorPrincipalId": principal,
        "password": password,
        **extra,
    }


def amount(value: str | Decimal | int, currency: str = "SEK") -> dict[str, Any]:
    return {"currency": currency, "value": Decimal(str(value))}


def row(
    description: str,
    total: str | Decimal | int,
    quantity: str | int | None = None,
    currency: str = "SEK",
    **extra: Any,
) -> dict[str, Any]:
    r: dict[str, Any] = {"itemDescription": description, "itemTotalAmount": amount(total, currency)}
    if quantity is not None:
        r["itemQuantity"] = Decimal(str(quantity))
    return {**r, **extra}


def invoice(
    total: str | Decimal | int,
    *,
    rows: list[dict[str, Any]] | None = None,
    currency: str = "SEK",
    **fields: Any,
) -> dict[str, Any]:
    """An invoice dict for zeep; only what is given is sent (D-19: the server is lenient)."""
    inv: dict[str, Any] = dict(fields)
    if rows is not None:
        inv["invoiceRows"] = {"invoiceRow": rows}
    inv["totalAmount"] = amount(total, currency)
    return inv


def params(**entries: str) -> dict[str, Any]:
    """A WSDL-form parameterMap: parameters/parameter/entry (6.10)."""
    return {"parameter": {"entry": [{"key": k, "value": v} for k, v in entries.items()]}}


def random_password(n: int = 15) -> str:
    """registerterminal.py: 15 characters of [A-Za-z0-9]."""
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(n))


def base32_password() -> str:
    """The Java cash-register sample: 150 random bits in base 32."""
    return base64.b32encode(secrets.token_bytes(19)).decode().rstrip("=")[:30]


class Merchant:
    """A zeep client built from the server's own WSDL; one context, switchable."""

    def __init__(
        self,
        server: RunningServer,
        context: dict[str, Any] | None = None,
        client: zeep.Client | None = None,
    ) -> None:
        self.server = server
        self.client = client or zeep.Client(server.url + SOAP_PATH + "?wsdl")
        self.context = context or terminal_context()

    def using(self, context: dict[str, Any]) -> Merchant:
        """The same zeep client (WSDL parsed once) with another context."""
        return Merchant(self.server, context, self.client)

    def as_terminal(self, terminal_id: str, password: str, **extra: Any) -> Merchant:
        return self.using(terminal_context(terminal_id, password, **extra))

    @property
    def service(self) -> Any:
        return self.client.service

    # operations, in the order of spec 7
    def send_invoice(self, inv: dict[str, Any], tokens: list[dict[str, Any]] | None = None) -> Any:
        if tokens:
            return self.service.sendInvoice(self.context, inv, tokens)
        return self.service.sendInvoice(self.context, inv)

    def status(self, reference: Any = None, version: Any = SKIP) -> Any:
        return self.service.getPaymentStatus(
            self.context, reference if reference is not None else SKIP, version
        )

    def update_invoice(
        self, reference: str, inv: dict[str, Any], tokens: list[dict[str, Any]] | None = None
    ) -> Any:
        if tokens:
            return self.service.updateInvoice(self.context, reference, inv, tokens)
        return self.service.updateInvoice(self.context, reference, inv)

    def cancel(self, reference: str) -> Any:
        return self.service.cancelInvoice(self.context, reference)

    def commit(self, reference: str, value: Any = None) -> Any:
        return self.service.commitReservation(
            self.context, amount(value) if value is not None else SKIP, reference
        )

    def submit_receipt(self, ers_reference: str, document: dict[str, Any] | None) -> Any:
        return self.service.submitPaymentReceipt(
            self.context, ers_reference, document if document is not None else SKIP
        )

    def refund(self, ers_reference: str, inv: dict[str, Any]) -> Any:
        return self.service.refundPayment(self.context, ers_reference, inv)

    def register_terminal(self, external_id: str, password: str, name: str) -> Any:
        return self.service.registerTerminal(self.context, external_id, password, name)

    def unregister_terminal(self) -> Any:
        return self.service.unregisterTerminal(self.context)

    def assign_seqr_id(self, seqr_id: str) -> Any:
        return self.service.assignSeqrId(self.context, seqr_id)

    def mark(self, **entries: str) -> Any:
        return self.service.markTransactionPeriod(
            self.context, params(**entries) if entries else SKIP
        )

    def report(self, report_id: str, language: str | None = "en", **entries: str) -> Any:
        return self.service.executeReport(
            self.context,
            report_id,
            language if language is not None else SKIP,
            params(**entries) if entries else SKIP,
        )

    # the samples' polling loops ----------------------------------------------------------
    def register(self, name: str = "POS #2 in My Shop") -> tuple[str, str]:
        """registerterminal.py with this (RESELLERUSER) context; returns (terminalId, password)."""
        password = random_password()
        resp = self.register_terminal("externalTerminalId", password, name)
        assert resp.resultCode == 0, resp
        return resp.terminalId, password


def report_xml(resp: Any) -> etree._Element:
    """The report's ``content`` (base64 on the wire; zeep gives bytes) parsed as XML."""
    assert resp.resultCode == 0, resp
    content = resp.report.content
    raw = content if isinstance(content, bytes) else base64.b64decode(content)
    assert resp.report.contentString.strip() == raw.decode().strip()
    return etree.fromstring(raw)


def report_rows(doc: etree._Element) -> list[dict[str, str]]:
    return [{c.tag: (c.text or "") for c in r} for r in doc.findall("Row")]


def report_meta(doc: etree._Element) -> dict[str, str]:
    meta = doc.find("Meta")
    assert meta is not None
    return {c.tag: (c.text or "") for c in meta}


@dataclass
class Poller:
    """payment.py's loop in a thread: getPaymentStatus every second while ISSUED.

    ``version_mode``: "none" (payment.py: no invoiceVersion), "zero" (cash-register sample,
    always 0) or "previous" (the manual's Java sample: the previously received version, 0 first).
    ``on_response`` may react to a response (the loyalty sample's updateInvoice).
    """

    merchant: Merchant
    reference: str | None
    version_mode: str = "none"
    keep_polling: tuple[str, ...] = ("ISSUED",)
    interval: float = 1.0
    timeout: float = 30.0
    on_response: Callable[[Any], None] | None = None
    responses: list[Any] = field(default_factory=list)
    error: BaseException | None = None
    _thread: threading.Thread | None = None
    first: threading.Event = field(default_factory=threading.Event)

    def start(self) -> Poller:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            version = 0
            deadline = time.monotonic() + self.timeout
            while time.monotonic() < deadline:
                v: Any = {"none": SKIP, "zero": 0, "previous": version}[self.version_mode]
                resp = self.merchant.status(self.reference, v)
                self.responses.append(resp)
                self.first.set()
                version = resp.version
                if self.on_response:
                    self.on_response(resp)
                if resp.resultCode != 0 or resp.status not in self.keep_polling:
                    return
                time.sleep(self.interval)
            raise AssertionError(f"still polling after {self.timeout}s: {self.responses[-1]}")
        except BaseException as exc:  # reported by join()
            self.error = exc
            self.first.set()

    def wait_first(self, timeout: float = 10) -> Any:
        assert self.first.wait(timeout), "no first status response"
        if self.error:
            raise self.error
        return self.responses[0]

    def join(self, timeout: float = 40) -> Any:
        assert self._thread is not None
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "poller did not finish"
        if self.error:
            raise self.error
        return self.responses[-1]

    @property
    def statuses(self) -> list[str]:
        return [r.status for r in self.responses]


# -- wallet ----------------------------------------------------------------------------------
class Wallet:
    """The SEQR app through the app JSON API."""

    def __init__(self, server: RunningServer, customer: Customer = ALICE) -> None:
        self.server = server
        self.customer = customer
        self.http = httpx.Client(base_url=server.url + "/api/app/v1", timeout=30)
        self._signed_in: dict[str, dict[str, str]] = {}

    def of(self, customer: Customer) -> Wallet:
        w = Wallet.__new__(Wallet)
        w.server, w.customer, w.http = self.server, customer, self.http
        w._signed_in = self._signed_in
        return w

    def headers(self) -> dict[str, str]:
        """The customer's login token, signed in on first use (A-15)."""
        who = self.customer
        if who.msisdn not in self._signed_in:
            login = {"msisdn": who.msisdn, "pin": who.pin}
            self._signed_in[who.msisdn] = login_headers(self.http, login, api="")
        return self._signed_in[who.msisdn]

    def view(self, reference: str) -> dict[str, Any]:
        r = self.http.get(f"/invoices/{reference}", headers=self.headers())
        assert r.status_code == 200, r.text
        return r.json()

    def scan(self, code: str) -> httpx.Response:
        return self.http.post("/scan", json={"code": code}, headers=self.headers())

    def scan_ok(self, code: str) -> dict[str, Any]:
        r = self.scan(code)
        assert r.status_code == 200, r.text
        return r.json()

    def pay_response(self, reference: str, version: int | None = None) -> httpx.Response:
        body: dict[str, Any] = {"msisdn": self.customer.msisdn, "pin": self.customer.pin}
        if version is not None:
            body["version"] = version
        return self.http.post(f"/invoices/{reference}/pay", json=body)

    def pay(self, reference: str, version: int | None = None) -> dict[str, Any]:
        r = self.pay_response(reference, version)
        assert r.status_code == 200, r.text
        return r.json()

    def view_and_pay(self, reference: str) -> dict[str, Any]:
        """What the app does: fetch (binds the payer), then confirm what was shown."""
        shown = self.view(reference)
        return self.pay(reference, shown["version"])

    def cancel(self, reference: str) -> dict[str, Any]:
        r = self.http.post(
            f"/invoices/{reference}/cancel",
            json={"msisdn": self.customer.msisdn, "pin": self.customer.pin},
        )
        assert r.status_code == 200, r.text
        return r.json()

    def wallet(self) -> dict[str, Any]:
        r = self.http.post(
            "/wallet", json={"msisdn": self.customer.msisdn, "pin": self.customer.pin}
        )
        assert r.status_code == 200, r.text
        return r.json()

    def balance(self, currency: str = "SEK") -> Decimal:
        return Decimal(self.wallet()["balances"][currency])

    def messages(self) -> list[dict[str, Any]]:
        return list(self.wallet()["messages"])


def unique_seqr_id(prefix: str = "openseqrtest") -> str:
    return prefix + secrets.token_hex(6)
