"""Operator use cases the console adds to `service.admin` (A-60): resellers, a terminal's new
password, customers' balances and top-ups, and transaction periods with their reports.

Errors are `AdminError` with a message meant for the operator, like `service.admin`'s.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from decimal import Decimal

from ..core import errors
from ..core.ledger import PROVIDER, TransferKind, customer_account, move
from ..core.money import Money
from ..core.records import Customer, Reseller, Terminal, TransactionPeriod
from .admin import AdminError
from .auth import Caller
from .context import Context
from .reports import CATALOGUE, ReportDocument, execute_report, mark_transaction_period
from .security import hash_secret
from .wallet import normalise_msisdn

MAX_TOP_UP = Decimal("1000000")  # per top-up, in the currency's major unit
MAX_BALANCE = Decimal("1000000000")  # stays far inside the 18 digits of minor units
REPORTS = tuple(name for name in CATALOGUE if name != "Shop") + ("Shop",)


@dataclass(frozen=True, slots=True)
class ResellerDetail:
    reseller: Reseller
    terminals: list[Terminal]


@dataclass(frozen=True, slots=True)
class CustomerBalances:
    customer: Customer
    balances: dict[str, Decimal]


# -- resellers and terminals ----------------------------------------------------------------
def list_resellers(ctx: Context) -> list[Reseller]:
    with ctx.store.transaction(write=False) as tx:
        return tx.list_resellers()


def reseller_detail(ctx: Context, reseller_id: str) -> ResellerDetail:
    with ctx.store.transaction(write=False) as tx:
        reseller = tx.get_reseller(reseller_id)
        if reseller is None:
            raise AdminError(f"no reseller {reseller_id!r}")
        return ResellerDetail(reseller, tx.list_terminals(reseller_id))


def reset_terminal_password(ctx: Context, terminal_id: str) -> str:
    """A new random password, stored only as its hash: the caller shows it once."""
    password = secrets.token_urlsafe(12)
    with ctx.store.transaction() as tx:
        terminal = tx.get_terminal(terminal_id)
        if terminal is None:
            raise AdminError(f"no terminal {terminal_id!r}")
        tx.update_terminal(replace(terminal, password_hash=hash_secret(password)))
    return password


# -- customers ------------------------------------------------------------------------------
def customer_balances(ctx: Context) -> list[CustomerBalances]:
    with ctx.store.transaction(write=False) as tx:
        return [
            CustomerBalances(c, tx.balances_of(customer_account(c.subscriber_key)))
            for c in tx.list_customers()
        ]


def top_up(ctx: Context, msisdn: str, amount: str, currency: str) -> Decimal:
    """Fund the wallet from the simulated provider (a FUNDING transfer); the new balance."""
    try:
        money = Money.of(amount.strip(), currency.strip().upper())
    except (errors.InvalidAmount, errors.InvalidCurrency) as exc:
        raise AdminError(str(exc)) from None
    if not Decimal(0) < money.amount <= MAX_TOP_UP:
        raise AdminError(f"a top-up is more than 0 and at most {MAX_TOP_UP} {money.currency}")
    with ctx.store.transaction() as tx:
        customer = tx.customer_by_msisdn(normalise_msisdn(msisdn))
        if customer is None:
            raise AdminError(f"no customer with MSISDN {msisdn!r}")
        account = customer_account(customer.subscriber_key)
        balance = tx.lock_balance(account, money.currency) + money.amount
        if balance > MAX_BALANCE:
            raise AdminError(f"a wallet holds at most {MAX_BALANCE} {money.currency}")
        tx.apply_transfer(move(TransferKind.FUNDING, PROVIDER, account, money, at=ctx.now()))
    return balance


# -- reports --------------------------------------------------------------------------------
def transaction_periods(ctx: Context, reseller_id: str, limit: int = 50) -> list[TransactionPeriod]:
    with ctx.store.transaction(write=False) as tx:
        if tx.get_reseller(reseller_id) is None:
            raise AdminError(f"no reseller {reseller_id!r}")
        return tx.periods_of_reseller(reseller_id, limit)


def reports_of(period: TransactionPeriod) -> tuple[str, ...]:
    """The reports a period has: the per-terminal ones only when it was marked for a terminal."""
    return tuple(r for r in REPORTS if period.terminal_id is not None or not CATALOGUE[r][1])


def close_period(ctx: Context, reseller_id: str, terminal_id: str | None) -> TransactionPeriod:
    """markTransactionPeriod for the reseller (or one of its terminals), from the console."""
    with ctx.store.transaction(write=False) as tx:
        reseller = tx.get_reseller(reseller_id)
    if reseller is None:
        raise AdminError(f"no reseller {reseller_id!r}")
    params = (("TERMINALID", terminal_id),) if terminal_id else ()
    try:
        return mark_transaction_period(ctx, Caller(reseller, None), params)
    except errors.DomainError as exc:
        raise AdminError(str(exc) or type(exc).__doc__ or "cannot close the period") from None


def period_report(
    ctx: Context, period_id: str, report_id: str, scope: str | None = None
) -> ReportDocument:
    """A report of the period's own reseller (and terminal, for the per-terminal reports);
    with `scope`, only of that reseller's periods."""
    if report_id not in CATALOGUE:
        raise AdminError(f"no report {report_id!r}")
    with ctx.store.transaction(write=False) as tx:
        period = tx.get_period(period_id)
        reseller = tx.get_reseller(period.reseller_id) if period else None
    if period is None or reseller is None or scope not in (None, period.reseller_id):
        raise AdminError(f"no transaction period {period_id!r}")
    params = [("transactionPeriodId", period_id)]
    if period.terminal_id is not None:
        params.append(("TERMINALID", period.terminal_id))
    try:
        return execute_report(ctx, Caller(reseller, None), report_id, tuple(params))
    except errors.DomainError as exc:
        raise AdminError(str(exc) or type(exc).__doc__ or "report unavailable") from None
