"""Parking zones, durations and prices (the merchant's own business rules)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class Zone:
    code: str
    name: str
    hourly_rate: Decimal  # SEK per hour

    def price(self, minutes: int) -> Decimal:
        return (self.hourly_rate * minutes / 60).quantize(Decimal("0.01"), ROUND_HALF_UP)


@dataclass(frozen=True)
class Duration:
    minutes: int
    label: str


#: The zones printed on the parking signs (`HTTP://SEQR.SE/000/parking?zone=42`).
ZONES: dict[str, Zone] = {
    z.code: z
    for z in (
        Zone("1", "City centre", Decimal("40")),
        Zone("5", "Old town", Decimal("30")),
        Zone("42", "Harbour", Decimal("20")),
    )
}

DURATIONS: tuple[Duration, ...] = (
    Duration(30, "30 min"),
    Duration(60, "1 h"),
    Duration(120, "2 h"),
    Duration(240, "4 h"),
)
DEFAULT_MINUTES = 60
CURRENCY = "SEK"


def duration(minutes: int) -> Duration | None:
    return next((d for d in DURATIONS if d.minutes == minutes), None)
