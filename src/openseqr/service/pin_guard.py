"""Wrong PINs per client address (A-22): a source that guesses is refused before any wallet
counts its guesses, so one attacker cannot lock somebody else's wallet.

The count lives in the database (`pin_sources`), so every server process refuses alike; times
come from the injected clock, so a test moves the clock instead of sleeping.
"""

from __future__ import annotations

from datetime import datetime

from ..core.ports import Tx
from .context import Context


def refused(ctx: Context, source: str | None, now: datetime) -> bool:
    """True while `source` has used up its tries and its last wrong PIN is recent."""
    if source is None:
        return False
    with ctx.store.transaction(write=False) as tx:
        return _refused(ctx, tx, source, now)


def count_wrong_pin(ctx: Context, tx: Tx, source: str | None, now: datetime) -> int | None:
    """In the transaction that counts a wrong PIN: the address's new count, or None when the
    address is refused (the guess then counts for nobody). 0 without a source."""
    if source is None:
        return 0
    count = tx.count_source_failure(source, now, now - ctx.config.pin_cooldown)
    return count if count <= ctx.config.source_pin_tries else None


def _refused(ctx: Context, tx: Tx, source: str, now: datetime) -> bool:
    failures, last = tx.source_failures(source)
    recent = last is not None and now - last < ctx.config.pin_cooldown
    return recent and failures >= ctx.config.source_pin_tries
