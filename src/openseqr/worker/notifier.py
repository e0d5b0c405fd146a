"""The outbox relay: POSTs owed notifications (spec 9.2) and records every attempt.

Rows are written in the same transaction as the PAID/RESERVED transition; this relay claims due
rows (a lease, SKIP LOCKED on PostgreSQL), sends them concurrently and records the outcome. It is
nudged right after a commit in this process, and polls for rows enqueued elsewhere.

The hot path (docs/benchmarks.md, "Notification latency"):

* the relay has its own thread and event loop: the server's loop runs request handlers that
  may block on the database (SOAP), and a notification must not queue behind them (measured
  again with the cheaper client: on the server's loop p99 went from ~15 ms to ~500 ms, A-65);
* all of the relay's database work runs on one more dedicated thread, so a transaction
  waiting for SQLite's write lock never stalls the sends in flight;
* one write transaction per step both records the outcomes finished since the last step and
  claims the next due rows (with the terminals' signing secrets): one commit, not one per
  attempt plus one per claim;
* sends are not batched: each claimed row is sent at once as its own task (at most
  `concurrency` in flight), and the relay claims again while earlier sends are still running;
* the wake flag is cleared before a step, so a commit that lands during a step is picked up by
  the next step instead of waiting for the poll;
* one aiohttp `ClientSession` with keep-alive connections to every merchant host, each
  connection opened only to an address the destination policy allowed (`pinning`); aiohttp
  costs a fraction of httpx's CPU per POST (A-63);
* a merchant's answer is judged by its status: at most `BODY_CAP` bytes of its body are read
  (so a small answer keeps its connection alive) and the rest is dropped with the connection.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

import aiohttp

from ..core.delivery import is_delivered, is_retryable, lease_until, next_attempt_at
from ..core.records import DeliveryAttempt, Notification
from ..observability.metrics import count_delivery
from ..protocol.notify import NOTIFICATION_CONTENT_TYPE, SIGNATURE_HEADER, sign
from ..service.context import Context
from ..service.writes import record_delivery
from .pinning import DestinationDenied, pinned_session

log = logging.getLogger("openseqr.notifier")

Outcome = tuple[DeliveryAttempt, Notification]

#: how long finished attempts may wait to be written when nothing else wakes the relay
RECORD_DELAY = 0.02
#: bytes of a merchant's answer read before the rest is dropped with its connection
BODY_CAP = 64 * 1024


class NotificationRelay:
    """`run(stop)` relays until `stop` is set. By default the relay runs on its own thread with
    its own event loop (`own_thread`), so its sends never queue behind request handlers that
    block the server's loop; `wake()` may be called from any thread."""

    def __init__(
        self,
        ctx: Context,
        client: aiohttp.ClientSession | None = None,
        batch: int = 64,
        concurrency: int = 256,
        own_thread: bool = True,
    ):
        self.ctx = ctx
        self._client = client
        self._batch = batch
        self._concurrency = concurrency
        self._own_thread = own_thread
        self._wake = asyncio.Event()
        self._stop: asyncio.Event | None = None  # the relay loop's own stop flag
        self._loop: asyncio.AbstractEventLoop | None = None  # where the relay runs
        self._thread: threading.Thread | None = None
        self._db = ThreadPoolExecutor(1, thread_name_prefix="openseqr-relay-db")
        self._done: list[Outcome] = []  # finished attempts not yet written
        self._sending: set[asyncio.Task[None]] = set()
        self._record_timer: asyncio.TimerHandle | None = None

    def _http(self) -> aiohttp.ClientSession:
        if self._client is None:  # made on the loop that uses it
            self._client = pinned_session(
                self.ctx.config.destinations,
                timeout=self.ctx.config.notify_timeout,
                connections=self._concurrency,
            )
        return self._client

    def wake(self) -> None:
        """Thread-safe nudge (the pay use case runs in a worker thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._wake.set)
            except RuntimeError:  # the loop closed meanwhile
                pass

    def offer(self, owned: Sequence[tuple[Notification, str | None]]) -> bool:
        """Thread-safe hand-off of rows this process has just committed *already leased to
        itself* (`next_attempt_at` = a lease, not now), each with its terminal's signing secret:
        they are sent at once, with no claim transaction on the way. Returns False when the
        relay cannot take them; the lease then lapses and the poll sends them."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return False
        try:
            loop.call_soon_threadsafe(self._start_sends, list(owned))
        except RuntimeError:
            return False
        return True

    def _start_sends(self, owned: list[tuple[Notification, str | None]]) -> None:
        loop = asyncio.get_running_loop()
        for n, secret in owned:
            if len(self._sending) >= self._concurrency:
                break  # the rest wait for their lease to lapse
            task = loop.create_task(self._send(n, secret))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def run(self, stop: asyncio.Event, poll_seconds: float = 0.2) -> None:
        if not self._own_thread:
            await self._relay(stop, poll_seconds)
            return
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._thread_main,
            args=(poll_seconds, started),
            name="openseqr-relay",
            daemon=True,
        )
        self._thread.start()
        try:
            await asyncio.to_thread(started.wait, 10)
            await stop.wait()
        finally:
            await self._stop_thread()

    def _thread_main(self, poll_seconds: float, started: threading.Event) -> None:
        try:
            import uvloop

            loop: asyncio.AbstractEventLoop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover - uvloop ships with uvicorn[standard]
            loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            started.set()
            await self._relay(self._stop, poll_seconds)

        try:
            loop.run_until_complete(main())
        finally:
            loop.close()

    async def _stop_thread(self) -> None:
        thread, loop, stop = self._thread, self._loop, self._stop
        if thread is None:
            return
        if loop is not None and stop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(stop.set)
            except RuntimeError:
                pass
        await asyncio.to_thread(thread.join, 15)
        self._thread = None

    async def _relay(self, stop: asyncio.Event, poll_seconds: float) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            while not stop.is_set():
                self._wake.clear()  # before the step: a commit during it wakes the next one
                try:
                    claimed = await self._step()
                except Exception:  # keep relaying; the rows stay due and are retried
                    log.exception("notification relay tick failed")
                    claimed = -1
                if claimed >= self._batch:
                    continue  # probably more due right now
                waiter = asyncio.ensure_future(self._wake.wait())
                stopper = asyncio.ensure_future(stop.wait())
                try:
                    await asyncio.wait(
                        (waiter, stopper), timeout=poll_seconds, return_when=asyncio.FIRST_COMPLETED
                    )
                finally:
                    waiter.cancel()
                    stopper.cancel()
        finally:
            await self._wind_down()

    async def run_once(self) -> int:
        """One step on the caller's loop, then wait for its sends and record them (tools)."""
        self._loop = asyncio.get_running_loop()
        claimed = await self._step()
        await self.drain()
        return claimed

    async def drain(self, timeout: float | None = None) -> None:
        """Wait for the sends in flight and write every finished attempt."""
        if self._sending:
            await asyncio.wait(set(self._sending), timeout=timeout)
        await self._record_now()

    async def _wind_down(self) -> None:
        """On the relay's loop: stop sending, write what finished, close the HTTP client."""
        try:
            for task in list(self._sending):
                task.cancel()  # the lease lapses and the row is sent again later
            if self._sending:
                await asyncio.wait(set(self._sending), timeout=1.0)
            await self._record_now()
        except Exception:
            log.exception("could not record the last notification attempts")
        finally:
            if self._record_timer is not None:
                self._record_timer.cancel()
            if self._client is not None:
                await self._client.close()
                self._client = None

    async def aclose(self) -> None:
        await self._stop_thread()
        if self._client is not None:  # run_once was used on the caller's loop
            await self._wind_down()
        self._db.shutdown(wait=True)

    # -- one step: record what finished, claim what is due ------------------------------------
    async def _step(self) -> int:
        room = self._concurrency - len(self._sending)
        done, self._done = self._done, []
        loop = asyncio.get_running_loop()
        try:
            claimed, secrets = await loop.run_in_executor(
                self._db, self._record_and_claim, done, max(0, min(self._batch, room))
            )
        except Exception:
            await loop.run_in_executor(self._db, self._record_each, done)
            raise
        for n in claimed:
            task = loop.create_task(self._send(n, secrets.get(n.terminal_id)))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return len(claimed)

    def _record_and_claim(
        self, done: list[Outcome], limit: int
    ) -> tuple[list[Notification], dict[str, str | None]]:
        """Database thread: one write transaction."""
        ctx = self.ctx
        now = ctx.now()
        lease = lease_until(now, ctx.config.notify_timeout)
        claimed: list[Notification] = []
        secrets: dict[str, str | None] = {}
        with ctx.store.transaction() as tx:
            for attempt, outcome in done:
                record_delivery(tx, attempt, outcome)
            if limit:
                claimed = tx.claim_notifications(now, lease, limit)
            for terminal_id in {n.terminal_id for n in claimed}:
                terminal = tx.get_terminal(terminal_id)
                secrets[terminal_id] = terminal.notify_secret if terminal else None
        return claimed, secrets

    def _record_each(self, done: list[Outcome]) -> None:
        """Database thread: the batch failed; write what can be written, one by one."""
        for attempt, outcome in done:
            try:
                with self.ctx.store.transaction() as tx:
                    record_delivery(tx, attempt, outcome)
            except Exception:
                log.exception(
                    "could not record attempt %s of notification %s",
                    attempt.attempt,
                    attempt.notification_id,
                )

    async def _record_now(self) -> None:
        done, self._done = self._done, []
        if done:
            await asyncio.get_running_loop().run_in_executor(self._db, self._record_each, done)

    def _finished(self, outcome: Outcome) -> None:
        self._done.append(outcome)
        if self._record_timer is None or self._record_timer.cancelled():
            loop = asyncio.get_running_loop()
            self._record_timer = loop.call_later(RECORD_DELAY, self._record_due)

    def _record_due(self) -> None:
        self._record_timer = None
        self._wake.set()

    # -- one attempt ---------------------------------------------------------------------------
    async def _send(self, n: Notification, secret: str | None) -> None:
        try:
            waiting = self.ctx.store.durable()  # never tell of a commit a power cut could undo
            if waiting is not None:
                await waiting
            outcome = await self._deliver(n, secret)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug, not a merchant's failure: the lease lapses, it is sent again
            log.exception("notification %s: delivery crashed", n.notification_id)
            return
        self._finished(outcome)

    async def _post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST, never following a redirect; the status, after at most `BODY_CAP` bytes of the
        answer (an answer cut off inside them is an error, like no answer)."""
        async with self._http().post(
            url, data=body, headers=headers, allow_redirects=False
        ) as response:
            left = BODY_CAP
            while left > 0:
                chunk = await response.content.read(left)
                if not chunk:
                    break
                left -= len(chunk)
            return response.status

    async def _deliver(self, n: Notification, secret: str | None) -> Outcome:
        ctx = self.ctx
        started = ctx.now()
        t0 = time.perf_counter()
        status: int | None = None
        error: str | None = None
        denied = self.ctx.config.destinations.check(n.url)  # literal addresses; names: pinning
        if denied:
            error = f"destination denied by policy: {denied}"
        else:
            headers = {"Content-Type": NOTIFICATION_CONTENT_TYPE}
            if secret:
                stamp = int(started.timestamp())
                headers[SIGNATURE_HEADER] = sign(secret.encode(), stamp, n.body)
            try:
                status = await self._post(n.url, n.body, headers)
            except DestinationDenied as exc:
                denied = str(exc)
                error = f"destination denied by policy: {denied}"
            except (aiohttp.ClientError, OSError) as exc:  # OSError covers TimeoutError
                error = _describe(exc)
        duration_ms = (time.perf_counter() - t0) * 1000
        attempts = n.attempts + 1
        if is_delivered(status):
            outcome = replace(n, attempts=attempts, status="delivered", last_error=None)
        else:
            failed_at = ctx.now()
            due: datetime | None = (
                None
                if denied or not is_retryable(status)
                else next_attempt_at(n.created_at, attempts, n.max_attempts, failed_at)
            )
            last = error or f"HTTP {status}"
            if due is None:
                outcome = replace(n, attempts=attempts, status="failed", last_error=last)
            else:
                outcome = replace(n, attempts=attempts, next_attempt_at=due, last_error=last)
            log.warning("notification %s to %s: %s", n.notification_id, n.url, last)
        attempt = DeliveryAttempt(n.notification_id, attempts, started, duration_ms, status, error)
        _count(outcome, denied, n.created_at, ctx.now())
        return attempt, outcome


def _describe(exc: BaseException) -> str:
    text = str(exc) or ("no answer in time" if isinstance(exc, TimeoutError) else "")
    return f"{type(exc).__name__}: {text}"[:500]


def _count(outcome: Notification, denied: str | None, created_at: datetime, now: datetime) -> None:
    """The attempt in the metrics; a delivery's delay runs from the commit that owed it."""
    if outcome.status == "delivered":
        count_delivery("delivered", (now - created_at).total_seconds())
    elif denied:
        count_delivery("denied")
    else:
        count_delivery("failed" if outcome.status == "failed" else "retrying")
