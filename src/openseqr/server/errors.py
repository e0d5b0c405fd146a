"""THE table: domain errors → SEQR result codes (spec 11). The SOAP edge uses nothing else.

Lookup walks the exception's MRO, so a subclass maps like its parent unless listed itself.
"""

from __future__ import annotations

from ..core import errors as e
from ..protocol.result_codes import ResultCode as R

RESULT_CODES: dict[type[e.DomainError], R] = {
    e.AuthenticationFailed: R.AUTHENTICATION_FAILED,
    e.AccessDenied: R.ACCESS_DENIED,
    e.InvalidNewPassword: R.INVALID_NEW_PASSWORD,
    e.UnknownTerminal: R.INVALID_INITIATOR_PRINCIPAL_ID,
    e.PrincipalBlocked: R.INVALID_INITIATOR_PRINCIPAL_STATE,
    e.UnknownReseller: R.INITIATOR_PRINCIPAL_NOT_FOUND,
    e.InvalidInvoiceData: R.INVALID_INVOICE_DATA,
    e.AmountRejected: R.REJECTED_AMOUNT,
    e.InvalidNotificationUrl: R.INVALID_NOTIFICATION_URL,
    e.InvalidSeqrId: R.INVALID_SEQR_ID,
    e.InvoiceNotFound: R.INVALID_INVOICE_REFERENCE,
    e.InvalidTransition: R.SYSTEM_ERROR,
    e.PaymentInProgress: R.PAYMENT_IN_PROGRESS,
    e.CannotCancelPaid: R.CANNOT_CANCEL_PAID_INVOICE,
    e.CannotCancelInProgress: R.CANNOT_CANCEL_INVOICE_IN_PROGRESS,
    e.AlreadyCanceled: R.INVOICE_ALREADY_CANCELED,
    e.NotReserved: R.INVOICE_STATE_NOT_RESERVED,
    e.InvoiceFinal: R.SYSTEM_ERROR,
    e.InvalidErsReference: R.INVALID_ERS_REFERENCE,
    e.RefundNotAllowed: R.RESELLER_NOT_ALLOWED_TO_DO_REFUND,
    e.RefundExceedsOriginal: R.SUM_OF_REFUNDS_CAN_NOT_BE_MORE_THAN_ORIGINAL_TRANSACTION,
    e.ReceiverRefusesRefunds: R.RECEIVER_ACCOUNT_DOES_NOT_ALLOW_REFUNDS,
    e.ProviderUnavailable: R.SERVICE_UNAVAILABLE,
    e.SessionExpired: R.AUTHORIZATION_EXPIRED,
    e.SessionCancelled: R.AUTHORIZATION_CANCELLED,
    e.SessionInProgress: R.AUTHORIZATION_IN_PROGRESS,
    e.UnknownSession: R.INVALID_AUTHORIZATION_REFERENCE,
    e.ReportNotReady: R.REPORT_NOT_READY,
    e.UnknownReport: R.SYSTEM_ERROR,
    e.Unsupported: R.UNSUPPORTED_OPERATION,
    e.Busy: R.SYSTEM_BUSY,
}

# D-15: clients that opt in (header X-OpenSEQR-Compat: 2015) learn that a reservation expired.
RESULT_CODES_2015: dict[type[e.DomainError], R] = {e.ReservationExpired: R.PAYMENT_EXPIRED}


def result_code(exc: e.DomainError, compat_2015: bool = False) -> R:
    for cls in type(exc).__mro__:
        if compat_2015 and cls in RESULT_CODES_2015:
            return RESULT_CODES_2015[cls]
        if cls in RESULT_CODES:
            return RESULT_CODES[cls]
    return R.SYSTEM_ERROR
