"""Money: `Decimal` amounts with an ISO 4217 currency; never float.

Amounts are validated to at most the currency's minor digits (D-39), so they can be stored
exactly as integer minor units (`to_minor` / `from_minor`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .errors import InvalidAmount, InvalidCurrency

# ISO 4217 active codes and their minor-unit digits (codes with 2 digits unless listed).
_ZERO_DIGITS = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE_DIGITS = "BHD IQD JOD KWD LYD OMR TND"
_FOUR_DIGITS = "CLF UYW"
_TWO_DIGITS = (
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP "
    "BYN BZD CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD "
    "FKP GBP GEL GHS GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD "
    "KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD "
    "NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP "
    "SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VES "
    "VED WST XCD YER ZAR ZMW ZWG"
)
MINOR_DIGITS: dict[str, int] = {
    **{c: 2 for c in _TWO_DIGITS.split()},
    **{c: 0 for c in _ZERO_DIGITS.split()},
    **{c: 3 for c in _THREE_DIGITS.split()},
    **{c: 4 for c in _FOUR_DIGITS.split()},
}

MAX_DIGITS = 18  # an older field table gives totalAmount a max length of 18


def check_currency(code: str | None) -> str:
    if not code or code.upper() != code or code not in MINOR_DIGITS:
        raise InvalidCurrency(f"not an ISO 4217 currency code: {code!r}")
    return code


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    @classmethod
    def of(cls, amount: Decimal | str | int, currency: str | None) -> Money:
        """Validate and build; raises InvalidAmount / InvalidCurrency."""
        cur = check_currency(currency)
        try:
            value = amount if isinstance(amount, Decimal) else Decimal(str(amount))
        except InvalidOperation:
            raise InvalidAmount(f"not a decimal amount: {amount!r}") from None
        if not value.is_finite():
            raise InvalidAmount("amount must be finite")
        exponent = value.as_tuple().exponent
        assert isinstance(exponent, int)
        if -exponent > MINOR_DIGITS[cur] and value != value.quantize(_quantum(cur)):
            raise InvalidAmount(f"{cur} has {MINOR_DIGITS[cur]} minor digits: {value}")
        if value.adjusted() + MINOR_DIGITS[cur] >= MAX_DIGITS:  # fits 18 digits of minor units
            raise InvalidAmount("amount too large")
        return cls(value.quantize(_quantum(cur)), cur)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0).quantize(_quantum(currency)), currency)

    def to_minor(self) -> int:
        return int(self.amount.scaleb(MINOR_DIGITS[self.currency]))

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        return cls(Decimal(minor).scaleb(-MINOR_DIGITS[currency]), currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidCurrency(f"currency mismatch: {self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount <= other.amount

    @property
    def is_positive(self) -> bool:
        return self.amount > 0

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def _quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-MINOR_DIGITS[currency])
