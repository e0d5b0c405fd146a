"""Operator use cases behind `openseqr terminal|reseller|provider|customer|notifications`.

Every function takes a `Context` (usually from `admin_context`, which opens the same database as
the server) and works in one short transaction. Errors are `AdminError` with a message meant for
the operator's terminal.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from ..core.history import redelivery_event
from ..core.ports import Store
from ..core.records import (
    AckMode,
    Customer,
    DeliveryAttempt,
    Notification,
    PrincipalStatus,
    ProviderMode,
    Reseller,
    Terminal,
)
from .clock import SystemClock
from .context import Context
from .provider import global_mode, set_global_mode
from .wallet import normalise_msisdn
from .writes import publish


class AdminError(Exception):
    """An operator command cannot be carried out (unknown id, invalid value, wrong state)."""


def admin_context(store: Store) -> Context:
    return Context(store, SystemClock())


# -- terminals ------------------------------------------------------------------------------
def list_terminals(ctx: Context, reseller_id: str) -> list[Terminal]:
    with ctx.store.transaction(write=False) as tx:
        if tx.get_reseller(reseller_id) is None:
            raise AdminError(f"no reseller {reseller_id!r}")
        return tx.list_terminals(reseller_id)


def get_terminal(ctx: Context, terminal_id: str) -> Terminal:
    with ctx.store.transaction(write=False) as tx:
        terminal = tx.get_terminal(terminal_id)
    if terminal is None:
        raise AdminError(f"no terminal {terminal_id!r}")
    return terminal


def set_terminal_status(ctx: Context, terminal_id: str, status: PrincipalStatus) -> Terminal:
    """Block (→ 33 on every call) or unblock. An unregistered terminal stays unregistered."""
    with ctx.store.transaction() as tx:
        terminal = tx.get_terminal(terminal_id)
        if terminal is None:
            raise AdminError(f"no terminal {terminal_id!r}")
        if terminal.status is PrincipalStatus.UNREGISTERED:
            raise AdminError(f"terminal {terminal_id!r} is unregistered")
        terminal = replace(terminal, status=status)
        tx.update_terminal(terminal)
    return terminal


def update_terminal(
    ctx: Context,
    terminal_id: str,
    *,
    notify_retries: int | None = None,
    notify_secret: str | None = None,
    strict_rows: bool | None = None,
    ack_mode: str | None = None,
) -> Terminal:
    """Change what is given; `notify_secret=""` removes the secret."""
    changes: dict[str, Any] = {}  # checked by replace() at run time
    if notify_retries is not None:
        if not 0 <= notify_retries <= 100:
            raise AdminError("notify retries must be between 0 and 100")
        changes["notify_retries"] = notify_retries
    if notify_secret is not None:
        changes["notify_secret"] = notify_secret or None
    if strict_rows is not None:
        changes["strict_rows"] = strict_rows
    if ack_mode is not None:
        try:
            changes["ack_mode_default"] = AckMode(ack_mode.upper())
        except ValueError:
            allowed = ", ".join(m.value for m in AckMode)
            raise AdminError(f"ack mode must be one of {allowed}") from None
    with ctx.store.transaction() as tx:
        terminal = tx.get_terminal(terminal_id)
        if terminal is None:
            raise AdminError(f"no terminal {terminal_id!r}")
        terminal = replace(terminal, **changes)
        if changes:
            tx.update_terminal(terminal)
    return terminal


# -- resellers ------------------------------------------------------------------------------
def get_reseller(ctx: Context, reseller_id: str) -> Reseller:
    with ctx.store.transaction(write=False) as tx:
        reseller = tx.get_reseller(reseller_id)
    if reseller is None:
        raise AdminError(f"no reseller {reseller_id!r}")
    return reseller


def update_reseller(
    ctx: Context,
    reseller_id: str,
    *,
    refunds_allowed: bool | None = None,
    receiver_allows_refunds: bool | None = None,
    currencies: tuple[str, ...] | None = None,
    status: PrincipalStatus | None = None,
) -> Reseller:
    changes: dict[str, Any] = {}  # checked by replace() at run time
    if refunds_allowed is not None:
        changes["refunds_allowed"] = refunds_allowed
    if receiver_allows_refunds is not None:
        changes["receiver_allows_refunds"] = receiver_allows_refunds
    if currencies is not None:
        codes = tuple(dict.fromkeys(c.strip().upper() for c in currencies if c.strip()))
        if not codes or not all(len(c) == 3 and c.isalpha() and c.isascii() for c in codes):
            raise AdminError("currencies must be ISO 4217 codes, e.g. SEK,EUR")
        changes["currencies"] = codes
    if status is not None:
        changes["status"] = status
    with ctx.store.transaction() as tx:
        reseller = tx.get_reseller(reseller_id)
        if reseller is None:
            raise AdminError(f"no reseller {reseller_id!r}")
        reseller = replace(reseller, **changes)
        if changes:
            tx.upsert_reseller(reseller)
    return reseller


# -- simulated account provider -------------------------------------------------------------
def _mode(mode: str) -> ProviderMode:
    try:
        return ProviderMode(mode.lower())
    except ValueError:
        allowed = ", ".join(m.value for m in ProviderMode)
        raise AdminError(f"mode must be one of {allowed}") from None


def global_provider_mode(ctx: Context) -> ProviderMode:
    return global_mode(ctx)


def set_global_provider_mode(ctx: Context, mode: str) -> ProviderMode:
    chosen = _mode(mode)
    set_global_mode(ctx, chosen)
    return chosen


# -- customers ------------------------------------------------------------------------------
def list_customers(ctx: Context) -> list[Customer]:
    with ctx.store.transaction(write=False) as tx:
        return tx.list_customers()


def _update_customer(ctx: Context, msisdn: str, **changes: Any) -> Customer:
    with ctx.store.transaction() as tx:
        customer = tx.customer_by_msisdn(normalise_msisdn(msisdn))
        if customer is None:
            raise AdminError(f"no customer with MSISDN {msisdn!r}")
        customer = replace(customer, **changes)
        tx.update_customer(customer)
    return customer


def set_customer_mode(ctx: Context, msisdn: str, mode: str) -> Customer:
    return _update_customer(ctx, msisdn, provider_mode=_mode(mode))


def unlock_customer(ctx: Context, msisdn: str) -> Customer:
    """Reset the wrong-PIN counter (D-46b)."""
    return _update_customer(ctx, msisdn, pin_failures=0, pin_locked_at=None)


# -- notification outbox --------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class NotificationDetail:
    notification: Notification
    attempts: list[DeliveryAttempt]


def list_notifications(
    ctx: Context, invoice_reference: str | None = None, limit: int = 100
) -> list[Notification]:
    with ctx.store.transaction(write=False) as tx:
        return tx.list_notifications(invoice_reference, limit)


def show_notification(ctx: Context, notification_id: str) -> NotificationDetail:
    with ctx.store.transaction(write=False) as tx:
        n = tx.get_notification(notification_id)
        if n is None:
            raise AdminError(f"no notification {notification_id!r}")
        return NotificationDetail(n, tx.attempts_of(notification_id))


def redeliver_notification(
    ctx: Context, notification_id: str, now: datetime | None = None, *, operator: str | None = None
) -> Notification:
    """Pending again, due now, with exactly one more attempt allowed; the invoice's history
    records it as the `operator`'s (their name, for the console's audit trail)."""
    now = now or ctx.now()
    with ctx.store.transaction() as tx:
        n = tx.get_notification(notification_id)
        if n is None:
            raise AdminError(f"no notification {notification_id!r}")
        n = replace(n, status="pending", next_attempt_at=now, max_attempts=n.attempts + 1)
        tx.update_notification(n)
        tx.append_event(redelivery_event(n, operator, now))
    publish(ctx)
    return n
