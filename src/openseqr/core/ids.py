"""Identifier shapes as observed on the wire (D-13b). All strings; uniqueness is the store's job."""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime


def _digits(n: int) -> str:
    return str(secrets.randbelow(10**n)).zfill(n)


def invoice_reference(now: datetime) -> str:
    """17 digits: yyyyMMdd + 9 random digits."""
    return f"{now.year:04d}{now.month:02d}{now.day:02d}" + _digits(9)


def ers_reference(now: datetime) -> str:
    """25 digits: yyyyMMddHHmmssSSS + 8 random digits (payments, refunds, periods)."""
    # the fields formatted one by one: half of strftime's cost, once per payment
    return (
        f"{now.year:04d}{now.month:02d}{now.day:02d}{now.hour:02d}{now.minute:02d}"
        f"{now.second:02d}{now.microsecond // 1000:03d}" + _digits(8)
    )


def terminal_id() -> str:
    """32 lowercase hex characters."""
    return uuid.uuid4().hex


def payer_terminal_id() -> str:
    """25 hex characters: the buyer's device id."""
    return secrets.token_hex(13)[:25]


def notification_id() -> str:
    return uuid.uuid4().hex
