#!/usr/bin/env python3
"""Benchmark with real merchant shapes, on a fresh database and on one with history.

For each database (fresh, then `--history` invoices loaded by bench/load_history.py) it:

1. creates the database, loads it, starts `openseqr serve` on 127.0.0.1. The fresh one gets
   `--fresh-sample` invoices of the history's kinds (paid, cancelled, failed, with rows), so
   that getPaymentStatus reads 2,000 invoices of the same mix in both databases and the two
   differ only in size;
2. registers 100 cash registers with `registerTerminal` (the sandbox reseller), and sends one
   invoice from each (and from the webshop and the busy history terminal) to warm the
   credential caches and to check the answers;
3. SOAP, `--rounds` times, alternating with the floor (bench/floor_app.py, which knows the same
   terminals and invoices): sendInvoice from a random terminal of the 101, sendInvoice from the
   busy terminal alone, getPaymentStatus on a random just-sent invoice (pending) and on a
   random loaded one (settled) (wrk, Lua);
4. the flow: complete payments, open loop, `--rate` per second for `--flow-duration` s;
5. stops the server.

It prints one table and writes JSON (and with `--markdown FILE` a block for
docs/benchmarks.md). All traffic goes to 127.0.0.1.

    .venv/bin/python bench/merchant_load.py                        # SQLite, fresh + 1M history
    .venv/bin/python bench/merchant_load.py --history 0 --rounds 1 --duration 3 --flow-duration 5
    .venv/bin/python bench/merchant_load.py --database postgresql://u:p@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import flow  # noqa: E402  (bench/ is a folder of scripts)
import load_history  # noqa: E402
import report  # noqa: E402
import run as bench_run  # noqa: E402
import shapes  # noqa: E402

HOST = bench_run.HOST
OPS = {  # name -> target ratio to the floor (issue 9)
    "sendInvoice, every terminal": 0.50,
    "sendInvoice, busy terminal": 0.50,
    "getPaymentStatus, pending invoice": 0.60,
    "getPaymentStatus, settled invoice": 0.60,
}
HISTORY_TERMINALS_SAMPLED = 20  # each first use costs the server an Argon2 check: keep it few
SAMPLE = 2000  # loaded invoices getPaymentStatus reads, in both databases


def post(url: str, body: str) -> str:
    status, text = bench_run.http_post(url, body, timeout=60)
    if status != 200:
        raise RuntimeError(f"HTTP {status} from {url}: {text[:500]}")
    return text


def register_cash_registers(url: str, count: int) -> list[shapes.Cred]:
    creds = []
    for n in range(count):
        password = f"till-{n:03d}-pw"
        text = post(url, shapes.register_terminal(f"Till {n:03d}", password))
        tid = shapes.text_of(text, "terminalId")
        if shapes.text_of(text, "resultCode") != "0" or not tid:
            raise RuntimeError(f"registerTerminal failed: {text[:500]}")
        creds.append(shapes.Cred(tid, password))
    return creds


def send_one(url: str, cred: shapes.Cred, unique: str) -> str:
    text = post(url, shapes.send_invoice(cred.terminal_id, cred.password, unique))
    ref = shapes.text_of(text, "invoiceReference")
    if shapes.text_of(text, "resultCode") != "0" or not ref:
        raise RuntimeError(f"sendInvoice failed for {cred.terminal_id}: {text[:500]}")
    return ref


def history_sample(db_url: str, size: int) -> list[tuple[shapes.Cred, str]]:
    """Random history invoices of the busy terminal and a few other history terminals."""
    terminals = [load_history.BUSY_TERMINAL] + [
        load_history.history_terminal(n) for n in range(HISTORY_TERMINALS_SAMPLED)
    ]
    marks = ", ".join("?" for _ in terminals)
    sql = f"SELECT terminal_id, reference FROM invoices WHERE terminal_id IN ({marks}) "
    sql += f"ORDER BY random() LIMIT {int(size)}"
    if db_url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(load_history.sqlite_path(db_url))
        try:
            rows = conn.execute(sql, terminals).fetchall()
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(db_url) as conn:
            rows = conn.execute(sql.replace("?", "%s"), terminals).fetchall()
    pw = load_history.TERMINAL_PASSWORD
    return [(shapes.Cred(tid, pw), ref) for tid, ref in rows]


# ----------------------------------------------------------------------------- databases


def create_database(args: argparse.Namespace, label: str, workdir: Path) -> str:
    if not args.database.startswith("postgres"):
        return f"sqlite:///{workdir / f'{label}.db'}"
    import psycopg

    name = f"bench_{label}_{os.getpid()}"
    with psycopg.connect(args.database, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")
    base, _, _ = args.database.rpartition("/")
    return f"{base}/{name}"


def drop_database(args: argparse.Namespace, url: str) -> None:
    if url.startswith("postgres") and not args.keep:
        import psycopg

        with psycopg.connect(args.database, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {url.rpartition('/')[2]} WITH (FORCE)")


# ----------------------------------------------------------------------------- SOAP phase


def soap_ops(
    creds: list[shapes.Cred],
    busy: shapes.Cred,
    pending: list[tuple[shapes.Cred, str]],
    settled: list[tuple[shapes.Cred, str]],
) -> dict[str, tuple[str, list[dict[str, str]]]]:
    """The poll of a just-sent invoice (what a till does while the customer pays) and the read
    of a loaded one (paid with its receipt, cancelled or failed): the same sets in both
    databases, so history changes only the database's size."""
    status = shapes.get_payment_status()
    return {
        "sendInvoice, every terminal": (shapes.send_invoice(), shapes.terminal_choices(creds)),
        "sendInvoice, busy terminal": (shapes.send_invoice(), shapes.terminal_choices([busy])),
        "getPaymentStatus, pending invoice": (status, shapes.invoice_choices(pending)),
        "getPaymentStatus, settled invoice": (status, shapes.invoice_choices(settled)),
    }


def load_ops(url: str, ops: dict, args: argparse.Namespace, rdir: Path, who: str) -> dict:
    results = {}
    for name, (template, choices) in ops.items():
        script = shapes.write_lua(rdir, template, choices)
        if args.warmup > 0:
            bench_run.run_wrk(url, script, args, args.warmup)
        res = bench_run.run_wrk(url, script, args, args.duration)
        results[name] = res
        print(f"    {who:6} {name:34} {res.rps:8.1f} req/s  p99 {res.p99_ms:8.2f} ms"
              f"  errors {res.errors}", flush=True)  # fmt: skip
    return results


def floor_round(ops: dict, known: dict, args: argparse.Namespace, rdir: Path) -> dict:
    known_file = rdir / "floor-known.json"
    known_file.write_text(json.dumps(known))
    port = bench_run.free_port()
    argv = [sys.executable, str(BENCH_DIR / "floor_app.py"), "--db", str(rdir / "floor.db"),
            "--host", HOST, "--port", str(port), "--known", str(known_file)]  # fmt: skip
    target = bench_run.Target("floor", argv, port, shapes.SOAP_PATH, rdir / "floor.log")
    with target:
        return load_ops(target.url, ops, args, rdir, "floor")


# ----------------------------------------------------------------------------- one database


def run_database(args: argparse.Namespace, label: str, history: int, workdir: Path) -> dict:
    loaded = history or args.fresh_sample
    print(f"\n== {label}: {loaded:,} loaded invoices ({args.database.split('://')[0]})",
          flush=True)  # fmt: skip
    url = create_database(args, label, workdir)
    if history:
        plan = load_history.Plan(history, min(args.busy, history), 1000, 20, 365.0)
    else:  # the same kinds of invoices on the sampled terminals, just few of them
        n = args.fresh_sample
        plan = load_history.Plan(n, n // 10, HISTORY_TERMINALS_SAMPLED, 20, 1.0)
    load_s = load_history.load(url, plan, progress=history > 0)
    print(f"  loaded in {load_s:.1f} s", flush=True)
    port = bench_run.free_port()
    argv = [sys.executable, "-m", "openseqr", "serve", "--host", HOST, "--port", str(port),
            "--database", url, "--workers", str(args.workers)]  # fmt: skip
    result: dict[str, Any] = {"label": label, "history": plan.invoices, "load_s": round(load_s, 1)}
    try:
        server = bench_run.Target("server", argv, port, shapes.SOAP_PATH, workdir / f"{label}.log")
        with server:
            assert server.proc is not None
            creds = register_cash_registers(server.url, args.terminals)
            creds.append(shapes.Cred(*shapes.WEBSHOP))
            busy_cred = shapes.Cred(load_history.BUSY_TERMINAL, load_history.TERMINAL_PASSWORD)
            invoices = [(c, send_one(server.url, c, f"prep-{n}"))
                        for n, c in enumerate([*creds, busy_cred])]  # fmt: skip
            sample = history_sample(url, SAMPLE) if plan.invoices else []
            for cred, ref in sample[: HISTORY_TERMINALS_SAMPLED * 3]:  # warm, and check
                text = post(server.url, shapes.get_payment_status(cred.terminal_id,
                                                                  cred.password, ref))  # fmt: skip
                if shapes.text_of(text, "resultCode") != "0":
                    raise RuntimeError(f"getPaymentStatus on history failed: {text[:300]}")
            if not args.skip_soap:
                result["soap"] = soap_phase(
                    args, server.url, creds, busy_cred, invoices, sample or invoices, workdir
                )
            if not args.skip_flow:
                result["flow"] = flow_phase(args, port, server.proc.pid, creds, url)
    finally:
        drop_database(args, url)
    return result


def soap_phase(args, url, creds, busy_cred, pending, settled, workdir):  # type: ignore[no-untyped-def]
    ops = soap_ops(creds, busy_cred, pending, settled)
    terminals = {c.terminal_id: c.password for c, _ in settled}
    terminals.update({c.terminal_id: c.password for c in [*creds, busy_cred]})
    known = {
        "terminals": terminals,
        "invoices": [[c.terminal_id, ref] for c, ref in [*pending, *settled]],
    }
    rounds = []
    for n in range(args.rounds):
        rdir = Path(tempfile.mkdtemp(prefix=f"round{n}-", dir=workdir))
        print(f"  SOAP round {n + 1}/{args.rounds}", flush=True)
        floor = floor_round(ops, known, args, rdir)
        server = load_ops(url, ops, args, rdir, "server")
        rounds.append({"floor": floor, "server": server})
    return report.median_rounds(rounds, OPS)


def postgres_backends(url: str):  # type: ignore[no-untyped-def]
    """The PostgreSQL backends connected to the benchmark's database (the same host)."""

    def pids() -> list[int]:
        import psycopg

        with psycopg.connect(url, autocommit=True) as conn:
            rows = conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()"
            ).fetchall()
        return [r[0] for r in rows]

    return pids


def flow_phase(args, port, pid, creds, url):  # type: ignore[no-untyped-def]
    customers = [(load_history.customer_msisdn(n), load_history.CUSTOMER_PIN) for n in range(20)]
    print(f"  flow: {args.rate:g} payments/s for {args.flow_duration:g} s", flush=True)
    db_pids = postgres_backends(url) if url.startswith("postgres") else None
    coro = flow.drive(port, pid, creds, customers, args.rate, args.flow_duration, args.warmup,
                      db_pids=db_pids)  # fmt: skip
    out = _event_loop_runner()(coro)
    print(f"    achieved {out['achieved_rate_per_s']}/s, e2e p99 {out['end_to_end_ms']['p99']} ms,"
          f" notification p99 {out['notification_after_paid_ms']['p99']} ms,"
          f" {out['server_cpu_ms_per_payment']} ms server CPU/payment"
          f" (database {out['database_cpu_ms_per_payment']}), failed {out['failed']}",
          flush=True)  # fmt: skip
    return out


def _event_loop_runner():  # type: ignore[no-untyped-def]
    try:
        import uvloop

        return uvloop.run
    except ImportError:
        return asyncio.run


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--database", default="sqlite",
                   help="'sqlite' (files in the workdir) or a PostgreSQL URL of a database the "
                   "role can connect to; it creates and drops one database per run")  # fmt: skip
    p.add_argument("--history", type=int, default=1_000_000,
                   help="invoices in the history database (0: only the fresh one)")  # fmt: skip
    p.add_argument("--busy", type=int, default=10_000, help="of them on the busy terminal")
    p.add_argument("--fresh-sample", type=int, default=3000,
                   help="invoices loaded into the fresh database too, of the history's kinds, "
                   "so getPaymentStatus reads the same mix of invoices in both (0: empty)")  # fmt: skip
    p.add_argument("--rounds", type=int, default=3, help="SOAP rounds (floor, server); median")
    p.add_argument("--duration", type=float, default=10.0, help="seconds per SOAP operation")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before each")
    p.add_argument("--connections", type=int, default=32, help="wrk -c")
    p.add_argument("--threads", type=int, default=1, help="wrk -t")
    p.add_argument("--wrk", default="wrk")
    p.add_argument("--terminals", type=int, default=100, help="cash registers to register")
    p.add_argument("--rate", type=float, default=300.0, help="flow: payments per second")
    p.add_argument("--flow-duration", type=float, default=60.0, help="flow: measured seconds")
    p.add_argument("--workers", type=int, default=1, help="openseqr serve --workers")
    p.add_argument("--skip-soap", action="store_true")
    p.add_argument("--skip-flow", action="store_true")
    p.add_argument("--workdir", type=Path, default=bench_run.RESULTS_DIR)
    p.add_argument("--markdown", type=Path, help="also write a markdown block to this file")
    p.add_argument("--keep", action="store_true", help="keep databases, logs and scripts")
    args = p.parse_args(argv)
    if not shutil.which(args.wrk):
        p.error(f"wrk not found ({args.wrk}): apt-get install wrk")
    if args.history < 0 or args.busy < 0 or not 0 <= args.fresh_sample <= 100_000:
        p.error(
            "--history and --busy must be >= 0 (--busy is capped at --history), "
            "--fresh-sample 0..100000"
        )
    if not (1 <= args.rounds <= 9 and 1 <= args.duration <= 300 and 1 <= args.terminals <= 500):
        p.error("--rounds 1..9, --duration 1..300, --terminals 1..500")
    if not (0 < args.rate <= 2000 and 1 <= args.flow_duration <= 600):
        p.error("--rate 0..2000, --flow-duration 1..600")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # `kill` stops the run like Ctrl-C: the servers and floors it started are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    workdir = Path(tempfile.mkdtemp(prefix="merchant-", dir=args.workdir)).resolve()
    os.environ["OPENSEQR_DATA_DIR"] = str(workdir / "data")  # the servers inherit it
    machine = bench_run.machine_info(workdir)
    command = shlex.join(["python", *sys.argv])
    databases = [("fresh", 0)] + ([("history", args.history)] if args.history else [])
    results = []
    try:
        for label, history in databases:
            t0 = time.monotonic()
            results.append(run_database(args, label, history, workdir))
            results[-1]["seconds"] = round(time.monotonic() - t0, 1)
            results[-1]["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    text = report.render(results, machine, command, args, OPS)
    print("\n" + text)
    out = bench_run.RESULTS_DIR / f"merchant-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps({"started_utc": started.isoformat(timespec="seconds"),
                               "command": command, "machine": machine, "settings": vars(args),
                               "results": results}, indent=2, default=str) + "\n")  # fmt: skip
    if args.markdown:
        args.markdown.write_text(text + "\n")
    print(f"results: {out}")
    return 0 if report.passed(results, OPS) else 1


if __name__ == "__main__":
    sys.exit(main())
