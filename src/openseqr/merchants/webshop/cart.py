"""The cart (a signed cookie, no server state before checkout) and which device is shopping."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from decimal import Decimal
from typing import Any

from .catalogue import CATALOGUE, MAX_QUANTITY, Product

_MOBILE = re.compile(r"Android|iPhone|iPad|iPod|IEMobile", re.I)
_UNSUPPORTED = re.compile(r"BlackBerry|Opera Mini", re.I)


def platform_of(user_agent: str) -> str:
    """``mobile`` / ``unsupported`` / ``desktop``, decided as the SEQR webshop plugin does."""
    if _UNSUPPORTED.search(user_agent or ""):
        return "unsupported"
    return "mobile" if _MOBILE.search(user_agent or "") else "desktop"


class CartCookie:
    """The cart as ``{sku: quantity}`` in a cookie, signed with HMAC-SHA256."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _sign(self, payload: bytes) -> str:
        return hmac.new(self.secret, payload, hashlib.sha256).hexdigest()

    def dump(self, cart: dict[str, int]) -> str:
        # no "=" padding: a cookie value with "=" gets quoted, and quotes are not undone everywhere
        payload = base64.urlsafe_b64encode(json.dumps(cart).encode()).decode().rstrip("=")
        return f"{payload}.{self._sign(payload.encode())}"

    def load(self, value: str | None) -> dict[str, int]:
        if not value or "." not in value:
            return {}
        payload, _, signature = value.rpartition(".")
        if not hmac.compare_digest(signature, self._sign(payload.encode())):
            return {}
        try:
            data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        except ValueError:
            return {}
        if not isinstance(data, dict):
            return {}
        return {
            k: int(v)
            for k, v in data.items()
            if k in CATALOGUE and isinstance(v, int) and 0 < v <= MAX_QUANTITY
        }


def cart_lines(cart: dict[str, int]) -> tuple[list[dict[str, Any]], Decimal]:
    """The cart's lines as shown and stored with the order, and its total."""
    lines = []
    total = Decimal("0.00")
    for sku, qty in cart.items():
        p: Product = CATALOGUE[sku]
        line_total = p.price * qty
        total += line_total
        lines.append(
            {
                "sku": sku,
                "name": p.name,
                "detail": p.detail,
                "quantity": qty,
                "unit_price": f"{p.price:.2f}",
                "total": f"{line_total:.2f}",
                "tax_rate": p.tax_rate,
            }
        )
    return lines, total
