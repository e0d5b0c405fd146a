"""Double-entry ledger: every movement of money is a `Transfer` whose entries sum to zero.

Sign convention (fixed once): an account's balance is the sum of its entries; money *held by*
an account is positive. A payment is `customer -X, merchant +X`. The `provider:<CUR>` account
is the outside world (the bank funding customer wallets), so it is negative by what customers
and merchants hold in total. Reservations park money on `holds:<CUR>`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from .money import Money


class TransferKind(str, Enum):
    FUNDING = "funding"  # provider -> customer (sandbox top-up)
    PAYMENT = "payment"  # customer -> merchant
    RESERVATION = "reservation"  # customer -> holds
    COMMIT = "commit"  # holds -> merchant (+ remainder back to customer)
    RELEASE = "release"  # holds -> customer
    REVERSAL = "reversal"  # merchant -> customer (unacknowledged payment)
    REFUND = "refund"  # merchant -> customer


def customer_account(subscriber_key: str) -> str:
    return f"customer:{subscriber_key}"


def merchant_account(reseller_id: str) -> str:
    return f"merchant:{reseller_id}"


HOLDS = "holds"
PROVIDER = "provider"

# Accounts that may never go below zero; the store enforces it in the same statement.
NO_OVERDRAFT_PREFIXES = ("customer:", "merchant:")


@dataclass(frozen=True, slots=True)
class Entry:
    account: str
    amount: Decimal  # signed, in major units
    currency: str


@dataclass(frozen=True, slots=True)
class Transfer:
    kind: TransferKind
    entries: tuple[Entry, ...]
    invoice_reference: str | None = None
    ers_reference: str | None = None
    created_at: datetime | None = None

    def __post_init__(self) -> None:
        sums: dict[str, Decimal] = {}
        for e in self.entries:
            sums[e.currency] = sums.get(e.currency, Decimal(0)) + e.amount
        if any(v != 0 for v in sums.values()):
            raise ValueError(f"unbalanced transfer: {sums}")
        if len(self.entries) < 2:
            raise ValueError("a transfer needs at least two entries")


def move(
    kind: TransferKind,
    source: str,
    target: str,
    money: Money,
    *,
    invoice_reference: str | None = None,
    ers_reference: str | None = None,
    at: datetime | None = None,
) -> Transfer:
    return Transfer(
        kind,
        (Entry(source, -money.amount, money.currency), Entry(target, money.amount, money.currency)),
        invoice_reference,
        ers_reference,
        at,
    )


def split(
    kind: TransferKind,
    source: str,
    targets: list[tuple[str, Money]],
    *,
    invoice_reference: str | None = None,
    ers_reference: str | None = None,
    at: datetime | None = None,
) -> Transfer:
    """One source paying several targets (e.g. a commit below the reserved amount)."""
    currency = targets[0][1].currency
    total = sum((m.amount for _, m in targets), Decimal(0))
    entries = [Entry(source, -total, currency)]
    entries += [Entry(acc, m.amount, m.currency) for acc, m in targets if m.amount != 0]
    return Transfer(kind, tuple(entries), invoice_reference, ers_reference, at)
