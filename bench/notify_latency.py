#!/usr/bin/env python3
"""Notification latency under load: PAID commit → merchant notification arrival (spec 9.2, D-03).

Starts `openseqr serve` on 127.0.0.1 (SQLite in a throwaway workdir by default, or
`--database postgresql://…`) and, in this process, a minimal raw-asyncio HTTP receiver that
stands in for the merchants' notification endpoints. Then it drives an open-loop load of
`--rate` payments/s (default 100) for `--duration` seconds (default 20):

* each payment = `sendInvoice` (raw SOAP, public sandbox terminal, a small amount, the
  receiver's `notificationUrl`) + the app API `POST /api/app/v1/invoices/{ref}/pay`, spread
  round-robin over demo customers with enough balance;
* payment *i* starts at the fixed time `t0 + i/rate` (open loop: a slow answer does not delay
  the next start); at most `--concurrency` payments are in flight;
* the receiver records `time.time()` when a notification has fully arrived, answers 200 at once,
  and acknowledges with `getPaymentStatus` as a merchant must (off the timing path).

Latency of one payment = arrival at the receiver − the `paid_at` the pay response carries (the
server's clock, taken just before the PAID transaction commits, so this slightly *over*states
the delay after the commit). Same host, same clock.

Prints achieved payment rate, counts, p50/p95/p99/max latency and failures; writes JSON to
`bench/results/notify-<UTC time>.json`. Exit code 0 only if p99 ≤ `--p99-ms` (50), the achieved
rate ≥ `--min-rate` (95/s) and no payment or notification failed. All traffic is 127.0.0.1;
every phase is bounded in time.

    .venv/bin/python bench/notify_latency.py                    # 100/s for 20 s, SQLite
    .venv/bin/python bench/notify_latency.py --duration 5       # quick check
    .venv/bin/python bench/notify_latency.py --database postgresql://u:p@127.0.0.1:5432/db
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
HOST = "127.0.0.1"
sys.path.insert(0, str(BENCH_DIR))
import run as bench_run  # noqa: E402  (bench/ is a folder of scripts: machine info, Target)

TERMINAL_ID, TERMINAL_PASSWORD = "public_test_shop_terminal", "12345678"
SOAP_PATH = "/soap/merchant/cashregister-2"
APP_API = "/api/app/v1"
# Demo customers with enough SEK for thousands of 1 kr payments (Alice 101 000, Bob 5 000).
CUSTOMERS = (("46700000001", "1111"), ("46700000002", "2222"))
MAX_DURATION = 300.0

_ENVELOPE = (
    '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
    'xmlns:ext="http://external.interfaces.ers.seamless.com/"><soapenv:Header/><soapenv:Body>'
    "{inner}</soapenv:Body></soapenv:Envelope>"
)
_CONTEXT = (
    "<context><clientRequestTimeout>0</clientRequestTimeout><initiatorPrincipalId>"
    f"<id>{TERMINAL_ID}</id><type>TERMINALID</type></initiatorPrincipalId>"
    f"<password>{TERMINAL_PASSWORD}</password></context>"
)


def send_invoice_body(client_id: str, amount: str, notification_url: str) -> bytes:
    inner = (
        f"<ext:sendInvoice>{_CONTEXT}<invoice>"
        "<paymentMode>IMMEDIATE_DEBIT</paymentMode>"
        "<acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode>"
        f"<title>Notify bench</title><clientInvoiceId>{client_id}</clientInvoiceId>"
        f"<totalAmount><currency>SEK</currency><value>{amount}</value></totalAmount>"
        f"<notificationUrl>{notification_url}</notificationUrl>"
        "</invoice></ext:sendInvoice>"
    )
    return _ENVELOPE.format(inner=inner).encode()


def get_payment_status_body(reference: str) -> bytes:
    inner = (
        f"<ext:getPaymentStatus>{_CONTEXT}<invoiceReference>{reference}</invoiceReference>"
        "<invoiceVersion>0</invoiceVersion></ext:getPaymentStatus>"
    )
    return _ENVELOPE.format(inner=inner).encode()


def _text(xml: str, tag: str) -> str | None:
    m = re.search(rf"<(?:\w+:)?{tag}>([^<]*)</(?:\w+:)?{tag}>", xml)
    return m.group(1) if m else None


# ----------------------------------------------------------------------------- HTTP client


class HttpPool:
    """A tiny HTTP/1.1 keep-alive client for one host:port (cheaper than httpx at 300 req/s)."""

    def __init__(self, host: str, port: int, size: int) -> None:
        self.host, self.port = host, port
        self._idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(size)

    async def request(
        self,
        method: str,
        path: str,
        body: bytes,
        content_type: str,
        extra: str = "",
        timeout: float = 30.0,
    ) -> tuple[int, bytes]:
        async with self._slots:
            conn = self._idle.pop() if self._idle else None
            for attempt in range(2):  # a reused keep-alive connection may have been closed
                if conn is None:
                    conn = await asyncio.open_connection(self.host, self.port)
                reader, writer = conn
                head = (
                    f"{method} {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
                    f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                    f"{extra}\r\n"
                )
                try:
                    writer.write(head.encode() + body)
                    status, data, keep = await asyncio.wait_for(_read_response(reader), timeout)
                except (ConnectionError, asyncio.IncompleteReadError) as exc:
                    writer.close()
                    conn = None
                    if attempt:
                        raise ConnectionError(str(exc)) from exc
                    continue
                except BaseException:
                    writer.close()
                    raise
                if keep:
                    self._idle.append(conn)
                else:
                    writer.close()
                return status, data
            raise AssertionError("unreachable")

    def close(self) -> None:
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                break
        data = b"".join(c[:-2] for c in chunks)
    else:
        data = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, data, headers.get("connection", "").lower() != "close"


# ----------------------------------------------------------------------------- receiver


class Receiver(asyncio.Protocol):
    """The merchants' notification endpoint: timestamp on arrival, 200 at once, then ack."""

    arrivals: dict[str, float]
    duplicates: int = 0

    def __init__(self, bench: Bench) -> None:
        self.bench = bench
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buf[:end].decode("latin-1")
            m = re.search(r"(?im)^content-length:\s*(\d+)", head)
            length = int(m.group(1)) if m else 0
            if len(self.buf) < end + 4 + length:
                return
            arrived = time.time()
            body = self.buf[end + 4 : end + 4 + length]
            self.buf = self.buf[end + 4 + length :]
            assert self.transport is not None
            self.transport.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            fields = parse_qs(body.decode())
            ref = (fields.get("invoiceReference") or [""])[0]
            self.bench.notified(ref, arrived)


# ----------------------------------------------------------------------------- the load


@dataclass
class Payment:
    index: int
    scheduled: float  # time.time() the payment should start
    started: float = 0.0
    reference: str | None = None
    paid_at: float | None = None  # the server's PAID time (pay response `paid_at`)
    paid_response_at: float | None = None
    pay_status: str | None = None
    error: str | None = None
    warmup: bool = False


@dataclass
class Bench:
    server: HttpPool
    receiver_url: str
    ack_pool: HttpPool
    payments: dict[str, Payment] = field(default_factory=dict)  # by reference
    arrivals: dict[str, float] = field(default_factory=dict)
    duplicates: int = 0
    acks_ok: int = 0
    acks_bad: list[str] = field(default_factory=list)
    ack_tasks: set[asyncio.Task[None]] = field(default_factory=set)

    def notified(self, reference: str, arrived: float) -> None:
        if reference in self.arrivals:
            self.duplicates += 1
            return
        self.arrivals[reference] = arrived
        task = asyncio.get_running_loop().create_task(self.ack(reference))
        self.ack_tasks.add(task)
        task.add_done_callback(self.ack_tasks.discard)

    async def ack(self, reference: str) -> None:
        """What a merchant must do on a notification: getPaymentStatus (acknowledges PAID)."""
        try:
            status, data = await self.ack_pool.request(
                "POST",
                SOAP_PATH,
                get_payment_status_body(reference),
                "text/xml; charset=utf-8",
                'SOAPAction: ""\r\n',
            )
            text = data.decode()
            if status == 200 and _text(text, "status") == "PAID":
                self.acks_ok += 1
            else:
                self.acks_bad.append(f"{reference}: HTTP {status} {_text(text, 'status')}")
        except Exception as exc:  # noqa: BLE001  (recorded, the run goes on)
            self.acks_bad.append(f"{reference}: {type(exc).__name__}: {exc}")

    async def pay_one(self, p: Payment, sem: asyncio.Semaphore) -> None:
        try:
            await sem.acquire()
        except asyncio.CancelledError:
            p.error = "unfinished: never started (the server fell behind; drain time over)"
            raise
        try:
            await self._pay(p)
        finally:
            sem.release()

    async def _pay(self, p: Payment) -> None:
        p.started = time.time()
        msisdn, pin = CUSTOMERS[p.index % len(CUSTOMERS)]
        try:
            url = f"{self.receiver_url}/notify?n={p.index}"
            status, data = await self.server.request(
                "POST",
                SOAP_PATH,
                send_invoice_body(f"nb-{p.index}", "1.00", url),
                "text/xml; charset=utf-8",
                'SOAPAction: ""\r\n',
            )
            text = data.decode()
            ref = _text(text, "invoiceReference")
            if status != 200 or _text(text, "resultCode") != "0" or not ref:
                p.error = f"sendInvoice: HTTP {status} resultCode {_text(text, 'resultCode')}"
                return
            p.reference = ref
            self.payments[ref] = p
            body = json.dumps({"msisdn": msisdn, "pin": pin}).encode()
            status, data = await self.server.request(
                "POST", f"{APP_API}/invoices/{ref}/pay", body, "application/json"
            )
            p.paid_response_at = time.time()
            answer = json.loads(data)
            p.pay_status = answer.get("status") if status == 200 else None
            if status != 200 or p.pay_status != "PAID" or not answer.get("paid_at"):
                p.error = f"pay: HTTP {status} {answer.get('status') or answer}"[:300]
                return
            p.paid_at = dt.datetime.fromisoformat(answer["paid_at"]).timestamp()
        except asyncio.CancelledError:
            p.error = "unfinished: still running when the drain time was over"
            raise
        except Exception as exc:  # noqa: BLE001
            p.error = f"{type(exc).__name__}: {exc}"[:300]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process, its threads and its child processes (uvicorn
    workers), from Linux /proc; 0 for what cannot be read."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            head, _, rest = stat.read_text().rpartition(")")
            fields = rest.split()
            if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1] = ppid
                total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue
    return total


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


async def drive(args: argparse.Namespace, server_port: int, server_pid: int) -> dict[str, Any]:
    loop = asyncio.get_running_loop()
    bench = Bench(
        HttpPool(HOST, server_port, args.concurrency),
        "",
        HttpPool(HOST, server_port, args.concurrency),
    )
    rserver = await loop.create_server(lambda: Receiver(bench), HOST, 0, backlog=1024)
    rport = rserver.sockets[0].getsockname()[1]
    bench.receiver_url = f"http://{HOST}:{rport}"
    tasks: list[asyncio.Task[None]] = []
    try:
        # The first PIN check per customer and server process costs an Argon2 hash: do it once,
        # outside the measurement.
        sem = asyncio.Semaphore(args.concurrency)
        for i in range(len(CUSTOMERS)):
            p = Payment(-1 - i, time.time(), warmup=True)
            p.index = i  # customer i
            await bench.pay_one(p, sem)
            if p.error:
                raise RuntimeError(f"warm-up payment failed: {p.error}")
        total = int(round(args.rate * (args.warmup + args.duration)))
        n_warm = int(round(args.rate * args.warmup))
        t0 = time.time() + 0.2
        payments = [Payment(i, t0 + i / args.rate, warmup=i < n_warm) for i in range(total)]
        cpu0 = (cpu_seconds(server_pid), time.process_time())
        for p in payments:
            delay = p.scheduled - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(loop.create_task(bench.pay_one(p, sem)))
        send_end = time.time()
        cpu1 = (cpu_seconds(server_pid), time.process_time())
        done, pending = await asyncio.wait(tasks, timeout=args.drain)
        for t in pending:
            t.cancel()
        # Stragglers: wait (bounded) for the notifications of every PAID payment.
        deadline = time.monotonic() + args.drain
        while time.monotonic() < deadline:
            if all(p.reference in bench.arrivals for p in payments if p.paid_at):
                break
            await asyncio.sleep(0.05)
        if bench.ack_tasks:
            await asyncio.wait(set(bench.ack_tasks), timeout=10)
    finally:
        leftovers = [t for t in (*tasks, *bench.ack_tasks) if not t.done()]
        for t in leftovers:
            t.cancel()
        if leftovers:
            await asyncio.wait(leftovers, timeout=5)
        rserver.close()
        bench.server.close()
        bench.ack_pool.close()

    measured = [p for p in payments if not p.warmup]
    paid = [p for p in measured if p.paid_at is not None]
    failed = [p for p in measured if p.error or p.paid_at is None]
    latencies = [
        (bench.arrivals[p.reference] - p.paid_at) * 1000
        for p in paid
        if p.reference in bench.arrivals
    ]
    missing = [p.reference for p in paid if p.reference not in bench.arrivals]
    # Achieved rate: PAID commits per second over the measured window (first to last PAID).
    times = sorted(p.paid_at for p in paid)  # type: ignore[misc]
    span = (times[-1] - times[0]) if len(times) > 1 else 0.0
    rate = (len(times) - 1) / span if span > 0 else 0.0
    start_lag = [(p.started - p.scheduled) * 1000 for p in measured if p.started]
    pay_time = [(p.paid_response_at - p.started) * 1000 for p in paid if p.paid_response_at]
    errors: dict[str, int] = {}
    for p in failed:
        key = (p.error or "not PAID").split(":", 2)[:2]
        errors[":".join(key)] = errors.get(":".join(key), 0) + 1

    def r(v: float | None) -> float | None:
        return None if v is None else round(v, 2)

    window = send_end - t0
    arrivals = {
        p.reference: bench.arrivals[p.reference] for p in paid if p.reference in bench.arrivals
    }
    return {
        "_arrivals": arrivals,
        "cpu_share_of_one_core": {
            "server": round((cpu1[0] - cpu0[0]) / window, 3),
            "load_driver": round((cpu1[1] - cpu0[1]) / window, 3),
        },
        "scheduled": len(measured),
        "paid": len(paid),
        "failed_payments": len(failed),
        "payment_errors": errors,
        "payment_error_examples": [p.error for p in failed[:5]],
        "notified": len(latencies),
        "missing_notifications": len(missing),
        "missing_examples": missing[:5],
        "duplicate_notifications": bench.duplicates,
        "acks_paid": bench.acks_ok,
        "acks_not_paid": len(bench.acks_bad),
        "ack_problem_examples": bench.acks_bad[:5],
        "send_window_s": round(send_end - t0, 3),
        "achieved_rate_per_s": round(rate, 2),
        "latency_ms": {
            "p50": r(pct(latencies, 50)),
            "p95": r(pct(latencies, 95)),
            "p99": r(pct(latencies, 99)),
            "max": r(max(latencies) if latencies else None),
            "mean": r(statistics.fmean(latencies) if latencies else None),
            "min": r(min(latencies) if latencies else None),
        },
        "pay_flow_ms": {"p50": r(pct(pay_time, 50)), "p99": r(pct(pay_time, 99))},
        "start_lag_ms": {
            "p50": r(pct(start_lag, 50)),
            "p99": r(pct(start_lag, 99)),
            "max": r(max(start_lag) if start_lag else None),
        },
    }


def outbox_summary(
    database_url: str, env: dict[str, str], arrivals: dict[str, float]
) -> dict[str, Any]:
    """What the server's outbox says (the operator CLI): statuses and attempts, and the
    latency measured from each row's `created_at` (taken inside the PAID transaction, after
    the write lock was acquired: only the commit itself follows)."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "openseqr",
            "notifications",
            "list",
            "--limit",
            "10000",
            "--json",
            "--database",
            database_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        cwd=REPO_ROOT,
        check=False,
    )
    if out.returncode != 0:
        return {"error": (out.stderr or out.stdout)[-500:]}
    rows = json.loads(out.stdout)
    statuses: dict[str, int] = {}
    attempts: dict[str, int] = {}
    latencies = [
        (
            arrivals[row["invoice_reference"]]
            - dt.datetime.fromisoformat(row["created_at"]).timestamp()
        )
        * 1000
        for row in rows
        if row["invoice_reference"] in arrivals
    ]
    for row in rows:
        statuses[row["status"]] = statuses.get(row["status"], 0) + 1
        attempts[str(row["attempts"])] = attempts.get(str(row["attempts"]), 0) + 1
    return {
        "rows": len(rows),
        "status": statuses,
        "attempts": attempts,
        "latency_from_created_at_ms": {
            "count": len(latencies),
            "p50": _r(pct(latencies, 50)),
            "p95": _r(pct(latencies, 95)),
            "p99": _r(pct(latencies, 99)),
            "max": _r(max(latencies) if latencies else None),
        },
    }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 2)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Notification latency after the PAID commit under payment load "
        "(127.0.0.1 only).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--rate", type=float, default=100.0, help="payments per second")
    p.add_argument("--duration", type=float, default=20.0, help="measured seconds of load")
    p.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        help="seconds of load before the measurement (not counted)",
    )
    p.add_argument("--concurrency", type=int, default=64, help="payments in flight at most")
    p.add_argument(
        "--database",
        default=None,
        help="database URL for the server (default: a fresh SQLite file in the "
        "workdir); PostgreSQL: give an empty database",
    )
    p.add_argument(
        "--workers", type=int, default=1, help="server processes (`openseqr serve --workers`)"
    )
    p.add_argument(
        "--workdir",
        type=Path,
        default=RESULTS_DIR,
        help="where the throwaway database and log go (a real disk, not tmpfs)",
    )
    p.add_argument("--p99-ms", type=float, default=50.0, help="pass threshold for p99")
    p.add_argument("--min-rate", type=float, default=95.0, help="pass threshold, payments/s")
    p.add_argument(
        "--drain",
        type=float,
        default=15.0,
        help="seconds to wait for the last payments and notifications",
    )
    p.add_argument("--output", type=Path, help="JSON results file")
    p.add_argument("--keep", action="store_true", help="keep the database and server log")
    args = p.parse_args(argv)
    if not 0 < args.rate <= 1000:
        p.error("--rate must be in (0, 1000]")
    if not 1 <= args.duration <= MAX_DURATION or not 0 <= args.warmup <= 60:
        p.error("--duration must be 1..300 s and --warmup 0..60 s")
    if not 1 <= args.workers <= 8:
        p.error("--workers must be 1..8")
    if not 1 <= args.concurrency <= 512 or not 1 <= args.drain <= 120:
        p.error("--concurrency must be 1..512 and --drain 1..120 s")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    workdir = Path(tempfile.mkdtemp(prefix="notify-", dir=args.workdir)).resolve()
    machine = bench_run.machine_info(workdir)  # before the load: the machine's load average
    machine.pop("wrk", None)
    database = args.database or f"sqlite:///{workdir / 'notify.db'}"
    port = bench_run.free_port()
    argv_server = [
        sys.executable,
        "-m",
        "openseqr",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--database",
        database,
        "--workers",
        str(args.workers),
    ]
    env = {**os.environ, "OPENSEQR_DATA_DIR": str(workdir / "data")}
    os.environ["OPENSEQR_DATA_DIR"] = env["OPENSEQR_DATA_DIR"]  # Target inherits os.environ
    print(
        f"notify bench: {args.rate:g} payments/s for {args.duration:g} s "
        f"(+{args.warmup:g} s warm-up), database {database.split('@')[-1]}",
        flush=True,
    )
    try:
        with bench_run.Target("server", argv_server, port, "", workdir / "server.log") as srv:
            assert srv.proc is not None
            try:
                import uvloop

                runner = uvloop.run
            except ImportError:
                runner = asyncio.run
            results = runner(drive(args, port, srv.proc.pid))
        arrivals = results.pop("_arrivals")
        outbox = outbox_summary(database, env, arrivals)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    lat = results["latency_ms"]
    ok = (
        lat["p99"] is not None
        and lat["p99"] <= args.p99_ms
        and results["achieved_rate_per_s"] >= args.min_rate
        and not results["failed_payments"]
        and not results["missing_notifications"]
    )
    report = {
        "started_utc": started.isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "settings": {
            "rate": args.rate,
            "workers": args.workers,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "concurrency": args.concurrency,
            "database": "sqlite (synchronous=FULL)"
            if args.database is None
            else database.split("://")[0],
            "customers": [c[0] for c in CUSTOMERS],
            "amount": "1.00 SEK",
            "targets": {"p99_ms": args.p99_ms, "min_rate_per_s": args.min_rate},
        },
        "machine": machine,
        "results": results,
        "outbox": outbox,
        "pass": ok,
    }
    out = args.output or RESULTS_DIR / f"notify-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")

    m = machine
    print(f"machine: {m['nproc']} cores, {m['cpu_model']}, load {m['load_average_1_5_15']}")
    print(f"CPU (share of one core): {results['cpu_share_of_one_core']}")
    print(
        f"payments: {results['paid']}/{results['scheduled']} PAID, "
        f"{results['achieved_rate_per_s']}/s achieved, {results['failed_payments']} failed "
        f"{results['payment_errors'] or ''}"
    )
    print(
        f"notifications: {results['notified']} arrived, {results['missing_notifications']} "
        f"missing, {results['duplicate_notifications']} duplicates; acks PAID "
        f"{results['acks_paid']}, not PAID {results['acks_not_paid']}; outbox "
        f"{ {k: v for k, v in outbox.items() if k != 'latency_from_created_at_ms'} }"
    )
    olat = outbox.get("latency_from_created_at_ms") or {}
    print(
        f"latency from the outbox row's created_at (ms): p50 {olat.get('p50')}  p95 "
        f"{olat.get('p95')}  p99 {olat.get('p99')}  max {olat.get('max')}"
    )
    print(
        f"latency after PAID (ms): p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  "
        f"max {lat['max']}  (pay flow p50 {results['pay_flow_ms']['p50']} ms, start lag p99 "
        f"{results['start_lag_ms']['p99']} ms)"
    )
    print(
        f"{'PASS' if ok else 'FAIL'}: p99 ≤ {args.p99_ms:g} ms and ≥ {args.min_rate:g}/s "
        f"without failures\nresults: {out}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
