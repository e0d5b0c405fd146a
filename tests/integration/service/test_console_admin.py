"""The console's operator use cases on a real database (A-60)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from openseqr.core import errors
from openseqr.core.ledger import PROVIDER, TransferKind, customer_account, move
from openseqr.core.money import Money
from openseqr.service import reports
from openseqr.service.admin import AdminError
from openseqr.service.auth import authenticate
from openseqr.service.console_admin import (
    close_period,
    customer_balances,
    list_resellers,
    period_report,
    reports_of,
    reseller_detail,
    reset_terminal_password,
    top_up,
    transaction_periods,
)

TERMINAL = "public_test_shop_terminal"


def ledger_is_balanced(ctx):
    with ctx.store.transaction(write=False) as tx:
        return all(v == 0 for v in tx.entry_sums().values()) and tx.balances_match_entries()


def test_resellers_and_their_terminals(ctx):
    assert [r.reseller_id for r in list_resellers(ctx)] == ["public_test_shop"]
    detail = reseller_detail(ctx, "public_test_shop")
    assert [t.terminal_id for t in detail.terminals] == [TERMINAL]
    with pytest.raises(AdminError, match="no reseller"):
        reseller_detail(ctx, "nobody")


def test_a_reset_password_replaces_the_old_one(ctx):
    password = reset_terminal_password(ctx, TERMINAL)
    assert len(password) >= 16
    assert authenticate(ctx, "TERMINALID", TERMINAL, None, password).terminal is not None
    with pytest.raises(errors.DomainError):
        authenticate(ctx, "TERMINALID", TERMINAL, None, "12345678")
    with pytest.raises(AdminError, match="no terminal"):
        reset_terminal_password(ctx, "nobody")


def test_top_up_funds_the_wallet_through_the_ledger(ctx):
    before = {c.customer.msisdn: c.balances for c in customer_balances(ctx)}
    assert before["46700000001"]["SEK"] == Decimal("101000.00")
    assert top_up(ctx, "46700000003", "12.50", "sek") == Decimal("12.50")
    assert top_up(ctx, "46700000003", "1", "JPY") == Decimal("1")
    after = {c.customer.msisdn: c.balances for c in customer_balances(ctx)}
    carol = {"EUR": Decimal("1000.00"), "JPY": Decimal("1"), "SEK": Decimal("12.50"),
             "USD": Decimal("1000.00")}  # fmt: skip
    assert after["46700000003"] == carol
    with ctx.store.transaction(write=False) as tx:
        assert tx.balance(customer_account("103"), "SEK") == Decimal("12.50")
    assert ledger_is_balanced(ctx)


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("abc", "SEK", "not a decimal"),
        ("0", "SEK", "more than 0"),
        ("-5", "SEK", "more than 0"),
        ("1.234", "SEK", "minor digits"),
        ("NaN", "SEK", "finite"),
        ("1e400", "SEK", "too large"),
        ("1000000.01", "SEK", "at most"),
        ("5", "SEKK", "ISO 4217"),
        ("5", "", "ISO 4217"),
    ],
)
def test_top_up_refuses_what_is_not_money(ctx, amount, currency, message):
    with pytest.raises(AdminError, match=message):
        top_up(ctx, "46700000003", amount, currency)
    assert ledger_is_balanced(ctx)


def test_top_up_stops_at_the_wallet_limit_and_unknown_customers(ctx):
    with ctx.store.transaction() as tx:  # Bob holds 1 000 EUR; bring him near the limit
        tx.apply_transfer(move(TransferKind.FUNDING, PROVIDER, customer_account("102"),
                               Money.of("999998000", "EUR"), at=ctx.now()))  # fmt: skip
    assert top_up(ctx, "46700000002", "1000", "EUR") == Decimal("1000000000")
    with pytest.raises(AdminError, match="holds at most"):
        top_up(ctx, "46700000002", "0.01", "EUR")
    with pytest.raises(AdminError, match="no customer"):
        top_up(ctx, "46799999999", "5", "SEK")


def test_periods_and_their_reports(ctx, clock):
    shop = authenticate(ctx, "RESELLERUSER", "public_test_shop", "9900", "1234")
    shop_wide = reports.mark_transaction_period(ctx, shop, ())
    clock.advance(60)
    one_till = reports.mark_transaction_period(ctx, shop, (("TERMINALID", TERMINAL),))
    periods = transaction_periods(ctx, "public_test_shop")
    assert [p.period_id for p in periods] == [one_till.period_id, shop_wide.period_id]
    doc = period_report(ctx, shop_wide.period_id, "STD_RECON_002")
    assert "<ResellerId>public_test_shop</ResellerId>" in doc.content_string
    till = period_report(ctx, one_till.period_id, "STD_RECON_007")
    assert f"<TerminalId>{TERMINAL}</TerminalId>" in till.content_string
    with pytest.raises(AdminError, match="TERMINALID"):
        period_report(ctx, shop_wide.period_id, "STD_RECON_006")
    with pytest.raises(AdminError, match="no transaction period"):
        period_report(ctx, "nope", "STD_RECON_002")
    with pytest.raises(AdminError, match="no report"):
        period_report(ctx, shop_wide.period_id, "../etc")


def test_closing_a_period_from_the_console_and_its_scope(ctx, clock):
    shop_wide = close_period(ctx, "public_test_shop", None)
    clock.advance(60)
    one_till = close_period(ctx, "public_test_shop", TERMINAL)
    assert one_till.terminal_id == TERMINAL
    assert close_period(ctx, "public_test_shop", None).start_at == shop_wide.end_at
    assert "STD_RECON_006" not in reports_of(shop_wide)
    assert {"STD_RECON_006", "STD_RECON_007", "Shop"} <= set(reports_of(one_till))
    assert period_report(ctx, one_till.period_id, "Shop", "public_test_shop").content_string
    with pytest.raises(AdminError, match="no transaction period"):
        period_report(ctx, one_till.period_id, "Shop", "other_shop")
    with pytest.raises(AdminError, match="no reseller"):
        close_period(ctx, "nobody", None)
    with pytest.raises(AdminError, match="TERMINALID"):
        close_period(ctx, "public_test_shop", "nobody")
