"""The domain's error tree. Each docstring is the default message.

The SOAP edge maps these classes to SEQR result codes in exactly one table
(`openseqr.server.errors`); the app API maps them to HTTP statuses. Nothing here knows codes.
"""

from __future__ import annotations


class SeqrError(Exception):
    """SEQR operation failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self)


# -- authentication and principals ---------------------------------------------------------
class AuthenticationFailed(SeqrError):
    """Wrong password."""


class AccessDenied(SeqrError):
    """This principal may not perform this operation."""


class InvalidNewPassword(SeqrError):
    """The new password is not acceptable (at least 4 characters)."""


class UnknownTerminal(SeqrError):
    """Terminal id not found or not registered."""


class PrincipalBlocked(SeqrError):
    """The principal exists but is blocked or inactive."""


class UnknownReseller(SeqrError):
    """Reseller id or userId not found."""


# -- invoice data ---------------------------------------------------------------------------
class InvalidInvoiceData(SeqrError):
    """Invoice data is invalid."""


class InvalidCurrency(InvalidInvoiceData):
    """Currency is not accepted."""


class InvalidAmount(InvalidInvoiceData):
    """Amount is not a valid amount."""


class RejectedAmount(SeqrError):
    """Amount not acceptable."""


class InvalidNotificationUrl(SeqrError):
    """Not a valid notification URL."""


class InvalidSeqrId(SeqrError):
    """SEQR ID is not alphanumeric or is assigned to another terminal."""


# -- invoice state --------------------------------------------------------------------------
class InvoiceNotFound(SeqrError):
    """Invoice not found for this terminal."""


class InvalidTransition(SeqrError):
    """The invoice is not in a state that allows this operation."""


class PaymentInProgress(InvalidTransition):
    """A payment on this invoice is being processed."""


class CannotCancelPaid(InvalidTransition):
    """The invoice is already paid."""


class CannotCancelInProgress(InvalidTransition):
    """A payment on this invoice is in progress."""


class AlreadyCanceled(InvalidTransition):
    """The invoice is already cancelled."""


class NotReserved(InvalidTransition):
    """The invoice is not in reserved state."""


class ReservationExpired(NotReserved):
    """The reservation expired before it was committed."""


class InvoiceFinal(InvalidTransition):
    """The invoice is final and cannot be changed."""


# -- payments and refunds -------------------------------------------------------------------
class UnknownErsReference(SeqrError):
    """The given ERS reference cannot be found."""


class RefundNotAllowed(SeqrError):
    """Refunds are not allowed for this reseller."""


class RefundExceedsOriginal(SeqrError):
    """The sum of refunds cannot be more than the original transaction."""


class ReceiverRefusesRefunds(SeqrError):
    """The receiver's account does not allow refunds."""


class ProviderUnavailable(SeqrError):
    """The account provider is unavailable."""


class InsufficientFunds(SeqrError):
    """The account does not hold enough money."""


# -- client sessions (External Services) ---------------------------------------------------
class SessionExpired(SeqrError):
    """Authorization expired."""


class SessionCancelled(SeqrError):
    """Authorization cancelled."""


class SessionInProgress(SeqrError):
    """Authorization in progress."""


class UnknownSession(SeqrError):
    """Invalid authorization reference."""


# -- reports --------------------------------------------------------------------------------
class ReportNotReady(SeqrError):
    """Report not ready yet; try again in a few seconds."""


class UnknownReport(SeqrError):
    """Report or transaction period not found."""


# -- wallet (app API) -----------------------------------------------------------------------
class UnknownCustomer(SeqrError):
    """Unknown customer or wrong PIN."""


class WrongPin(SeqrError):
    """Wrong PIN."""


class PinLocked(SeqrError):
    """Too many wrong PINs; the wallet is locked."""


class PinLockedNow(PinLocked):
    """That was the third wrong PIN; the wallet is now locked and this payment failed."""


class InvoiceChanged(SeqrError):
    """The invoice changed since it was shown; show it again before paying."""


class NotPayable(InvalidTransition):
    """This invoice cannot be paid."""


class Unsupported(SeqrError):
    """Operation not supported."""


class Busy(SeqrError):
    """The server is busy; try again."""
