"""How the merchants' pages and receipts show money and time."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal


def format_amount(amount: Decimal | str, currency: str = "SEK") -> str:
    """``12.50 kr`` for SEK, ``12.50 EUR`` for any other currency."""
    value = Decimal(amount)
    return f"{value:.2f} kr" if currency == "SEK" else f"{value:.2f} {currency}"


def local_time(dt: datetime | None, seconds: bool = False) -> str:
    """`dt` in the machine's local time zone (``""`` for none), to the minute or second."""
    if dt is None:
        return ""
    return dt.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
