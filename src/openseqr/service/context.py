"""What every use case shares: the store, the clock, the policy, and how a Decision is persisted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from ..core import errors
from ..core.ids import notification_id
from ..core.machine import Decision, Policy
from ..core.ports import Clock, Store, Tx
from ..core.records import Invoice, Notification, Terminal
from ..protocol.notify import DELIVERY_ID_FIELD, encode_notification
from ..protocol.urls import DestinationPolicy
from .security import BoundedCache, Throttle, VerifiedCredentials

HAND_OFF_LEASE = timedelta(seconds=5)  # a handed-off row is anybody's after this


@dataclass(frozen=True)
class Config:
    zone: tzinfo = field(default_factory=lambda: ZoneInfo("Europe/Stockholm"))  # D-41
    session_lifetime: timedelta = timedelta(minutes=30)  # D-06
    report_not_ready_grace: timedelta = timedelta(seconds=60)  # D-34c: 2, then 90
    provider_latency: float = 0.0  # seconds the simulated account provider takes
    destinations: DestinationPolicy = field(
        default_factory=lambda: DestinationPolicy(
            allow_loopback=True, allow_private=True, allow_link_local=False
        )
    )
    notify_timeout: float = 5.0  # D-03
    sandbox: bool = True


class Context:
    def __init__(
        self, store: Store, clock: Clock, policy: Policy | None = None, config: Config | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy or Policy()
        self.config = config or Config()
        self.credentials = VerifiedCredentials()
        self.pins = VerifiedCredentials()  # a verified PIN skips the KDF; tries still count
        self.principals = BoundedCache()  # terminal id -> (principals_version, terminal, reseller)
        self.throttle = Throttle()
        self._listeners: list[Callable[[], None]] = []
        self._hand_off: Callable[[Sequence[tuple[Notification, str | None]]], bool] | None = None

    def now(self) -> datetime:
        return self.clock.now()

    def local(self, t: datetime) -> datetime:
        """In the server's zone: references carry local dates and times, as SEQR's did."""
        return t.astimezone(self.config.zone)

    def on_notification(self, listener: Callable[[], None]) -> None:
        """Called after a transaction that enqueued a notification committed."""
        self._listeners.append(listener)

    def set_hand_off(
        self, hand_off: Callable[[Sequence[tuple[Notification, str | None]]], bool]
    ) -> None:
        """A relay in this process takes rows straight after their commit (no claim step)."""
        self._hand_off = hand_off

    def notify_enqueued(self, owned: Sequence[tuple[Notification, str | None]] = ()) -> None:
        """After the commit: hand rows leased to this process to its relay, or wake it."""
        if owned and self._hand_off is not None and self._hand_off(owned):
            return
        for listener in self._listeners:
            listener()

    def persist(
        self,
        tx: Tx,
        before: Invoice,
        decision: Decision,
        terminal: Terminal,
        outbox: list[tuple[Notification, str | None]] | None = None,
    ) -> Invoice:
        """Write a decision atomically: invoice (compare-and-set), ledger, outbox, message.

        With `outbox` and a relay in this process, a notification row is written leased to
        this process (due only when the lease lapses) and appended to `outbox`, for the caller
        to hand to the relay after the commit; should this process die first, any relay sends
        it once the lease lapses, well inside the acknowledgement window."""
        # Transfers first: InsufficientFunds must be raised before anything else is written,
        # so a caller may catch it and decide differently inside the same transaction.
        for transfer in decision.transfers:
            tx.apply_transfer(transfer)
        if not tx.save_invoice(decision.invoice, before.rev):
            raise errors.PaymentInProgress("the invoice changed concurrently; try again")
        inv = decision.invoice
        if decision.notify and inv.notification_url:
            now = self.now()
            owned = outbox is not None and self._hand_off is not None
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
                next_attempt_at=now + HAND_OFF_LEASE if owned else now,
                max_attempts=1 + max(0, terminal.notify_retries),
            )
            tx.enqueue_notification(notification)
            if owned and outbox is not None:
                outbox.append((notification, terminal.notify_secret))
        if decision.message is not None:
            tx.insert_message(decision.message)
        return replace(inv, rev=before.rev + 1)
