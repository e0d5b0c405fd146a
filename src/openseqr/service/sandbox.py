"""Sandbox data (spec 13.1, D-61): the public test credentials and demo wallet customers.

Created once, on first start of a sandbox server; never in a production profile.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..core import ids
from ..core.ledger import PROVIDER, TransferKind, customer_account, move
from ..core.money import Money
from ..core.ports import DuplicateKey
from ..core.records import Customer, ProviderMode, Reseller, Terminal, TerminalKind, Token
from .context import Context
from .security import hash_secret

RESELLER_ID, RESELLER_USER, RESELLER_PASSWORD = "public_test_shop", "9900", "1234"
TERMINAL_ID, TERMINAL_PASSWORD = "public_test_shop_terminal", "12345678"


@dataclass(frozen=True)
class DemoCustomer:
    name: str
    msisdn: str
    pin: str
    sek: Decimal
    mode: ProviderMode = ProviderMode.OK
    tokens: tuple[Token, ...] = ()


DEMO_CUSTOMERS = (
    DemoCustomer("Alice Andersson", "46700000001", "1111", Decimal("101000")),
    DemoCustomer("Bob Berg", "46700000002", "2222", Decimal("5000")),
    DemoCustomer("Carol Carlsson (empty account)", "46700000003", "3333", Decimal("0")),
    DemoCustomer(
        "Dave Dahl (bank declines)", "46700000004", "4444", Decimal("1000"), ProviderMode.DECLINE
    ),
    DemoCustomer(
        "Frida Fors (loyalty card)",
        "46700000005",
        "5555",
        Decimal("5000"),
        tokens=(Token("X_CARD", "2610411111110", 0, "X Club card"),),
    ),
)
OTHER_CURRENCIES = {"EUR": Decimal("1000"), "USD": Decimal("1000")}


def seed(ctx: Context) -> bool:
    """Idempotent: returns False when the sandbox reseller already exists.

    Safe when several processes start on one fresh database (`serve --workers N`): the loser of
    the race gets `DuplicateKey`, its transaction rolls back, and the winner's data stands.
    """
    try:
        return _seed(ctx)
    except DuplicateKey:
        return False


def _seed(ctx: Context) -> bool:
    now = ctx.now()
    with ctx.store.transaction() as tx:
        if tx.get_reseller(RESELLER_ID) is not None:
            return False
        tx.upsert_reseller(
            Reseller(RESELLER_ID, RESELLER_USER, hash_secret(RESELLER_PASSWORD), "Public test shop")
        )
        tx.insert_terminal(
            Terminal(
                TERMINAL_ID,
                RESELLER_ID,
                TerminalKind.ONLINE,
                "Public test shop",
                hash_secret(TERMINAL_PASSWORD),
                created_at=now,
            )
        )
        for i, demo in enumerate(DEMO_CUSTOMERS, start=1):
            key = str(100 + i)
            tx.insert_customer(
                Customer(
                    key,
                    demo.msisdn,
                    hash_secret(demo.pin),
                    demo.name,
                    ids.payer_terminal_id(),
                    provider_mode=demo.mode,
                    tokens=demo.tokens,
                    created_at=now,
                )
            )
            for currency, amount in {"SEK": demo.sek, **OTHER_CURRENCIES}.items():
                if amount > 0:
                    tx.apply_transfer(
                        move(
                            TransferKind.FUNDING,
                            PROVIDER,
                            customer_account(key),
                            Money.of(amount, currency),
                            at=now,
                        )
                    )
    return True
