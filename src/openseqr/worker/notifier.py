"""The outbox relay: POSTs owed notifications (spec 9.2) and records every attempt.

Rows are written in the same transaction as the PAID/RESERVED transition; this relay claims due
rows (a lease, SKIP LOCKED on PostgreSQL), sends them concurrently and records the outcome. It is
nudged right after a commit in this process, and polls for rows enqueued elsewhere.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlsplit

import httpx

from ..core.delivery import is_delivered, is_retryable, next_attempt_at
from ..core.records import DeliveryAttempt, Notification
from ..protocol.notify import NOTIFICATION_CONTENT_TYPE, sign
from ..service.context import Context

log = logging.getLogger("openseqr.notifier")


class NotificationRelay:
    def __init__(self, ctx: Context, client: httpx.AsyncClient | None = None, batch: int = 64):
        self.ctx = ctx
        self._client = client or httpx.AsyncClient(
            timeout=ctx.config.notify_timeout, follow_redirects=False,
            headers={"User-Agent": "openseqr-notifier/1"},
        )
        self._batch = batch
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    def wake(self) -> None:
        """Thread-safe nudge (the pay use case runs in a worker thread)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._wake.set)

    async def run(self, stop: asyncio.Event, poll_seconds: float = 0.2) -> None:
        self._loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                sent = await self.run_once()
            except Exception:  # keep relaying; the rows stay due and are retried
                log.exception("notification relay tick failed")
                sent = 0
            if sent:
                continue
            self._wake.clear()
            try:
                await asyncio.wait_for(self._wake.wait(), poll_seconds)
            except TimeoutError:
                pass

    async def run_once(self) -> int:
        now = self.ctx.now()
        lease = now + timedelta(seconds=self.ctx.config.notify_timeout + 5)
        with self.ctx.store.transaction() as tx:
            due = tx.claim_notifications(now, lease, self._batch)
        if due:
            await asyncio.gather(*(self._deliver(n) for n in due))
        return len(due)

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _deliver(self, n: Notification) -> None:
        ctx = self.ctx
        started = ctx.now()
        t0 = time.perf_counter()
        status: int | None = None
        error: str | None = None
        denied = await self._denied(n.url)
        if denied:
            error = f"destination denied by policy: {denied}"
        else:
            headers = {"Content-Type": NOTIFICATION_CONTENT_TYPE}
            secret = self._secret(n.terminal_id)
            if secret:
                headers["X-Seqr-Signature"] = sign(secret.encode(), int(started.timestamp()), n.body)
            try:
                response = await self._client.post(n.url, content=n.body, headers=headers)
                status = response.status_code
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        duration_ms = (time.perf_counter() - t0) * 1000
        attempts = n.attempts + 1
        if is_delivered(status):
            outcome = replace(n, attempts=attempts, status="delivered", last_error=None)
        else:
            due = None if denied or not is_retryable(status) else next_attempt_at(
                n.created_at, attempts, n.max_attempts
            )
            last = error or f"HTTP {status}"
            if due is None:
                outcome = replace(n, attempts=attempts, status="failed", last_error=last)
            else:
                outcome = replace(n, attempts=attempts, next_attempt_at=max(due, ctx.now()),
                                  last_error=last)
            log.warning("notification %s to %s: %s", n.notification_id, n.url, last)
        with ctx.store.transaction() as tx:
            tx.record_attempt(
                DeliveryAttempt(n.notification_id, attempts, started, duration_ms, status, error)
            )
            tx.update_notification(outcome)

    def _secret(self, terminal_id: str) -> str | None:
        with self.ctx.store.transaction(write=False) as tx:
            terminal = tx.get_terminal(terminal_id)
        return terminal.notify_secret if terminal else None

    async def _denied(self, url: str) -> str | None:
        """The operator's destination policy, applied to the addresses the host resolves to."""
        policy = self.ctx.config.destinations
        reason = policy.check(url)
        if reason:
            return reason
        host = urlsplit(url).hostname or ""
        try:
            ipaddress.ip_address(host)
            return None  # a literal address was judged by check()
        except ValueError:
            pass
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        except OSError:
            return None  # unresolvable: the POST fails and is recorded as such
        for info in infos:
            reason = policy.check_ip(info[4][0])
            if reason:
                return reason
        return None
