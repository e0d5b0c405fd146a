"""The domain's error tree. Each docstring is the default message.

The SOAP edge maps these classes to SEQR result codes in exactly one table
(`openseqr.server.errors`); the app API maps them to HTTP statuses. Nothing here knows codes.
"""

from __future__ import annotations


class DomainError(Exception):
    """SEQR operation failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self)


# -- authentication and principals ---------------------------------------------------------
class AuthenticationFailed(DomainError):
    """Wrong password."""


class AccessDenied(DomainError):
    """This principal may not perform this operation."""


class InvalidNewPassword(DomainError):
    """The new password is not acceptable (at least 4 characters)."""


class UnknownTerminal(DomainError):
    """Terminal id not found or not registered."""


class PrincipalBlocked(DomainError):
    """The principal exists but is blocked or inactive."""


class UnknownReseller(DomainError):
    """Reseller id or userId not found."""


# -- invoice data ---------------------------------------------------------------------------
class InvalidInvoiceData(DomainError):
    """Invoice data is invalid."""


class InvalidCurrency(InvalidInvoiceData):
    """Currency is not accepted."""


class InvalidAmount(InvalidInvoiceData):
    """Amount is not a valid amount."""


class AmountRejected(DomainError):
    """Amount not acceptable."""


class InvalidNotificationUrl(DomainError):
    """Not a valid notification URL."""


class InvalidSeqrId(DomainError):
    """SEQR ID is not alphanumeric or is assigned to another terminal."""


# -- invoice state --------------------------------------------------------------------------
class InvoiceNotFound(DomainError):
    """Invoice not found for this terminal."""


class InvalidTransition(DomainError):
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
class InvalidErsReference(DomainError):
    """The given ERS reference cannot be found."""


class RefundNotAllowed(DomainError):
    """Refunds are not allowed for this reseller."""


class RefundExceedsOriginal(DomainError):
    """The sum of refunds cannot be more than the original transaction."""


class ReceiverRefusesRefunds(DomainError):
    """The receiver's account does not allow refunds."""


class ProviderUnavailable(DomainError):
    """The account provider is unavailable."""


class InsufficientFunds(DomainError):
    """The account does not hold enough money."""


# -- client sessions (External Services) ---------------------------------------------------
class SessionExpired(DomainError):
    """Authorization expired."""


class SessionCancelled(DomainError):
    """Authorization cancelled."""


class SessionInProgress(DomainError):
    """Authorization in progress."""


class UnknownSession(DomainError):
    """Invalid authorization reference."""


# -- reports --------------------------------------------------------------------------------
class ReportNotReady(DomainError):
    """Report not ready yet; try again in a few seconds."""


class UnknownReport(DomainError):
    """Report or transaction period not found."""


# -- wallet (app API) -----------------------------------------------------------------------
class UnknownCustomer(DomainError):
    """Unknown customer or wrong PIN."""


class WrongPin(DomainError):
    """Wrong PIN."""


class PinLocked(DomainError):
    """Too many wrong PINs; the wallet is locked."""


class SourceLocked(PinLocked):
    """Too many wrong PINs from this address; try again later."""


class PinLockedNow(PinLocked):
    """That was the third wrong PIN; the wallet is now locked and this payment failed."""


class InvoiceChanged(DomainError):
    """The invoice changed since it was shown; show it again before paying."""


class NotPayable(InvalidTransition):
    """This invoice cannot be paid."""


class Unsupported(DomainError):
    """Operation not supported."""


class Busy(DomainError):
    """The server is busy; try again."""
