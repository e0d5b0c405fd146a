"""Errors of the headless wallet: one class per app-API answer the app reacts to differently."""

from __future__ import annotations


class WalletError(Exception):
    """Something the wallet could not do. `status_code`/`error` come from the app API if any."""

    def __init__(
        self, message: str, *, status_code: int | None = None, error: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.error = error


class ServerUnreachable(WalletError):
    """The SEQR server (or a service page) did not answer at the HTTP level."""


class InvalidCode(WalletError):
    """Not a valid SEQR code (rejected locally or by the server)."""


class BadRequest(WalletError):
    """The server rejected the request as malformed (400)."""


class NotFound(WalletError):
    """Unknown customer, invoice or session (404)."""


class NotSignedIn(WalletError):
    """The app session token is missing, expired or not accepted (401 NotSignedIn)."""


class WrongPin(WalletError):
    """The PIN was wrong (401); the server locks the wallet after three."""


class PinLocked(WalletError):
    """Too many wrong PINs (423)."""


class InvoiceChanged(WalletError):
    """The invoice changed since it was shown (409 InvoiceChanged); view it again."""


class NotPayable(WalletError):
    """The invoice (or code) cannot be paid in its current state (409)."""


class ProviderUnavailable(WalletError):
    """The account provider is unavailable (503); nothing was debited."""


__all__ = [
    "WalletError",
    "ServerUnreachable",
    "InvalidCode",
    "BadRequest",
    "NotFound",
    "NotSignedIn",
    "WrongPin",
    "PinLocked",
    "InvoiceChanged",
    "NotPayable",
    "ProviderUnavailable",
]
