"""Complete payments, open loop, at a target rate, in the shapes real merchants use.

One payment: the merchant's `sendInvoice` (2 rows, backURL, notificationUrl to a receiver on
127.0.0.1) → the customer pays in the app (`POST /api/app/v1/invoices/{ref}/pay`, msisdn + PIN)
→ the notification arrives at the receiver → the merchant acknowledges with `getPaymentStatus`
(the answer must be PAID). Payment *i* starts at `t0 + i/rate` whatever the earlier ones do.

Terminals take turns (the 100 cash registers and the webshop); a cash register handles one sale
at a time, as a till does, so a payment waits for the previous one on its till (counted as start
lag). Customers take turns too. Reported: achieved rate, end-to-end p50/p99 (start → PAID
acknowledgement answered), notification p99 after PAID (arrival − the server's `paid_at`), and
the server's CPU per payment from /proc (server process and its children).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import notify_latency as nl  # the HTTP pool, the receiver, CPU and percentile helpers
import shapes

APP_PAY = "/api/app/v1/invoices/{ref}/pay"


@dataclass
class Till:
    cred: shapes.Cred
    lock: asyncio.Lock | None  # None: an online terminal takes many invoices at once


@dataclass
class Pay(nl.Payment):
    acked_at: float | None = None  # the acknowledging getPaymentStatus answered PAID


@dataclass
class FlowRun:
    pool: nl.HttpPool
    receiver_url: str
    tills: list[Till]
    customers: list[tuple[str, str]]
    payments: dict[str, Pay] = field(default_factory=dict)
    arrivals: dict[str, float] = field(default_factory=dict)
    waiters: dict[str, asyncio.Future[float]] = field(default_factory=dict)
    duplicates: int = 0

    def notified(self, reference: str, arrived: float) -> None:  # called by nl.Receiver
        if reference in self.arrivals:
            self.duplicates += 1
            return
        self.arrivals[reference] = arrived
        waiter = self.waiters.pop(reference, None)
        if waiter is not None and not waiter.done():
            waiter.set_result(arrived)

    async def soap(self, body: str) -> str:
        status, data = await self.pool.request(
            "POST", shapes.SOAP_PATH, body.encode(), "text/xml; charset=utf-8", 'SOAPAction: ""\r\n'
        )
        text = data.decode()
        if status != 200:
            raise RuntimeError(f"HTTP {status}: {shapes.text_of(text, 'faultstring')}")
        return text

    async def one(self, p: Pay, sem: asyncio.Semaphore) -> None:
        till = self.tills[p.index % len(self.tills)]
        async with sem:
            if till.lock is None:
                await self._pay(p, till)
            else:
                async with till.lock:
                    await self._pay(p, till)

    async def _pay(self, p: Pay, till: Till) -> None:
        p.started = time.time()
        cred = till.cred
        msisdn, pin = self.customers[p.index % len(self.customers)]
        try:
            body = shapes.send_invoice(cred.terminal_id, cred.password, f"f{p.index}",
                                       f"{self.receiver_url}/notify")  # fmt: skip
            text = await self.soap(body)
            ref = shapes.text_of(text, "invoiceReference")
            if shapes.text_of(text, "resultCode") != "0" or not ref:
                raise RuntimeError(f"sendInvoice resultCode {shapes.text_of(text, 'resultCode')}")
            p.reference = ref
            self.payments[ref] = p
            arrival = asyncio.get_running_loop().create_future()
            self.waiters[ref] = arrival
            payload = json.dumps({"msisdn": msisdn, "pin": pin}).encode()
            status, data = await self.pool.request(
                "POST", APP_PAY.format(ref=ref), payload, "application/json"
            )
            answer = json.loads(data)
            if status != 200 or answer.get("status") != "PAID":
                raise RuntimeError(f"pay: HTTP {status} {answer.get('status') or answer}"[:200])
            p.paid_at = dt.datetime.fromisoformat(answer["paid_at"]).timestamp()
            if ref not in self.arrivals:
                await asyncio.wait_for(arrival, timeout=30)
            text = await self.soap(shapes.get_payment_status(cred.terminal_id, cred.password, ref))
            if shapes.text_of(text, "status") != "PAID":
                raise RuntimeError(f"acknowledgement answered {shapes.text_of(text, 'status')}")
            p.acked_at = time.time()
        except asyncio.CancelledError:
            p.error = "unfinished when the drain time was over"
            raise
        except Exception as exc:  # noqa: BLE001  (counted; the run goes on)
            p.error = f"{type(exc).__name__}: {exc}"[:200]
        finally:
            self.waiters.pop(p.reference or "", None)


async def drive(
    port: int,
    server_pid: int,
    creds: list[shapes.Cred],
    customers: list[tuple[str, str]],
    rate: float,
    duration: float,
    warmup: float,
    concurrency: int = 128,
    drain: float = 20.0,
    db_pids: Callable[[], list[int]] | None = None,
) -> dict[str, Any]:
    """`db_pids`: the database's server processes serving us (PostgreSQL backends), whose
    CPU is reported beside the server's."""
    loop = asyncio.get_running_loop()
    tills = [Till(c, None if c.terminal_id == shapes.WEBSHOP[0] else asyncio.Lock()) for c in creds]
    run = FlowRun(nl.HttpPool(nl.HOST, port, concurrency), "", tills, customers)
    receiver = await loop.create_server(lambda: nl.Receiver(run), nl.HOST, 0, backlog=1024)  # type: ignore[arg-type]
    run.receiver_url = f"http://{nl.HOST}:{receiver.sockets[0].getsockname()[1]}"
    sem = asyncio.Semaphore(concurrency)
    tasks: list[asyncio.Task[None]] = []
    try:
        # Each customer's first PIN check per server process costs an Argon2 hash: pay once
        # per customer (twice, for a second worker) before anything is measured.
        warm = [Pay(i, time.time(), warmup=True) for i in range(2 * len(customers))]
        await asyncio.gather(*(run.one(p, sem) for p in warm))
        if any(p.error for p in warm):
            raise RuntimeError(f"warm-up payment failed: {[p.error for p in warm if p.error][0]}")
        total, n_warm = round(rate * (warmup + duration)), round(rate * warmup)
        t0 = time.time() + 0.2
        payments = [Pay(len(warm) + i, t0 + i / rate, warmup=i < n_warm) for i in range(total)]
        cpu0 = cpu1 = 0.0
        db0: dict[int, float] = {}
        for i, p in enumerate(payments):
            if i == n_warm:
                cpu0 = nl.cpu_seconds(server_pid)
                db0 = process_cpu(db_pids() if db_pids else [])
            delay = p.scheduled - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(loop.create_task(run.one(p, sem)))
        await asyncio.wait(tasks, timeout=drain)
        cpu1 = nl.cpu_seconds(server_pid)
        db1 = process_cpu(db_pids() if db_pids else [])
    finally:
        for t in tasks:
            t.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=5)
        receiver.close()
        run.pool.close()
    db_cpu = sum(v - db0.get(pid, 0.0) for pid, v in db1.items()) if db_pids else None
    return summarize(run, [p for p in payments if not p.warmup], cpu1 - cpu0, db_cpu)


def process_cpu(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds of each process, from /proc/<pid>/stat."""
    tick, out = os.sysconf("SC_CLK_TCK"), {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
            out[pid] = (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return out


def summarize(
    run: FlowRun, measured: list[Pay], server_cpu: float, db_cpu: float | None
) -> dict[str, Any]:
    done = [p for p in measured if p.acked_at is not None and not p.error]
    paid_times = sorted(p.paid_at for p in measured if p.paid_at is not None)
    span = paid_times[-1] - paid_times[0] if len(paid_times) > 1 else 0.0
    e2e = [(p.acked_at - p.started) * 1000 for p in done]  # type: ignore[operator]
    notify = [(run.arrivals[p.reference] - p.paid_at) * 1000 for p in measured
              if p.paid_at is not None and p.reference in run.arrivals]  # fmt: skip
    lag = [(p.started - p.scheduled) * 1000 for p in measured if p.started]
    errors: dict[str, int] = {}
    for p in measured:
        if p.error or p.acked_at is None:
            key = (p.error or "never started").split(":")[0]
            errors[key] = errors.get(key, 0) + 1

    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 2)

    return {
        "scheduled": len(measured),
        "completed": len(done),
        "failed": len(measured) - len(done),
        "errors": errors,
        "error_examples": [p.error for p in measured if p.error][:3],
        "missing_notifications": sum(
            1 for p in measured if p.paid_at and p.reference not in run.arrivals
        ),  # fmt: skip
        "duplicate_notifications": run.duplicates,
        "achieved_rate_per_s": r((len(paid_times) - 1) / span if span else 0.0),
        "end_to_end_ms": {"p50": r(nl.pct(e2e, 50)), "p99": r(nl.pct(e2e, 99))},
        "notification_after_paid_ms": {"p50": r(nl.pct(notify, 50)), "p99": r(nl.pct(notify, 99))},
        "start_lag_ms": {"p50": r(nl.pct(lag, 50)), "p99": r(nl.pct(lag, 99))},
        "server_cpu_s": r(server_cpu),
        "server_cpu_ms_per_payment": r(server_cpu * 1000 / len(done) if done else None),
        "database_cpu_ms_per_payment": r(db_cpu * 1000 / len(done))
        if db_cpu is not None and done
        else None,
    }
