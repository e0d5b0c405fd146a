"""The simulated account provider's switches: per customer, or global (operator switch)."""

from __future__ import annotations

from ..core.records import Customer, ProviderMode
from .context import Context

GLOBAL_SWITCH = "provider_mode"


def global_mode(ctx: Context) -> ProviderMode:
    with ctx.store.transaction(write=False) as tx:
        raw = tx.get_switch(GLOBAL_SWITCH)
    return ProviderMode(raw) if raw else ProviderMode.OK


def mode_for(ctx: Context, customer: Customer) -> ProviderMode:
    """What the provider does for this customer: the global switch wins over the customer's own."""
    mode = global_mode(ctx)
    return mode if mode is not ProviderMode.OK else customer.provider_mode


def refuses_when_unavailable(ctx: Context) -> bool:
    return global_mode(ctx) is ProviderMode.UNAVAILABLE


def set_global_mode(ctx: Context, mode: ProviderMode) -> None:
    with ctx.store.transaction() as tx:
        tx.set_switch(GLOBAL_SWITCH, mode.value)
