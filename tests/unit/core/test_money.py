from decimal import Decimal

import pytest

from openseqr.core.errors import InvalidAmount, InvalidCurrency
from openseqr.core.money import Money


def test_amount_is_exact_decimal_quantised_to_minor_units():
    m = Money.of("149.9", "SEK")
    assert m.amount == Decimal("149.90") and str(m.amount) == "149.90"
    assert m.to_minor() == 14990
    assert Money.from_minor(14990, "SEK") == m


@pytest.mark.parametrize("code", ["XXX", "sek", "", None, "SEKK"])
def test_unknown_currency_is_refused(code):
    with pytest.raises(InvalidCurrency):
        Money.of("1", code)


@pytest.mark.parametrize("value", ["1.234", "NaN", "Infinity", "abc", "1e40"])
def test_bad_amounts_are_refused(value):
    with pytest.raises(InvalidAmount):
        Money.of(value, "SEK")


def test_zero_decimal_currency():
    assert Money.of("100", "JPY").to_minor() == 100
    with pytest.raises(InvalidAmount):
        Money.of("1.5", "JPY")


def test_arithmetic_refuses_mixed_currencies():
    with pytest.raises(InvalidCurrency):
        Money.of("1", "SEK") + Money.of("1", "EUR")
    assert Money.of("1.10", "EUR") + Money.of("2", "EUR") == Money.of("3.10", "EUR")
