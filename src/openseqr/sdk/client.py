"""The merchant clients: :class:`SeqrClient` / :class:`AsyncSeqrClient` (a terminal) and
:class:`ResellerClient` / :class:`AsyncResellerClient` (a reseller user).

The sync and async classes share every operation method (defined once in
``_TerminalOperations`` / ``_ResellerOperations`` and marked ``@operation``); they differ only
in how the bytes travel (``_transport.py``). On the async classes every operation method
returns an awaitable::

    client = SeqrClient("https://seqr.example", "my_terminal", "secret")
    sent = client.send_invoice(Decimal("49.00"), "SEK", title="Coffee")

    async with AsyncSeqrClient("https://seqr.example", "my_terminal", "secret") as client:
        sent = await client.send_invoice(Decimal("49.00"), "SEK", title="Coffee")

``transport`` takes any httpx transport. ``httpx.ASGITransport(app=...)`` runs the calls
in-process against an ASGI app -- also from the sync client (it is driven on a private event
loop thread).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx

from . import _ops
from ._transport import DEFAULT_TIMEOUT, _AsyncIO, _Base, _SyncIO, operation
from .models import (
    AckMode,
    InvoiceRow,
    PaymentMode,
    PaymentStatus,
    ReceiptType,
    RegisteredTerminal,
    Report,
    SentInvoice,
    Token,
)

__all__ = [
    "SeqrClient",
    "AsyncSeqrClient",
    "ResellerClient",
    "AsyncResellerClient",
    "DEFAULT_TIMEOUT",
]

Money = Decimal | int | str


# ------------------------------------------------------------------------ operations


class _CommonOperations(_Base):
    """Operations both kinds of principal have: reconciliation and the health check."""

    @operation
    def mark_transaction_period(self, terminal_id: str | None = None) -> _ops.Call[str]:
        """Close the current reconciliation period (``markTransactionPeriod``) of the caller
        (reseller or terminal) and return its id for :meth:`execute_report`. ``terminal_id``:
        per-terminal period (only then do per-terminal reports work)."""
        return _ops.mark_transaction_period(self._context, terminal_id)

    @operation
    def execute_report(
        self,
        report_id: str,
        period_id: str | None = None,
        terminal_id: str | None = None,
        *,
        language: str | None = "en",
        parameters: Mapping[str, str] | None = None,
    ) -> _ops.Call[Report]:
        """Produce a report (``executeReport``), e.g. ``"Reconciliation/STD_RECON_003.xml"``
        for the period returned by :meth:`mark_transaction_period`.

        Returns :class:`Report` (``content`` bytes and ``text``). Raises
        :class:`ReportNotReady` (2, ``.retryable``: try again in a few seconds).
        """
        return _ops.execute_report(
            self._context, report_id, period_id, terminal_id, language, parameters
        )

    @operation
    def benchmarking_nop(self) -> _ops.Call[None]:
        """No-op round trip without authentication (``benchmarkingNop``): a health check."""
        return _ops.benchmarking_nop()


class _TerminalOperations(_CommonOperations):
    """Every merchant operation of a terminal (TERMINALID principal)."""

    terminal_id: str

    def __init__(
        self,
        url: str,
        terminal_id: str,
        password: str,
        *,
        currency: str = "SEK",
        transport: Any = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        client_id: str | None = None,
        channel: str | None = None,
        http_client: Any = None,
    ) -> None:
        """Connect as terminal ``terminal_id``.

        ``url``: the server (``https://seqr.example``, the SOAP path is added) or the full
        SOAP endpoint URL. ``currency``: used whenever an amount is given without one (must
        be a currency the terminal accepts). ``transport``: an httpx transport (for tests:
        ``httpx.ASGITransport(app=create_app(...))``). ``timeout``: seconds per call.
        ``client_id``/``channel``: optional ``clientContext`` fields for the server's logs.
        ``http_client``: use your own ``httpx.Client``/``AsyncClient`` instead.
        """
        self.terminal_id = terminal_id
        ctx = _ops.make_context(
            _ops.terminal_principal(terminal_id), password, client_id=client_id, channel=channel
        )
        self._setup(url, ctx, currency)
        self._setup_io(transport, timeout, http_client)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._endpoint!r}, terminal_id={self.terminal_id!r})"

    # -- invoices ----------------------------------------------------------------------

    @operation
    def send_invoice(
        self,
        amount: Money,
        currency: str | None = None,
        *,
        title: str | None = None,
        rows: Iterable[InvoiceRow] | None = None,
        client_invoice_id: str | None = None,
        notification_url: str | None = None,
        back_url: str | None = None,
        payment_mode: PaymentMode | str | None = PaymentMode.IMMEDIATE_DEBIT,
        ack_mode: AckMode | str | None = AckMode.NO_ACKNOWLEDGMENT,
        footer: str | None = None,
        cashier_id: str | None = None,
        commit_timeout: int | None = None,
        tokens: Iterable[Token] = (),
        issue_date: datetime | None = None,
    ) -> _ops.Call[SentInvoice]:
        """Create an invoice (``sendInvoice``) and return its reference and QR code text.

        ``amount``: what the customer pays, after discounts (> 0), in ``currency`` (default:
        the client's). ``title``: shown on the phone and receipt (default: terminal name).
        ``rows``: :class:`InvoiceRow` lines shown in the app. ``client_invoice_id``: your order
        id, echoed in the receipt and the notification. ``notification_url``: absolute http(s)
        URL the server POSTs to when the invoice is PAID (or RESERVED) -- your receiver must
        then call :meth:`get_payment_status` within the acknowledgement window (20 s).
        ``back_url``: where the app sends the user afterwards (mobile web / in-app).
        ``payment_mode``: :class:`PaymentMode` (reservations need ``commit_timeout`` seconds
        for ``RESERVATION_REQUIRED_PRELIMINARY_AMOUNT``). ``ack_mode``: :class:`AckMode`
        (loyalty only). ``tokens``: a swiped loyalty card (``Token(..., status=1)``).
        ``None`` for an argument omits the element (the server's default applies).

        Cash registers: a new invoice cancels the terminal's previous unpaid one.
        Raises :class:`InvalidInvoiceData` (49, e.g. wrong currency), :class:`AmountRejected`
        (11), :class:`InvalidNotificationUrl` (64), credential errors (20, 21, 29, 33).
        """
        return _ops.send_invoice(
            self._context,
            amount,
            self._cur(currency),
            tokens,
            title=title,
            rows=rows,
            client_invoice_id=client_invoice_id,
            notification_url=notification_url,
            back_url=back_url,
            payment_mode=payment_mode,
            ack_mode=ack_mode,
            footer=footer,
            cashier_id=cashier_id,
            commit_timeout=commit_timeout,
            issue_date=issue_date,
        )

    @operation
    def get_payment_status(
        self, reference: str | None = None, version: int = 0
    ) -> _ops.Call[PaymentStatus]:
        """Read the invoice's status (``getPaymentStatus``).

        ``reference``: the invoice; ``None`` = the latest invoice of this cash register.
        ``version``: 0 the first time, then the ``version`` of the last answer (tells the
        server you have seen that change, e.g. new loyalty tokens).

        **This call acknowledges a payment**: the first answer with status PAID confirms to the
        server that you know about it. If nobody calls it within the acknowledgement window
        (20 s by default) after the payment, the server reverses the payment (status becomes
        CANCELED and the customer is refunded). Poll once per second while the invoice is
        ISSUED (:func:`openseqr.sdk.wait_for_payment`), and call it at once when notified.
        Raises :class:`InvoiceNotFound` (54) for an unknown reference.
        """
        return _ops.get_payment_status(self._context, reference, version)

    @operation
    def update_invoice(
        self,
        reference: str,
        amount: Money | None = None,
        currency: str | None = None,
        *,
        title: str | None = None,
        rows: Iterable[InvoiceRow] | None = None,
        client_invoice_id: str | None = None,
        notification_url: str | None = None,
        back_url: str | None = None,
        footer: str | None = None,
        cashier_id: str | None = None,
        tokens: Iterable[Token] = (),
    ) -> _ops.Call[None]:
        """Change an unpaid invoice (``updateInvoice``); omitted arguments keep their value.

        ``rows`` replaces all rows (``[]`` removes them). ``tokens``: the loyalty tokens you
        actually used (``status=1``) or rejected (90/99). This call is also the merchant's
        acknowledgement in the PENDING_ISSUER_ACKNOWLEDGE state (loyalty): the invoice goes
        back to ISSUED and the app shows the updated amount. For a RESERVED preliminary
        payment the new amount must not exceed the reserved one (11).
        Raises :class:`PaymentInProgress` (48) while the customer is paying,
        :class:`SeqrSystemError` (90) for a PAID/CANCELED/FAILED invoice, 54, 49, 64.
        """
        return _ops.update_invoice(
            self._context,
            reference,
            self._cur(currency),
            amount,
            tokens,
            title=title,
            rows=rows,
            client_invoice_id=client_invoice_id,
            notification_url=notification_url,
            back_url=back_url,
            footer=footer,
            cashier_id=cashier_id,
        )

    @operation
    def cancel_invoice(self, reference: str) -> _ops.Call[None]:
        """Cancel an unpaid (or RESERVED) invoice (``cancelInvoice``); status becomes CANCELED.

        Raises :class:`CannotCancelPaidInvoice` (50: it was paid meanwhile -- call
        :meth:`get_payment_status` now to acknowledge it), :class:`CannotCancelInvoiceInProgress`
        (51: the customer is paying; retry), :class:`InvoiceAlreadyCanceled` (95, also for a
        FAILED invoice), :class:`InvoiceNotFound` (54).
        See :func:`openseqr.sdk.cancel_or_acknowledge` for the safe POS "cancel" button.
        """
        return _ops.cancel_invoice(self._context, reference)

    @operation
    def commit_reservation(
        self, reference: str, amount: Money | None = None, currency: str | None = None
    ) -> _ops.Call[None]:
        """Commit a RESERVED invoice (``commitReservation``); the invoice becomes PAID.

        ``amount``: the final amount (at most the reserved one, else 11); ``None`` commits the
        reserved (or last updated) amount. The commit also acknowledges the payment.
        Raises :class:`InvoiceNotReserved` (96), :class:`AmountRejected` (11), 54.
        """
        return _ops.commit_reservation(self._context, reference, amount, self._cur(currency))

    @operation
    def submit_payment_receipt(
        self,
        ers_reference: str,
        data: bytes | str = b"",
        mime_type: str = "text/html",
        receipt_type: ReceiptType | str = ReceiptType.PAYMENT_RECEIPT,
    ) -> _ops.Call[None]:
        """Attach a receipt document to a payment or refund (``submitPaymentReceipt``).

        ``ers_reference``: ``PaymentStatus.ers_reference`` or a refund reference. ``data``:
        the document (``str`` is UTF-8 encoded; sent base64-encoded). May be called several
        times with different ``receipt_type`` values. Raises :class:`InvalidErsReference` (23).
        """
        return _ops.submit_payment_receipt(
            self._context, ers_reference, data, mime_type, receipt_type
        )

    @operation
    def refund_payment(
        self,
        ers_reference: str,
        amount: Money,
        currency: str | None = None,
        *,
        title: str = "Refund",
        cashier_id: str | None = None,
        client_invoice_id: str | None = None,
        notification_url: str | None = None,
    ) -> _ops.Call[str]:
        """Refund (part of) a PAID payment (``refundPayment``); returns the refund reference.

        ``ers_reference``: the payment's ``PaymentStatus.ers_reference``. ``amount``: what to
        give back now; several partial refunds are allowed up to the original amount.
        Raises :class:`InvalidErsReference` (23), :class:`RefundExceedsOriginal` (98),
        :class:`RefundNotAllowed` (97), :class:`ReceiverDoesNotAllowRefunds` (99),
        :class:`PaymentInProgress` (48: another refund is running), :class:`AmountRejected` (11).
        """
        return _ops.refund_payment(
            self._context,
            ers_reference,
            amount,
            self._cur(currency),
            title=title,
            cashier_id=cashier_id,
            client_invoice_id=client_invoice_id,
            notification_url=notification_url,
        )

    # -- cash registers ----------------------------------------------------------------

    @operation
    def assign_seqr_id(self, seqr_id: str) -> _ops.Call[None]:
        """Bind a sticker SEQR ID to this terminal (``assignSeqrId``): scanning
        ``HTTP://SEQR.SE/Q<seqr_id>`` (see :func:`openseqr.sdk.terminal_qr`) then opens the
        terminal's current invoice. Use your own unique prefix. Raises :class:`InvalidSeqrId`."""
        return _ops.assign_seqr_id(self._context, seqr_id)

    @operation
    def unregister_terminal(self) -> _ops.Call[None]:
        """Remove this terminal (``unregisterTerminal``): its live invoice is cancelled, its
        SEQR ID released; the credentials stop working (later calls raise 29)."""
        return _ops.unregister_terminal(self._context)

    # -- external services -------------------------------------------------------------

    @operation
    def get_client_session_info(self, token: str) -> _ops.Call[dict[str, str]]:
        """Resolve an External Service TOKEN (the Order URL fragment) into user data
        (``getClientSessionInfo``): always ``msisdn`` and ``subscriberKey``, plus the
        parameters of the service QR code.

        Raises :class:`SessionExpired` (60), :class:`SessionCancelled` (61),
        :class:`SessionInProgress` (62), :class:`InvalidSessionToken` (63).
        """
        return _ops.get_client_session_info(self._context, token)


class _ResellerOperations(_CommonOperations):
    """Operations of a reseller user (RESELLERUSER principal)."""

    reseller_id: str

    def __init__(
        self,
        url: str,
        reseller_id: str,
        user_id: str,
        password: str,
        *,
        transport: Any = None,
        timeout: float | httpx.Timeout | None = DEFAULT_TIMEOUT,
        client_id: str | None = None,
        channel: str | None = None,
        http_client: Any = None,
    ) -> None:
        """Connect as user ``user_id`` of reseller ``reseller_id`` (see ``SeqrClient`` for the
        other arguments)."""
        self.reseller_id = reseller_id
        ctx = _ops.make_context(
            _ops.reseller_principal(reseller_id, user_id),
            password,
            client_id=client_id,
            channel=channel,
        )
        self._setup(url, ctx, "SEK")
        self._setup_io(transport, timeout, http_client)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._endpoint!r}, reseller_id={self.reseller_id!r})"

    @operation
    def register_terminal(
        self, external_terminal_id: str, name: str, password: str | None = None
    ) -> _ops.Call[RegisteredTerminal]:
        """Create a cash-register terminal (``registerTerminal``).

        ``external_terminal_id``: your label (``"Store 111/Till 4"``); ``name``: shown on the
        buyer's phone; ``password``: the new terminal's password (>= 4 characters; generated
        randomly when omitted). Returns :class:`RegisteredTerminal` with the new
        ``terminal_id`` and the password -- store both. Raises :class:`InvalidNewPassword`.
        """
        pw = password if password is not None else _ops.new_terminal_password()
        return _ops.register_terminal(self._context, external_terminal_id, name, pw)


class SeqrClient(_SyncIO, _TerminalOperations):
    """Blocking client for a merchant terminal. See ``_TerminalOperations.__init__``::

    with SeqrClient("http://127.0.0.1:8080", "public_test_shop_terminal", "12345678") as c:
        sent = c.send_invoice(Decimal("10.00"), "SEK", title="Coffee")
        status = wait_for_payment(c, sent.reference)
    """


class AsyncSeqrClient(_AsyncIO, _TerminalOperations):
    """asyncio client for a merchant terminal; same methods as :class:`SeqrClient`, each
    returning an awaitable."""


class ResellerClient(_SyncIO, _ResellerOperations):
    """Blocking client for a reseller user: ``register_terminal``, ``mark_transaction_period``,
    ``execute_report``."""


class AsyncResellerClient(_AsyncIO, _ResellerOperations):
    """asyncio variant of :class:`ResellerClient`."""
