"""Exceptions raised by the merchant SDK.

Every exception derives from :class:`SeqrClientError`, so ``except SeqrClientError`` catches
anything the SDK raises. Below it:

* :class:`SeqrError` -- the server answered, but with a non-zero ``resultCode``. The concrete
  subclass is chosen from :data:`ERRORS_BY_CODE` (one table, code -> class); ``.code`` is the
  :class:`~openseqr.protocol.ResultCode` (a plain ``int`` for a code the table does not know)
  and ``.description`` the server's ``resultDescription`` (e.g. ``"INVALID_INVOICE_REFERENCE"``).
  ``.retryable`` is true when trying the same call again later can succeed (93, 94, 2).
* :class:`SoapFaultError` -- the server answered with a SOAP Fault (HTTP 500): the request could
  not be understood at all (malformed XML, unknown operation). A bug, not a business error.
* :class:`TransportError` -- no usable answer: connection refused, timeout, TLS error, an HTTP
  error status without a SOAP body. The call may or may not have reached the server.
* :class:`InvalidResponseError` -- the answer was not the expected SOAP response.
* :class:`InvalidSignature` -- a notification's ``X-Seqr-Signature`` did not verify.

Example::

    try:
        client.cancel_invoice(reference)
    except CannotCancelPaidInvoice:
        status = client.get_payment_status(reference)   # too late: acknowledge the payment
    except InvoiceAlreadyCanceled:
        pass
"""

from __future__ import annotations

from openseqr.protocol import ResultCode

__all__ = [
    "SeqrClientError",
    "SeqrError",
    "SoapFaultError",
    "TransportError",
    "InvalidResponseError",
    "InvalidSignature",
    # credentials / principals
    "CredentialsError",
    "AuthenticationFailed",
    "AccessDenied",
    "InvalidPrincipal",
    "PrincipalBlocked",
    "PrincipalNotFound",
    "InvalidNewPassword",
    # invoices
    "InvoiceError",
    "AmountRejected",
    "InvalidInvoiceData",
    "InvalidNotificationUrl",
    "InvoiceNotFound",
    "PaymentInProgress",
    "CannotCancelPaidInvoice",
    "CannotCancelInvoiceInProgress",
    "InvoiceAlreadyCanceled",
    "InvoiceNotReserved",
    "PaymentExpired",
    # refunds and receipts
    "RefundError",
    "InvalidErsReference",
    "RefundNotAllowed",
    "RefundExceedsOriginal",
    "ReceiverDoesNotAllowRefunds",
    # external-service sessions
    "SessionError",
    "SessionExpired",
    "SessionCancelled",
    "SessionInProgress",
    "InvalidSessionToken",
    # misc
    "InvalidSeqrId",
    "ReportNotReady",
    "ServerError",
    "SeqrSystemError",
    "UnsupportedOperation",
    "SystemBusy",
    "ServiceUnavailable",
    "ERRORS_BY_CODE",
    "error_for_code",
]


class SeqrClientError(Exception):
    """Base class of every exception raised by :mod:`openseqr.sdk`."""


class SeqrError(SeqrClientError):
    """The server answered with a non-zero ``resultCode``.

    Attributes: ``code`` (:class:`ResultCode`, or ``int`` for an unknown code),
    ``description`` (the wire ``resultDescription``), ``operation`` (SOAP operation name).
    """

    #: whether repeating the same call later can succeed
    retryable: bool = False

    def __init__(
        self, code: ResultCode | int, description: str | None = None, operation: str | None = None
    ) -> None:
        try:
            code = ResultCode(int(code))
        except ValueError:
            code = int(code)
        self.code = code
        self.description = description or (code.name if isinstance(code, ResultCode) else None)
        self.operation = operation
        where = f"{operation}: " if operation else ""
        super().__init__(f"{where}result code {int(code)} {self.description or ''}".rstrip())


class SoapFaultError(SeqrClientError):
    """The server answered with a SOAP Fault (``faultcode`` e.g. ``"Client"``)."""

    def __init__(self, faultcode: str, faultstring: str, operation: str | None = None) -> None:
        self.faultcode = faultcode
        self.faultstring = faultstring
        self.operation = operation
        super().__init__(f"SOAP Fault {faultcode}: {faultstring}")


class TransportError(SeqrClientError):
    """The request did not produce a usable HTTP answer (network, timeout, HTTP status).

    ``status_code`` is the HTTP status when there was one. The call may have been executed by
    the server: for ``send_invoice`` check before re-sending (e.g. by ``clientInvoiceId``).
    """

    def __init__(self, message: str, status_code: int | None = None) -> None:
        self.status_code = status_code
        super().__init__(message)


class InvalidResponseError(SeqrClientError):
    """The server's answer is not the SOAP response the operation expects."""


class InvalidSignature(SeqrClientError):
    """A notification's ``X-Seqr-Signature`` header is missing, stale or does not verify."""


# ------------------------------------------------------------------ result-code classes


class CredentialsError(SeqrError):
    """Base of the credential/principal errors (20, 21, 29, 33, 37)."""


class AuthenticationFailed(CredentialsError):
    """20 AUTHENTICATION_FAILED: wrong password."""


class AccessDenied(CredentialsError):
    """21 ACCESS_DENIED: this principal type may not call the operation."""


class InvalidPrincipal(CredentialsError):
    """29 INVALID_INITIATOR_PRINCIPAL_ID: unknown or unregistered terminal id."""


class PrincipalBlocked(CredentialsError):
    """33 INVALID_INITIATOR_PRINCIPAL_STATE: the terminal or reseller is blocked."""


class PrincipalNotFound(CredentialsError):
    """37 INITIATOR_PRINCIPAL_NOT_FOUND: unknown reseller id or user id."""


class InvalidNewPassword(SeqrError):
    """22 INVALID_NEW_PASSWORD: ``register_terminal`` password shorter than 4 characters."""


class InvoiceError(SeqrError):
    """Base of the invoice errors."""


class AmountRejected(InvoiceError):
    """11 REJECTED_AMOUNT: amount <= 0, above limits, or a commit above the reserved amount."""


class InvalidInvoiceData(InvoiceError):
    """49 INVALID_INVOICE_DATA: e.g. wrong currency, missing total, bad payment mode."""


class InvalidNotificationUrl(InvoiceError):
    """64 INVALID_NOTIFICATION_URL: not an absolute http(s) URL, or denied by the operator."""


class InvoiceNotFound(InvoiceError):
    """54 INVALID_INVOICE_REFERENCE: no such invoice for this terminal."""


class PaymentInProgress(InvoiceError):
    """48 PAYMENT_IN_PROGRESS: the customer is paying right now (or a refund is running)."""

    retryable = True


class CannotCancelPaidInvoice(InvoiceError):
    """50 CANNOT_CANCEL_PAID_INVOICE: already paid -- call ``get_payment_status`` to
    acknowledge it, and ``refund_payment`` if you really want to give the money back."""


class CannotCancelInvoiceInProgress(InvoiceError):
    """51 CANNOT_CANCEL_INVOICE_IN_PROGRESS: the customer is paying right now."""

    retryable = True


class InvoiceAlreadyCanceled(InvoiceError):
    """95 INVOICE_ALREADY_CANCELED (also for a FAILED invoice)."""


class InvoiceNotReserved(InvoiceError):
    """96 INVOICE_STATE_NOT_RESERVED: ``commit_reservation`` on an invoice that is not RESERVED."""


class PaymentExpired(InvoiceError):
    """58 PAYMENT_EXPIRED: the reservation timed out (2015 clients only)."""


class RefundError(SeqrError):
    """Base of the refund/receipt errors."""


class InvalidErsReference(RefundError):
    """23 INVALID_ERS_REFERENCE: unknown payment (or refund) reference."""


class RefundNotAllowed(RefundError):
    """97 RESELLER_NOT_ALLOWED_TO_DO_REFUND."""


class RefundExceedsOriginal(RefundError):
    """98 SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION."""


class ReceiverDoesNotAllowRefunds(RefundError):
    """99 RECEIVER_ACCOUNT_DOES_NOT_ALLOW_REFUNDS."""


class SessionError(SeqrError):
    """Base of the External Service session (TOKEN) errors of ``get_client_session_info``."""


class SessionExpired(SessionError):
    """60 AUTHORIZATION_EXPIRED: the TOKEN's lifetime is over."""


class SessionCancelled(SessionError):
    """61 AUTHORIZATION_CANCELLED: the user left the service (``SEQR-ACTION://WIZARD/CANCEL``)."""


class SessionInProgress(SessionError):
    """62 AUTHORIZATION_IN_PROGRESS: the app has not confirmed the user yet; retry shortly."""

    retryable = True


class InvalidSessionToken(SessionError):
    """63 INVALID_AUTHORIZATION_REFERENCE: unknown TOKEN, or a TOKEN of another service."""


class InvalidSeqrId(SeqrError):
    """53 INVALID_SEQR_ID: not alphanumeric, or assigned to another terminal."""


class ReportNotReady(SeqrError):
    """2 REPORT_NOT_READY: the period is still being processed; retry after a few seconds."""

    retryable = True


class ServerError(SeqrError):
    """Base of the server-side failures (90, 91, 93, 94)."""


class SeqrSystemError(ServerError):
    """90 SYSTEM_ERROR: unclassified error (also ``update_invoice`` on a final invoice)."""


class UnsupportedOperation(ServerError):
    """91 UNSUPPORTED_OPERATION."""


class SystemBusy(ServerError):
    """93 SYSTEM_BUSY: the server sheds load; retry later."""

    retryable = True


class ServiceUnavailable(ServerError):
    """94 SERVICE_UNAVAILABLE: the account provider (bank) is unavailable; retry later."""

    retryable = True


R = ResultCode
#: The one mapping table: result code -> exception class.
ERRORS_BY_CODE: dict[ResultCode, type[SeqrError]] = {
    R.REPORT_NOT_READY: ReportNotReady,
    R.REJECTED_AMOUNT: AmountRejected,
    R.AUTHENTICATION_FAILED: AuthenticationFailed,
    R.ACCESS_DENIED: AccessDenied,
    R.INVALID_NEW_PASSWORD: InvalidNewPassword,
    R.INVALID_ERS_REFERENCE: InvalidErsReference,
    R.INVALID_INITIATOR_PRINCIPAL_ID: InvalidPrincipal,
    R.INVALID_INITIATOR_PRINCIPAL_STATE: PrincipalBlocked,
    R.INITIATOR_PRINCIPAL_NOT_FOUND: PrincipalNotFound,
    R.PAYMENT_IN_PROGRESS: PaymentInProgress,
    R.INVALID_INVOICE_DATA: InvalidInvoiceData,
    R.CANNOT_CANCEL_PAID_INVOICE: CannotCancelPaidInvoice,
    R.CANNOT_CANCEL_INVOICE_IN_PROGRESS: CannotCancelInvoiceInProgress,
    R.INVALID_SEQR_ID: InvalidSeqrId,
    R.INVALID_INVOICE_REFERENCE: InvoiceNotFound,
    R.PAYMENT_EXPIRED: PaymentExpired,
    R.AUTHORIZATION_EXPIRED: SessionExpired,
    R.AUTHORIZATION_CANCELLED: SessionCancelled,
    R.AUTHORIZATION_IN_PROGRESS: SessionInProgress,
    R.INVALID_AUTHORIZATION_REFERENCE: InvalidSessionToken,
    R.INVALID_NOTIFICATION_URL: InvalidNotificationUrl,
    R.SYSTEM_ERROR: SeqrSystemError,
    R.UNSUPPORTED_OPERATION: UnsupportedOperation,
    R.SYSTEM_BUSY: SystemBusy,
    R.SERVICE_UNAVAILABLE: ServiceUnavailable,
    R.INVOICE_ALREADY_CANCELED: InvoiceAlreadyCanceled,
    R.INVOICE_STATE_NOT_RESERVED: InvoiceNotReserved,
    R.RESELLER_NOT_ALLOWED_TO_DO_REFUND: RefundNotAllowed,
    R.SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION: RefundExceedsOriginal,
    R.RECEIVER_ACCOUNT_DOES_NOT_ALLOW_REFUNDS: ReceiverDoesNotAllowRefunds,
}
del R


def error_for_code(
    code: int, description: str | None = None, operation: str | None = None
) -> SeqrError:
    """The exception instance for a non-zero result ``code`` (plain :class:`SeqrError` if the
    code is not in :data:`ERRORS_BY_CODE`)."""
    try:
        cls = ERRORS_BY_CODE.get(ResultCode(int(code)), SeqrError)
    except ValueError:
        cls = SeqrError
    return cls(code, description, operation)
