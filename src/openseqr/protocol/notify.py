"""Merchant notification body (spec 9.2, D-01) and optional HMAC signature.

Body: ``application/x-www-form-urlencoded; charset=UTF-8`` with ``invoiceReference`` and
``clientInvoiceId`` (empty string when none), plus optional extra fields: ``deliveryId`` (the
same on every attempt and redelivery of one notification, so a merchant can drop repeats; D-01)
and e.g. ``msisdn``/``subscriberKey`` when enabled for the merchant.

Signature header ``X-Seqr-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, f"{t}." + body)>``.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, urlencode

__all__ = [
    "NOTIFICATION_CONTENT_TYPE",
    "SIGNATURE_HEADER",
    "DELIVERY_ID_FIELD",
    "encode_notification",
    "decode_notification",
    "sign",
    "verify",
]

NOTIFICATION_CONTENT_TYPE = "application/x-www-form-urlencoded; charset=UTF-8"
SIGNATURE_HEADER = "X-Seqr-Signature"
DELIVERY_ID_FIELD = "deliveryId"


def encode_notification(
    invoice_reference: str, client_invoice_id: str | None, extra: dict[str, str] | None = None
) -> bytes:
    fields: list[tuple[str, str]] = [
        ("invoiceReference", invoice_reference),
        ("clientInvoiceId", client_invoice_id if client_invoice_id is not None else ""),
    ]
    if extra:
        for key, value in extra.items():
            if key in ("invoiceReference", "clientInvoiceId"):
                raise ValueError(f"extra field {key!r} collides with a standard field")
            fields.append((key, "" if value is None else str(value)))
    return urlencode(fields, encoding="utf-8").encode("ascii")


def decode_notification(body: bytes) -> dict[str, str]:
    """Parse a notification body; the first occurrence of a repeated field wins."""
    out: dict[str, str] = {}
    text = body.decode("utf-8") if isinstance(body, bytes | bytearray) else str(body)
    for key, value in parse_qsl(text, keep_blank_values=True, encoding="utf-8"):
        out.setdefault(key, value)
    return out


def _mac(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, f"{int(timestamp)}.".encode("ascii") + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The value of the ``X-Seqr-Signature`` header."""
    return f"t={int(timestamp)},v1={_mac(secret, timestamp, body)}"


def verify(secret: bytes, header: str | None, body: bytes, now: int, tolerance: int = 300) -> bool:
    """Check a signature header.

    True when some ``v1`` matches (constant-time compare) and ``|now - t| <= tolerance``.
    """
    if not header:
        return False
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return False
        if key == "t":
            if not value.isascii() or not value.isdigit():
                return False
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates or abs(int(now) - timestamp) > tolerance:
        return False
    expected = _mac(secret, timestamp, body)
    ok = False
    for candidate in candidates:
        ok |= hmac.compare_digest(expected.encode("ascii"), candidate.encode("ascii", "replace"))
    return ok
