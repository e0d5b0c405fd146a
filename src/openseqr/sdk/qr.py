"""SEQR URL and QR-code helpers for merchants (thin wrappers over :mod:`openseqr.protocol.urls`
and :mod:`openseqr.qr`).

* :func:`invoice_qr` -- ``HTTP://SEQR.SE/R<reference>``: show it as a QR code (desktop shops).
* :func:`deep_link` -- ``seqr://SEQR.SE/R<reference>``: link/redirect to it on a phone (mobile
  shops, apps, External Service pages); ``scheme="seqr-demo"`` for the demo app.
* :func:`terminal_qr` -- ``HTTP://SEQR.SE/Q<seqrId>``: a cash register's static sticker.
* :func:`service_qr` -- ``HTTP://SEQR.SE/000/<SERVICE_ID>?p=v``: starts an External Service.
* :func:`qr_png` / :func:`qr_svg` / :func:`qr_terminal` -- render any of them (level M, quiet
  zone 2, as the SEQR print guideline asks).
* :func:`parse_service_fragment` -- on your Success page, ``location.hash``
  ``#TOKEN_<reference>`` -> ``("TOKEN", "<reference>")`` (Order/Failure/Cancel: ``#TOKEN``).
"""

from __future__ import annotations

from openseqr import qr as _qr
from openseqr.protocol import urls as _urls

__all__ = [
    "invoice_qr",
    "deep_link",
    "terminal_qr",
    "service_qr",
    "qr_png",
    "qr_svg",
    "qr_terminal",
    "parse_service_fragment",
    "WIZARD_CANCEL",
    "InvalidCode",
    "InvalidFragment",
]

#: Link that closes an External Service and returns to the SEQR app.
WIZARD_CANCEL = _urls.WIZARD_CANCEL
InvalidCode = _urls.InvalidCode
InvalidFragment = _urls.InvalidFragment


def invoice_qr(reference: str) -> str:
    """The QR text of an invoice: ``HTTP://SEQR.SE/R<reference>`` (= ``SentInvoice.qr_code``)."""
    return _urls.invoice_qr(reference)


def deep_link(reference_or_qr: str, scheme: str = "seqr") -> str:
    """The link that opens the SEQR app on the invoice: ``seqr://SEQR.SE/R<reference>``.

    Accepts an invoice reference or its QR text. ``scheme``: ``"seqr"`` (production app),
    ``"seqr-demo"`` or ``"seqr-debug"``.
    """
    text = reference_or_qr.strip()
    if text.isdigit():
        return _urls.format_code(_urls.PaymentTrigger(text, scheme))
    return _urls.to_deep_link(text, scheme)


def terminal_qr(seqr_id: str) -> str:
    """The static sticker QR of a cash register: ``HTTP://SEQR.SE/Q<seqr_id>``."""
    return _urls.format_code(_urls.TerminalCode(seqr_id))


def service_qr(service_id: str, /, **params: str) -> str:
    """The QR of an External Service: ``HTTP://SEQR.SE/000/<service_id>?k=v&...``.

    ``params`` (free-form, e.g. ``zone="5"``) come back from ``get_client_session_info``.
    Keep the whole text under ~60 characters so the code stays small.
    """
    pairs = tuple((k, str(v)) for k, v in params.items())
    return _urls.format_code(_urls.ServiceCode(service_id, pairs))


def qr_png(content: str, scale: int = 6) -> bytes:
    """PNG image of ``content`` (``scale`` pixels per module)."""
    return _qr.qr_png(content, scale)


def qr_svg(content: str, scale: int = 6) -> bytes:
    """SVG image of ``content`` (UTF-8 bytes)."""
    return _qr.qr_svg(content, scale)


def qr_terminal(content: str) -> str:
    """``content`` as a QR drawn with Unicode blocks, for a terminal."""
    return _qr.qr_terminal(content)


def parse_service_fragment(fragment: str) -> tuple[str, str | None]:
    """``"#TOKEN"`` -> ``("TOKEN", None)``; ``"#TOKEN_<reference>"`` -> ``("TOKEN", reference)``.

    Use it in your service backend with the fragment your page's JavaScript read from
    ``location.hash`` (browsers never send the fragment to the server). Then call
    ``get_client_session_info(token)`` and ``get_payment_status(reference)``.
    Raises :class:`InvalidFragment`.
    """
    return _urls.parse_service_fragment(fragment)
