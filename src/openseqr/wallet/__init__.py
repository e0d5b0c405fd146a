"""The headless SEQR wallet: a black-box client of a real server (app API + service pages).

Imports only `openseqr.protocol`, httpx and the standard library (import-linter contract).
See `headless.HeadlessWallet` and docs/service-authors.md for the payment-trigger convention.
"""

from __future__ import annotations

from .client import AppClient, Invoice, ServiceSession, Waiting
from .errors import (
    BadRequest,
    InvalidCode,
    InvoiceChanged,
    NotFound,
    NotPayable,
    NotSignedIn,
    PinLocked,
    ProviderUnavailable,
    ServerUnreachable,
    WalletError,
    WrongPin,
)
from .headless import HeadlessWallet, Outcome, Status, normalise_code
from .webview import Choice, Navigation, Page, Visit, WebView, parse_page

__all__ = [
    "HeadlessWallet",
    "Outcome",
    "Status",
    "normalise_code",
    "AppClient",
    "Invoice",
    "ServiceSession",
    "Waiting",
    "Choice",
    "Navigation",
    "Page",
    "Visit",
    "WebView",
    "parse_page",
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
