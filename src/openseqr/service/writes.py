"""The single write point: a `Decision` becomes rows, in the caller's transaction.

Every use case decides in the core (`core.machine`), then calls `persist` once per decision;
after its transaction commits it calls `publish`, which hands the notification rows this
process leased to itself to the relay (or wakes it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial

from ..core import errors
from ..core.delivery import lease_until
from ..core.history import attempt_event, transition_events
from ..core.ids import notification_id
from ..core.machine import Decision
from ..core.ports import Tx
from ..core.records import Actor, DeliveryAttempt, Invoice, Notification, Terminal
from ..observability.metrics import count_payment, payment_outcome
from ..protocol.notify import DELIVERY_ID_FIELD, encode_notification
from .context import Context

Owned = tuple[Notification, str | None]  # a row leased to this process, with its signing secret


def persist(
    ctx: Context,
    tx: Tx,
    before: Invoice,
    decision: Decision,
    terminal: Terminal,
    outbox: list[Owned] | None = None,
    *,
    actor: Actor | None = None,
    actor_id: str | None = None,
    at: datetime | None = None,
    steps: Sequence[tuple[Invoice, Decision]] = (),
) -> Invoice:
    """Write a decision atomically: ledger, invoice (compare-and-set), history, outbox, message.

    The history gets one row per event of the decision (`core.history`), at `at` (default:
    now), by `actor` (default: whoever the table names for the event; a deadline passes
    `Actor.SYSTEM`, an operator's action `Actor.OPERATOR` with their name). A decision composed
    of several (`machine.then`, A-39) passes its `steps` (each with the invoice it was decided
    on), so each line shows its own step's version and money, as if written one by one.

    With `outbox` and a relay in this process, a notification row is written leased to this
    process (due only when the lease lapses) and appended to `outbox`, for `publish` after the
    commit; should this process die first, any relay sends it once the lease lapses, well
    inside the acknowledgement window."""
    for transfer in decision.transfers:
        tx.apply_transfer(transfer)
    if not tx.save_invoice(decision.invoice, before.rev):
        raise errors.PaymentInProgress("the invoice changed concurrently; try again")
    inv = decision.invoice
    now = ctx.now()
    tx.append_events(
        [
            event
            for step_before, step in steps or ((before, decision),)
            for event in transition_events(step_before, step, at or now, actor, actor_id)
        ]
    )
    outcome = payment_outcome(before, inv)
    if outcome is not None:  # counted once it is durable, not when the write is rolled back
        tx.after_commit(partial(count_payment, outcome))
    if decision.notify and inv.notification_url:
        owned = outbox is not None and ctx.relay is not None
        nid = notification_id()
        notification = Notification(
            notification_id=nid,
            invoice_reference=inv.reference,
            terminal_id=inv.terminal_id,
            url=inv.notification_url,
            # the stored body is what every attempt sends and signs: one deliveryId per row
            body=encode_notification(
                inv.reference, inv.client_invoice_id, {DELIVERY_ID_FIELD: nid}
            ),
            created_at=now,
            next_attempt_at=lease_until(now, ctx.config.notify_timeout) if owned else now,
            max_attempts=1 + max(0, terminal.notify_retries),
        )
        tx.enqueue_notification(notification)
        if owned and outbox is not None:
            outbox.append((notification, terminal.notify_secret))
    if decision.message is not None:
        tx.insert_message(decision.message)
    return replace(inv, rev=before.rev + 1)


def record_delivery(tx: Tx, attempt: DeliveryAttempt, outcome: Notification) -> None:
    """A notification attempt: its log row, the outbox row after it, and the invoice's history
    line, in the one transaction of the relay that made the attempt."""
    tx.record_attempt(attempt)
    tx.update_notification(outcome)
    tx.append_event(attempt_event(attempt, outcome))


def publish(ctx: Context, owned: Sequence[Owned] = ()) -> None:
    """After the commit: hand rows leased to this process to its relay, or wake it."""
    relay = ctx.relay
    if relay is None:
        return
    if owned and relay.offer(owned):
        return
    relay.wake()
