"""Status polling that respects the SEQR timing rules.

* Poll ``getPaymentStatus`` **once per second** while the invoice is ISSUED, passing the last
  ``version`` you received (:func:`wait_for_payment`, :func:`wait_for_payment_async`).
* The first answer with PAID **acknowledges** the payment. Without it the server reverses the
  payment after the acknowledgement window (20 s by default). So never leave a payable invoice
  unwatched for longer than that: keep polling, or cancel it.
* Point of sale: poll for 30 s; then let the cashier choose "try again" (another 30 s with the
  same reference) or "cancel". Cancel with :func:`cancel_or_acknowledge`, which acknowledges
  instead if the payment arrived in the meantime::

      while True:
          status = wait_for_payment(client, ref, timeout=30)
          if status.is_final or status.needs_action:
              break
          if not ask_cashier_try_again():         # keep it short: the window is running!
              status = cancel_or_acknowledge(client, ref)
              break

Transient failures (:class:`TransportError`, 93 SYSTEM_BUSY, 94 SERVICE_UNAVAILABLE, 48) do not
stop a poller; it keeps the cadence and raises the last such error only if the timeout passes
without any answer. Other :class:`SeqrError` (e.g. 54 unknown invoice, 20 bad password) are
raised at once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from .errors import (
    CannotCancelInvoiceInProgress,
    CannotCancelPaidInvoice,
    InvoiceAlreadyCanceled,
    SeqrClientError,
    SeqrError,
    TransportError,
)
from .models import PaymentStatus


class _Terminal(Protocol):
    """What the pollers use of a :class:`SeqrClient`."""

    def get_payment_status(self, reference: str | None, version: int = 0) -> PaymentStatus: ...
    def cancel_invoice(self, reference: str) -> None: ...


class _AsyncTerminal(Protocol):
    """What the async pollers use of an :class:`AsyncSeqrClient`."""

    def get_payment_status(
        self, reference: str | None, version: int = 0
    ) -> Awaitable[PaymentStatus]: ...
    def cancel_invoice(self, reference: str) -> Awaitable[None]: ...


__all__ = [
    "wait_for_payment",
    "wait_for_payment_async",
    "cancel_or_acknowledge",
    "cancel_or_acknowledge_async",
    "POLL_INTERVAL",
    "POS_CYCLE_SECONDS",
]

#: the cadence every SEQR document asks for
POLL_INTERVAL = 1.0
#: one point-of-sale polling cycle before asking the cashier "try again / cancel"
POS_CYCLE_SECONDS = 30.0


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, TransportError) or (isinstance(exc, SeqrError) and exc.retryable)


def _done(status: PaymentStatus) -> bool:
    return status.is_final or status.needs_action


class _State:
    """The clock arithmetic shared by the sync and async pollers."""

    def __init__(
        self, timeout: float, interval: float, clock: Callable[[], float], version: int
    ) -> None:
        if interval <= 0:
            raise ValueError("interval must be > 0")
        self.clock = clock
        self.start = clock()
        self.deadline = self.start + timeout
        self.interval = interval
        self.ticks = 0
        self.version = version
        self.last: PaymentStatus | None = None
        self.error: BaseException | None = None

    def seen(self, status: PaymentStatus) -> bool:
        """Record an answer; True when it differs from the previous one."""
        changed = self.last is None or (status.status, status.version, status.tokens) != (
            self.last.status,
            self.last.version,
            self.last.tokens,
        )
        self.last, self.error = status, None
        self.version = max(self.version, status.version)
        return changed

    def next_delay(self) -> float | None:
        """Seconds until the next poll (on the 1-second grid), or None when time is up."""
        now = self.clock()
        self.ticks += 1
        due = self.start + self.ticks * self.interval
        if due < now:  # a slow call: skip missed ticks, poll right away
            self.ticks = int((now - self.start) // self.interval) + 1
            due = now
        if due > self.deadline:
            return None
        return max(0.0, due - now)

    def result(self) -> PaymentStatus:
        if self.last is None:
            assert self.error is not None
            raise self.error
        return self.last


def wait_for_payment(
    client: _Terminal,
    reference: str | None,
    *,
    timeout: float = POS_CYCLE_SECONDS,
    interval: float = POLL_INTERVAL,
    version: int = 0,
    on_change: Callable[[PaymentStatus], Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Any] = time.sleep,
) -> PaymentStatus:
    """Poll ``client.get_payment_status(reference, version)`` every ``interval`` seconds.

    Returns as soon as the status is final (PAID -- already acknowledged by that very call --,
    CANCELED, FAILED) or needs your action (PENDING_ISSUER_ACKNOWLEDGE: ``update_invoice``;
    RESERVED: ``commit_reservation``), or when ``timeout`` seconds have passed; it then returns
    the last status (check ``.is_final``). ``on_change(status)`` is called for the first
    answer and every change. ``client``: a :class:`SeqrClient`. ``clock``/``sleep`` are
    injectable for tests.
    """
    st = _State(timeout, interval, clock, version)
    while True:
        try:
            status = client.get_payment_status(reference, st.version)
        except SeqrClientError as exc:
            if not _transient(exc):
                raise
            st.error = exc
        else:
            if st.seen(status) and on_change is not None:
                on_change(status)
            if _done(status):
                return status
        delay = st.next_delay()
        if delay is None:
            return st.result()
        if delay:
            sleep(delay)


async def wait_for_payment_async(
    client: _AsyncTerminal,
    reference: str | None,
    *,
    timeout: float = POS_CYCLE_SECONDS,
    interval: float = POLL_INTERVAL,
    version: int = 0,
    on_change: Callable[[PaymentStatus], Any] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> PaymentStatus:
    """The asyncio variant of :func:`wait_for_payment` for an :class:`AsyncSeqrClient`.

    ``on_change`` may be a plain function or a coroutine function.
    """
    st = _State(timeout, interval, clock, version)
    while True:
        try:
            status = await client.get_payment_status(reference, st.version)
        except SeqrClientError as exc:
            if not _transient(exc):
                raise
            st.error = exc
        else:
            if st.seen(status) and on_change is not None:
                result = on_change(status)
                if asyncio.iscoroutine(result):
                    await result
            if _done(status):
                return status
        delay = st.next_delay()
        if delay is None:
            return st.result()
        if delay:
            await sleep(delay)


def cancel_or_acknowledge(
    client: _Terminal,
    reference: str,
    *,
    retries: int = 10,
    sleep: Callable[[float], Any] = time.sleep,
) -> PaymentStatus:
    """Cancel the invoice -- unless it was paid meanwhile, then acknowledge the payment.

    The safe "cancel" button: tries ``cancel_invoice``; if the server answers 50 (already
    paid) it calls ``get_payment_status`` at once (acknowledging the payment) and returns that
    PAID status; if the customer is paying right now (51) it waits a second and retries.
    Returns the final status of the invoice.
    """
    for _ in range(retries):
        try:
            client.cancel_invoice(reference)
        except CannotCancelInvoiceInProgress:
            sleep(POLL_INTERVAL)
            status = client.get_payment_status(reference)
            if status.is_final:
                return status
            continue
        except (CannotCancelPaidInvoice, InvoiceAlreadyCanceled):
            pass
        return client.get_payment_status(reference)
    return client.get_payment_status(reference)


async def cancel_or_acknowledge_async(
    client: _AsyncTerminal,
    reference: str,
    *,
    retries: int = 10,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> PaymentStatus:
    """The asyncio variant of :func:`cancel_or_acknowledge`."""
    for _ in range(retries):
        try:
            await client.cancel_invoice(reference)
        except CannotCancelInvoiceInProgress:
            await sleep(POLL_INTERVAL)
            status = await client.get_payment_status(reference)
            if status.is_final:
                return status
            continue
        except (CannotCancelPaidInvoice, InvoiceAlreadyCanceled):
            pass
        return await client.get_payment_status(reference)
    return await client.get_payment_status(reference)
