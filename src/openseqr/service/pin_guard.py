"""Wrong PINs per client address (A-22): an address is refused for a wallet before it could
lock that wallet (two tries of the wallet's three), and for every wallet after a few more.
A correct PIN from the address forgets its tries for that wallet (the real customer's typos).

The counts live in the database (`pin_sources`), so every server process refuses alike; times
come from the injected clock, so a test moves the clock instead of sleeping.
"""

from __future__ import annotations

from datetime import datetime

from ..core.ports import Tx
from .context import Context

ANY_WALLET = ""  # the row counting an address's wrong PINs for all wallets


def refused(ctx: Context, tx: Tx, source: str | None, subscriber_key: str, now: datetime) -> bool:
    """True while `source` has used up its tries, for this wallet or for all (read in the
    caller's transaction, the one that goes on to check the PIN)."""
    if source is None:
        return False
    counted = tx.source_failures(source, subscriber_key)  # usually none: nothing to compare
    config = ctx.config
    limits = ((ANY_WALLET, config.source_pin_total), (subscriber_key, config.source_pin_tries))
    for key, tries in limits:
        failures, last = counted.get(key, (0, None))
        if failures >= tries and last is not None and now - last < config.pin_cooldown:
            return True
    return False


def count_wrong_pin(
    ctx: Context, tx: Tx, source: str | None, subscriber_key: str, now: datetime
) -> int | None:
    """In the transaction that counts a wrong PIN: the address's new count for this wallet, or
    None when the address is refused (the guess then counts for nobody). 0 without a source."""
    if source is None:
        return 0
    config, quiet_since = ctx.config, now - ctx.config.pin_cooldown
    total = tx.count_source_failure(source, ANY_WALLET, now, quiet_since)  # locked first, always
    count = tx.count_source_failure(source, subscriber_key, now, quiet_since)
    if total > config.source_pin_total or count > config.source_pin_tries:
        return None
    return count


def forget(tx: Tx, source: str | None, subscriber_key: str) -> None:
    """A correct PIN: the address's earlier tries for this wallet were the customer's own."""
    if source is not None:
        tx.forget_source_failures(source, subscriber_key)
