"""The simulated account provider's switches: per customer, or global (operator switch)."""

from __future__ import annotations

from ..core.ports import Tx
from ..core.records import Customer, ProviderMode
from .context import Context

GLOBAL_SWITCH = "provider_mode"


def global_mode(ctx: Context) -> ProviderMode:
    with ctx.store.transaction(write=False) as tx:
        return global_mode_in(tx)


def global_mode_in(tx: Tx) -> ProviderMode:
    raw = tx.get_switch(GLOBAL_SWITCH)
    return ProviderMode(raw) if raw else ProviderMode.OK


def mode_for(tx: Tx, customer: Customer) -> ProviderMode:
    """What the provider does for this customer: the global switch wins over the customer's own.
    Read in the transaction that decides the payment."""
    mode = global_mode_in(tx)
    return mode if mode is not ProviderMode.OK else customer.provider_mode


def refuses_when_unavailable(tx: Tx) -> bool:
    return global_mode_in(tx) is ProviderMode.UNAVAILABLE


def set_global_mode(ctx: Context, mode: ProviderMode) -> None:
    with ctx.store.transaction() as tx:
        tx.set_switch(GLOBAL_SWITCH, mode.value)
