"""`HeadlessWallet`: the SEQR app's behaviour (spec 12.2, 4.1) against a real server over HTTP.

    with HeadlessWallet("http://127.0.0.1:8080", "46700000001", "1111") as w:
        outcome = w.run("HTTP://SEQR.SE/000/PARKING?zone=5")
        outcome.status      # "PAID"
        outcome.visits      # every URL the web view opened, fragments included
        outcome.final_html  # the Success / Failure / Cancel page

`run` does what the app does for any code: an invoice QR or deep link is shown and paid; a
terminal sticker waits (polls) for the amount, then pays; a service QR opens the Order URL with
`#TOKEN`, finds the page's payment trigger (see `webview`), pays, and opens the Success URL
`#TOKEN_<ref>` (as soon as the server reports PAID, D-56), the Failure URL or the Cancel URL
`#TOKEN` (D-04). `SEQR-ACTION://WIZARD/CANCEL` cancels the session and leaves the service.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any, TypeVar

import httpx

from ..protocol import urls
from . import errors as we
from .client import USER_AGENT, AppClient, Invoice, ScanResult, ServiceSession, Waiting
from .webview import ChooseFn, Navigation, Page, Visit, WebView

ConfirmFn = Callable[[Invoice], bool]
T = TypeVar("T")
_REFERENCE_RE = re.compile(r"[0-9]{1,32}")


class Status(StrEnum):
    """How a `run` ended. Only PAID is a completed payment."""

    PAID = "PAID"
    RESERVED = "RESERVED"  # amount held; the merchant commits later (reservation modes)
    FAILED = "FAILED"  # the account provider declined (e.g. no funds)
    CANCELED = "CANCELED"  # the customer cancelled in the payment screen
    LEFT_SERVICE = "LEFT_SERVICE"  # SEQR-ACTION://WIZARD/CANCEL, or the user closed the view
    WRONG_PIN = "WRONG_PIN"
    PIN_LOCKED = "PIN_LOCKED"
    NOT_PAYABLE = "NOT_PAYABLE"  # already paid/cancelled/failed, changed twice, …
    PROVIDER_UNAVAILABLE = "PROVIDER_UNAVAILABLE"
    NO_TRIGGER = "NO_TRIGGER"  # the service page offered no way to pay
    SERVICE_ERROR = "SERVICE_ERROR"  # a service page answered 4xx/5xx or was unreachable
    TIMEOUT = "TIMEOUT"  # no amount appeared on the terminal / merchant never confirmed
    INVALID_CODE = "INVALID_CODE"
    ERROR = "ERROR"  # anything else (unknown customer, server unreachable, …)


@dataclass
class Outcome:
    """Everything a run did: status, the invoice as last seen, the web view's history."""

    code: str
    status: Status = Status.ERROR
    kind: str | None = None  # invoice | terminal | service
    invoice: Invoice | None = None
    session: ServiceSession | None = None
    trigger: str | None = None  # how the service page started the payment (link, redirect, …)
    visits: list[Visit] = field(default_factory=list)
    final_url: str | None = None
    final_status_code: int | None = None
    final_html: str | None = None
    message: str | None = None

    @property
    def paid(self) -> bool:
        return self.status is Status.PAID

    @property
    def reference(self) -> str | None:
        return self.invoice.reference if self.invoice else None

    def as_dict(self) -> dict[str, Any]:
        inv = self.invoice
        return {
            "status": self.status.value,
            "code": self.code,
            "kind": self.kind,
            "message": self.message,
            "trigger": self.trigger,
            "invoice": None
            if inv is None
            else {
                "reference": inv.reference,
                "status": inv.status,
                "version": inv.version,
                "merchant": inv.merchant,
                "title": inv.title,
                "amount": None if inv.amount is None else f"{inv.amount:.2f}",
                "currency": inv.currency,
                "ers_reference": inv.ers_reference,
            },
            "session": None
            if self.session is None
            else {
                "service_id": self.session.service_id,
                "name": self.session.name,
                "token": self.session.token,
            },
            "visits": [
                {"method": v.method, "url": v.url, "status": v.status_code} for v in self.visits
            ],
            "final_url": self.final_url,
            "final_status_code": self.final_status_code,
        }


def normalise_code(text: str) -> str:
    """What the user typed: a code/link as is; bare digits are an invoice reference (U1)."""
    text = text.strip()
    if _REFERENCE_RE.fullmatch(text):
        return urls.invoice_qr(text)
    return text


def _kind(code: str) -> str:
    parsed = urls.parse_code(code)
    if isinstance(parsed, urls.TerminalCode):
        return "terminal"
    if isinstance(parsed, urls.ServiceCode):
        return "service"
    return "invoice"


class HeadlessWallet:
    """The SEQR app for one customer (`msisdn` + `pin`) against `server_url`.

    `http` (an `httpx.Client`, not closed by the wallet) or `transport` (for a client the
    wallet creates) let tests route requests; the same client loads the service pages.
    """

    def __init__(
        self,
        server_url: str,
        msisdn: str,
        pin: str,
        *,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
        timeout: float = 15.0,
        poll_interval: float = 0.5,
        wait_timeout: float = 60.0,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.msisdn = msisdn
        self.pin = pin
        self.poll_interval = poll_interval
        self.wait_timeout = wait_timeout
        self._own_http = http is None
        self.http = http or httpx.Client(
            transport=transport, timeout=timeout, headers={"User-Agent": USER_AGENT}
        )
        self.api = AppClient(self.server_url, self.http)

    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> HeadlessWallet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the app API, one call each ---------------------------------------------------------
    def scan(self, text: str) -> ScanResult:
        """Resolve a code (checked locally first): Invoice, Waiting or ServiceSession."""
        code = normalise_code(text)
        try:
            parsed = urls.parse_code(code)
        except urls.InvalidCode as exc:
            raise we.InvalidCode(str(exc)) from None
        if isinstance(parsed, urls.WizardCancel):
            raise we.InvalidCode("SEQR-ACTION://WIZARD/CANCEL only means something in a service")
        return self._signed(lambda: self.api.scan(code))

    def sign_in(self) -> None:
        """`POST /login` with msisdn + PIN (a wrong PIN counts towards the lock, D-46b)."""
        self.api.login(self.msisdn, self.pin)

    def _signed(self, call: Callable[[], T]) -> T:
        """Run a call that acts for the customer; sign in first, and again once if expired."""
        if self.api.token is None:
            self.sign_in()
        try:
            return call()
        except we.NotSignedIn:
            self.sign_in()
            return call()

    def invoice(self, reference: str) -> Invoice:
        """ "Get invoice brief": fetching binds this customer as the payer (T2)."""
        return self._signed(lambda: self.api.invoice(reference))

    def pay(self, reference: str, version: int | None = None) -> Invoice:
        """Confirm with the PIN. `version`: the one shown (409 InvoiceChanged if it moved)."""
        return self.api.pay(reference, self.msisdn, self.pin, version)

    def cancel(self, reference: str) -> Invoice:
        """The customer pressed Cancel in the payment screen (D-28)."""
        return self.api.cancel(reference, self.msisdn, self.pin)

    def cancel_session(self, token: str) -> dict[str, Any]:
        """Leave a service: the TOKEN becomes CANCELLED (getClientSessionInfo → 61)."""
        return self._signed(lambda: self.api.cancel_session(token))

    def confirm_session(self, token: str) -> dict[str, Any]:
        """Confirm this customer's identity for a session opened unconfirmed (62 → 0)."""
        return self._signed(lambda: self.api.confirm_session(token))

    def wallet(self) -> dict[str, Any]:
        return self.api.wallet(self.msisdn, self.pin)

    def balances(self) -> dict[str, Decimal]:
        return {c: Decimal(v) for c, v in self.wallet()["balances"].items()}

    def wait_for_invoice(self, code: str, timeout: float | None = None) -> Invoice:
        """A terminal sticker: re-resolve until the terminal has an invoice ("waiting...")."""
        deadline = time.monotonic() + (self.wait_timeout if timeout is None else timeout)
        while True:
            result = self.scan(code)
            if isinstance(result, Invoice):
                return result
            if not isinstance(result, Waiting):
                raise we.WalletError(f"unexpected answer while waiting: {result!r}")
            if time.monotonic() >= deadline:
                raise TimeoutError("no amount appeared on the terminal")
            time.sleep(self.poll_interval)

    def open_service(
        self,
        session: ServiceSession,
        *,
        choose: ChooseFn | None = None,
        view: WebView | None = None,
    ) -> Navigation:
        """ES-3…ES-9: open the Order URL (`#TOKEN`) and act until the page triggers payment."""
        view = view or WebView(self.http)
        return view.find_trigger(view.load(session.order_url), session.token, choose)

    # -- the whole flow ---------------------------------------------------------------------
    def run(
        self, text: str, *, choose: ChooseFn | None = None, confirm: ConfirmFn | None = None
    ) -> Outcome:
        """Do what the app does with `text`, to the end. Never raises for payment outcomes.

        `choose(page, choices)` picks what to tap on a service page (None = close the view);
        default: the first payment link/order form. `confirm(invoice)` is the payment screen:
        True = enter the PIN, False = Cancel; default: pay.
        """
        outcome = Outcome(code=text)
        try:
            result = self.scan(text)
            outcome.kind = _kind(normalise_code(text))
            if isinstance(result, Waiting):
                try:
                    result = self.wait_for_invoice(normalise_code(text))
                except TimeoutError as exc:
                    return self._end(outcome, Status.TIMEOUT, str(exc))
            if isinstance(result, Invoice):
                outcome.invoice = result
                self._payment(outcome, result, confirm)
                return outcome
            outcome.session = result
            self._service(outcome, result, choose, confirm)
            return outcome
        except we.InvalidCode as exc:
            return self._end(outcome, Status.INVALID_CODE, exc.message)
        except we.WrongPin as exc:  # signing in
            return self._end(outcome, Status.WRONG_PIN, exc.message)
        except we.PinLocked as exc:
            return self._end(outcome, Status.PIN_LOCKED, exc.message)
        except we.WalletError as exc:
            return self._end(outcome, Status.ERROR, exc.message)

    @staticmethod
    def _end(outcome: Outcome, status: Status, message: str | None = None) -> Outcome:
        outcome.status = status
        if message is not None:
            outcome.message = message
        return outcome

    def _payment(self, outcome: Outcome, invoice: Invoice, confirm: ConfirmFn | None) -> None:
        """The payment screen: wait for the merchant if needed, confirm, PIN, result."""
        retried = False
        while True:
            payable = self._wait_until_payable(outcome, invoice)
            if payable is None:
                return
            invoice = payable
            if confirm is not None and not confirm(invoice):
                try:
                    outcome.invoice = self.cancel(invoice.reference)
                    self._end(outcome, Status.CANCELED, "cancelled by the customer")
                except we.WrongPin as exc:
                    self._end(outcome, Status.WRONG_PIN, exc.message)
                except we.PinLocked as exc:
                    self._end(outcome, Status.PIN_LOCKED, exc.message)
                except we.NotPayable as exc:
                    self._end(outcome, Status.NOT_PAYABLE, exc.message)
                return
            try:
                paid = self.pay(invoice.reference, invoice.version)
            except we.InvoiceChanged as exc:
                if retried:
                    self._end(outcome, Status.NOT_PAYABLE, exc.message)
                    return
                retried = True  # the app shows the invoice again; the user confirms again
                invoice = outcome.invoice = self.invoice(invoice.reference)
                continue
            except we.WrongPin as exc:
                self._end(outcome, Status.WRONG_PIN, exc.message)
                return
            except we.PinLocked as exc:
                self._end(outcome, Status.PIN_LOCKED, exc.message)
                return
            except we.ProviderUnavailable as exc:
                self._end(outcome, Status.PROVIDER_UNAVAILABLE, exc.message)
                return
            except we.NotPayable as exc:
                self._refresh(outcome)
                self._end(outcome, Status.NOT_PAYABLE, exc.message)
                return
            outcome.invoice = paid
            status = {
                "PAID": Status.PAID,
                "RESERVED": Status.RESERVED,
                "FAILED": Status.FAILED,
                "CANCELED": Status.CANCELED,
            }.get(paid.status)
            if status is None:
                self._end(outcome, Status.ERROR, f"unexpected status after paying: {paid.status}")
            else:
                self._end(outcome, status, paid.reason if status is Status.FAILED else None)
            return

    def _refresh(self, outcome: Outcome) -> None:
        if outcome.invoice is not None:
            try:
                outcome.invoice = self.api.invoice(outcome.invoice.reference, as_customer=False)
            except we.WalletError:
                pass

    def _wait_until_payable(self, outcome: Outcome, invoice: Invoice) -> Invoice | None:
        """PENDING_ISSUER_ACKNOWLEDGE: the merchant must confirm the amount first (T3)."""
        deadline = time.monotonic() + self.wait_timeout
        while invoice.status == "PENDING_ISSUER_ACKNOWLEDGE":
            if time.monotonic() >= deadline:
                self._end(outcome, Status.TIMEOUT, "the merchant did not confirm the amount")
                return None
            time.sleep(self.poll_interval)
            invoice = outcome.invoice = self.invoice(invoice.reference)
        if invoice.status != "ISSUED":
            self._end(outcome, Status.NOT_PAYABLE, f"invoice is {invoice.status}")
            return None
        return invoice

    def _service(
        self,
        outcome: Outcome,
        session: ServiceSession,
        choose: ChooseFn | None,
        confirm: ConfirmFn | None,
    ) -> None:
        view = WebView(self.http)
        outcome.visits = view.visits  # shared list: every page the web view opens
        try:
            nav = self.open_service(session, choose=choose, view=view)
        except we.ServerUnreachable as exc:
            self._page(outcome, view.page)
            self._end(outcome, Status.SERVICE_ERROR, exc.message)
            return
        self._page(outcome, nav.page)
        outcome.trigger = nav.via
        if nav.left or isinstance(nav.code, urls.WizardCancel):
            self.cancel_session(session.token)
            why = "the service sent SEQR-ACTION://WIZARD/CANCEL" if nav.code else "view closed"
            self._end(outcome, Status.LEFT_SERVICE, why)
            return
        if nav.code is None:
            page = nav.page
            if page is not None and not page.ok:
                self._end(
                    outcome,
                    Status.SERVICE_ERROR,
                    f"{page.location} answered HTTP {page.status_code}",
                )
            else:
                self._end(outcome, Status.NO_TRIGGER, "the service page offers no payment trigger")
            return
        assert isinstance(nav.code, urls.PaymentTrigger)
        reference = nav.code.reference
        try:
            invoice = outcome.invoice = self.invoice(reference)
        except we.NotFound as exc:
            self._end(outcome, Status.NOT_PAYABLE, exc.message)
            self._after(outcome, view, urls.failure_url(session.failure_url, session.token))
            return
        self._payment(outcome, invoice, confirm)
        if outcome.status in (Status.PAID, Status.RESERVED):
            target = urls.success_url(session.success_url, session.token, reference)
        elif outcome.status is Status.CANCELED:
            target = urls.cancel_url(session.cancel_url, session.token)
        else:
            target = urls.failure_url(session.failure_url, session.token)
        self._after(outcome, view, target)

    def _after(self, outcome: Outcome, view: WebView, target: str) -> None:
        """ES-13 and its alternatives: show the service's result page (GET, fragment kept)."""
        try:
            nav = view.load(target)
        except we.WalletError as exc:
            outcome.final_url = target
            outcome.message = (outcome.message + "; " if outcome.message else "") + exc.message
            return
        self._page(outcome, nav.page)

    @staticmethod
    def _page(outcome: Outcome, page: Page | None) -> None:
        if page is not None:
            outcome.final_url = page.location
            outcome.final_status_code = page.status_code
            outcome.final_html = page.text


__all__ = ["HeadlessWallet", "Outcome", "Status", "normalise_code", "ConfirmFn"]
