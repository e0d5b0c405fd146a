"""What the cinema sells (the merchant's own business data). Prices in SEK, VAT 6 % on tickets."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

CURRENCY = "SEK"


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    detail: str
    price: Decimal
    tax_rate: int  # percent
    kind: str  # ticket | snack


CATALOGUE: dict[str, Product] = {
    p.sku: p
    for p in (
        Product(
            "T-ADULT",
            "Adult ticket",
            "The Northern Lights, salon 1, 19:30",
            Decimal("135.00"),
            6,
            "ticket",
        ),
        Product(
            "T-CHILD",
            "Child ticket",
            "The Northern Lights, salon 1, 19:30 (under 12)",
            Decimal("95.00"),
            6,
            "ticket",
        ),
        Product(
            "T-SENIOR",
            "Senior ticket",
            "The Northern Lights, salon 1, 19:30 (65+)",
            Decimal("110.00"),
            6,
            "ticket",
        ),
        Product(
            "S-POPCORN",
            "Popcorn, large",
            "Salted, served in the foyer",
            Decimal("65.00"),
            12,
            "snack",
        ),
        Product("S-SODA", "Soda 50 cl", "Collect at the bar", Decimal("35.00"), 12, "snack"),
    )
}

MAX_QUANTITY = 20
