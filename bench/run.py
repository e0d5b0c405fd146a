#!/usr/bin/env python3
"""Load benchmark: `openseqr serve` against the same-stack floor, measured in one run.

For each target (the floor first, then the real server) this script:

1. starts the target on 127.0.0.1 on a free port and waits until it answers;
2. sends one sendInvoice with the public sandbox terminal and checks the reply, which gives
   the invoice reference used for getPaymentStatus;
3. drives getPaymentStatus, then sendInvoice, for a bounded time each (wrk with a Lua script
   by default; a small Python asyncio driver when wrk is missing);
4. stops the target.

It writes a JSON file under bench/results/ and prints a markdown table with both numbers, the
ratio and the target for each operation. All traffic goes to 127.0.0.1.

    .venv/bin/python bench/run.py                 # floor + server
    .venv/bin/python bench/run.py --only-floor    # just the floor (tests the harness)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
HOST = "127.0.0.1"

sys.path.insert(0, str(BENCH_DIR))
import floor_app  # noqa: E402  (bench/ is a folder of scripts, not a package)

TERMINAL_ID = floor_app.TERMINAL_ID
TERMINAL_PASSWORD = floor_app.TERMINAL_PASSWORD

# Minimum acceptable server/floor throughput ratio per operation (docs/benchmarks.md).
TARGETS = {"getPaymentStatus": 0.60, "sendInvoice": 0.50}
OPERATIONS = tuple(TARGETS)

DEFAULT_SERVER_CMD = (
    "{bindir}/openseqr serve --host {host} --port {port} --database sqlite:///{workdir}/bench.db"
)
DEFAULT_PATH = floor_app.SOAP_PATHS[0]

# ----------------------------------------------------------------------------- SOAP bodies

_CONTEXT = f"""<context>
        <clientRequestTimeout>0</clientRequestTimeout>
        <initiatorPrincipalId><id>{TERMINAL_ID}</id><type>TERMINALID</type></initiatorPrincipalId>
        <password>{TERMINAL_PASSWORD}</password>
      </context>"""

_ENVELOPE = """<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:ext="http://external.interfaces.ers.seamless.com/">
  <soapenv:Header/>
  <soapenv:Body>
    {inner}
  </soapenv:Body>
</soapenv:Envelope>"""

# `@UNIQUE@` is replaced per request (Lua / Python driver) so that no two sendInvoice
# requests look like a retry of each other.
UNIQUE = "@UNIQUE@"


def get_payment_status_body(reference: str) -> str:
    return _ENVELOPE.format(
        inner=f"""<ext:getPaymentStatus>
      {_CONTEXT}
      <invoiceReference>{reference}</invoiceReference>
      <invoiceVersion>0</invoiceVersion>
    </ext:getPaymentStatus>"""
    )


def send_invoice_body(unique: str = UNIQUE) -> str:
    return _ENVELOPE.format(
        inner=f"""<ext:sendInvoice>
      {_CONTEXT}
      <invoice>
        <paymentMode>IMMEDIATE_DEBIT</paymentMode>
        <acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode>
        <issueDate>2015-12-25T12:34:56</issueDate>
        <title>Grand Cinema</title>
        <clientInvoiceId>bench-{unique}</clientInvoiceId>
        <invoiceRows>
          <invoiceRow>
            <itemDescription>Movie Tickets</itemDescription>
            <itemQuantity>2</itemQuantity>
            <itemTotalAmount><currency>SEK</currency><value>500.00</value></itemTotalAmount>
            <itemUnitPrice><currency>SEK</currency><value>250.00</value></itemUnitPrice>
          </invoiceRow>
        </invoiceRows>
        <totalAmount><currency>SEK</currency><value>500.00</value></totalAmount>
        <cashierId>Bob</cashierId>
        <footer>Thank you!</footer>
      </invoice>
    </ext:sendInvoice>"""
    )


def _text(xml: str, tag: str) -> str | None:
    m = re.search(rf"<(?:\w+:)?{tag}>([^<]*)</(?:\w+:)?{tag}>", xml)
    return m.group(1) if m else None


# ----------------------------------------------------------------------------- results


@dataclass
class LoadResult:
    driver: str
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    error_detail: str = ""


@dataclass
class TargetResult:
    name: str
    command: str
    url: str
    reference: str = ""
    ops: dict[str, LoadResult] = field(default_factory=dict)


# ----------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def http_post(url: str, body: str, timeout: float = 10.0) -> tuple[int, str]:
    import httpx

    r = httpx.post(
        url,
        content=body.encode(),
        headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        timeout=timeout,
    )
    return r.status_code, r.text


def wait_until_listening(proc: subprocess.Popen[bytes], port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"target exited with code {proc.returncode} before listening")
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {HOST}:{port} within {timeout}s")


class Target:
    """A server process we started, stopped (with its process group) on exit."""

    def __init__(self, name: str, argv: list[str], port: int, path: str, log: Path) -> None:
        self.name, self.argv, self.port, self.path, self.log = name, argv, port, path, log
        self.url = f"http://{HOST}:{port}{path}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Target:
        self._log_fh = self.log.open("wb")
        self.proc = subprocess.Popen(
            self.argv,
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._log_fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_listening(self.proc, self.port, timeout=60)
        except BaseException as exc:
            self.__exit__(None, None, None)
            tail = self.log.read_text(errors="replace")[-3000:]
            msg = f"{self.name} did not start: {shlex.join(self.argv)}\n{tail}"
            raise RuntimeError(msg) from exc
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self.proc
        if proc is not None and proc.poll() is None:
            for sig, wait in ((signal.SIGINT, 10), (signal.SIGTERM, 5), (signal.SIGKILL, 5)):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        self._log_fh.close()


# ----------------------------------------------------------------------------- load drivers

_WRK_LUA = """-- generated by bench/run.py
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml; charset=utf-8"
wrk.headers["SOAPAction"] = '""'
local head = [==[{head}]==]
local tail = [==[{tail}]==]
local nthreads = 0

function setup(thread)
  nthreads = nthreads + 1
  thread:set("tid", nthreads)
end

if {unique} then
  local counter = 0
  request = function()
    counter = counter + 1
    return wrk.format(nil, nil, nil, head .. "{run_id}-" .. tid .. "-" .. counter .. tail)
  end
else
  wrk.body = head
end
"""


def _wrk_lua(body: str) -> str:
    run_id = uuid.uuid4().hex[:10]
    if UNIQUE in body:
        head, tail = body.split(UNIQUE, 1)
        return _WRK_LUA.format(head=head, tail=tail, unique="true", run_id=run_id)
    return _WRK_LUA.format(head=body, tail="", unique="false", run_id=run_id)


_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value.strip())
    if not m:
        raise ValueError(f"cannot parse wrk latency {value!r}")
    return float(m.group(1)) * _UNIT_MS[m.group(2)]


def parse_wrk(output: str) -> LoadResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    total = re.search(r"(\d+) requests in ([\d.]+\w+)", output)
    if not (rps and p50 and p99 and total):
        raise RuntimeError(f"cannot parse wrk output:\n{output}")
    errors, detail = 0, []
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if non2xx:
        errors += int(non2xx.group(1))
        detail.append(non2xx.group(0))
    sock = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if sock:
        errors += sum(int(x) for x in sock.groups())
        detail.append(sock.group(0))
    return LoadResult(
        driver="wrk",
        requests=int(total.group(1)),
        duration_s=_ms(total.group(2)) / 1000,
        rps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        errors=errors,
        error_detail="; ".join(detail),
    )


def drive_wrk(
    url: str, body: str, args: argparse.Namespace, workdir: Path, seconds: float
) -> LoadResult:
    script = workdir / f"post-{uuid.uuid4().hex[:8]}.lua"
    script.write_text(_wrk_lua(body))
    return run_wrk(url, script, args, seconds)


def run_wrk(url: str, script: Path, args: argparse.Namespace, seconds: float) -> LoadResult:
    """wrk with a Lua script; `args` gives wrk, threads and connections."""
    cmd = [
        args.wrk,
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        str(script),
        url,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr}\n{proc.stdout}")
    result = parse_wrk(proc.stdout)
    result.driver = f"wrk -t{args.threads} -c{args.connections} -d{max(1, round(seconds))}s"
    return result


def drive_python(url: str, body: str, args: argparse.Namespace, seconds: float) -> LoadResult:
    """Fallback load driver: `connections` keep-alive HTTP/1.1 connections on asyncio (uvloop).

    A hand-rolled client, because httpx costs about 3 ms of CPU per request on the reference
    machine (300 req/s on one connection against a floor that does 1,900): it would measure
    itself. This one still costs more than wrk, so compare only numbers taken with the same
    driver.
    """
    parts = urlsplit(url)
    host, port = parts.hostname or HOST, parts.port or 80
    path = parts.path or "/"
    latencies: list[float] = []
    errors = 0

    def request_bytes(payload: bytes) -> bytes:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f'Content-Type: text/xml; charset=utf-8\r\nSOAPAction: ""\r\n'
            f"Content-Length: {len(payload)}\r\n\r\n"
        )
        return head.encode() + payload

    static = None if UNIQUE in body else request_bytes(body.encode())

    async def one_connection(n: int, deadline: float) -> None:
        nonlocal errors
        i = 0
        writer = None
        try:
            while time.perf_counter() < deadline:
                if writer is None:
                    reader, writer = await asyncio.open_connection(host, port)
                i += 1
                req = static or request_bytes(body.replace(UNIQUE, f"py{n}-{i}").encode())
                t0 = time.perf_counter()
                writer.write(req)
                status_line = await reader.readline()
                length, close = None, False
                while (line := await reader.readline()) not in (b"\r\n", b""):
                    name, _, value = line.decode("latin-1").partition(":")
                    name = name.strip().lower()
                    if name == "content-length":
                        length = int(value)
                    elif name == "connection" and "close" in value.lower():
                        close = True
                if length is None:
                    raise RuntimeError(f"response without Content-Length: {status_line!r}")
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - t0)
                code = int(status_line.split()[1]) if status_line else 0
                errors += not (200 <= code < 400)
                if close:
                    writer.close()
                    writer = None
        except (OSError, asyncio.IncompleteReadError, RuntimeError, ValueError, IndexError):
            errors += 1
        finally:
            if writer is not None:
                writer.close()

    async def main() -> float:
        start = time.perf_counter()
        deadline = start + seconds
        await asyncio.wait_for(
            asyncio.gather(*(one_connection(n, deadline) for n in range(args.connections))),
            timeout=seconds + 30,
        )
        return time.perf_counter() - start

    try:
        import uvloop
    except ImportError:
        elapsed = asyncio.run(main())
    else:
        elapsed = uvloop.run(main())
    latencies.sort()

    def pct(p: float) -> float:
        if not latencies:
            return float("nan")
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return LoadResult(
        driver=f"python-asyncio c{args.connections} {seconds:g}s",
        requests=len(latencies),
        duration_s=elapsed,
        rps=len(latencies) / elapsed if elapsed else 0.0,
        p50_ms=pct(0.50),
        p99_ms=pct(0.99),
        errors=errors,
        error_detail=f"{errors} failed requests or connections" if errors else "",
    )


def drive(
    url: str, body: str, args: argparse.Namespace, workdir: Path, seconds: float
) -> LoadResult:
    if args.driver == "wrk":
        return drive_wrk(url, body, args, workdir, seconds)
    return drive_python(url, body, args, seconds)


# ----------------------------------------------------------------------------- one target


def prepare_invoice(url: str) -> str:
    """sendInvoice once with the sandbox terminal; check the reply; return the reference."""
    status, text = http_post(url, send_invoice_body(f"prepare-{uuid.uuid4().hex[:8]}"))
    code = _text(text, "resultCode")
    reference = _text(text, "invoiceReference")
    if status != 200 or code != "0" or not reference:
        raise RuntimeError(f"sendInvoice preflight failed: HTTP {status}\n{text[:2000]}")
    status, text = http_post(url, get_payment_status_body(reference))
    if status != 200 or _text(text, "resultCode") != "0" or not _text(text, "status"):
        raise RuntimeError(f"getPaymentStatus preflight failed: HTTP {status}\n{text[:2000]}")
    return reference


def bench_target(target: Target, args: argparse.Namespace, workdir: Path) -> TargetResult:
    result = TargetResult(name=target.name, command=shlex.join(target.argv), url=target.url)
    with target:
        result.reference = prepare_invoice(target.url)
        bodies = {
            "getPaymentStatus": get_payment_status_body(result.reference),
            "sendInvoice": send_invoice_body(),
        }
        for op in OPERATIONS:  # getPaymentStatus first: sendInvoice may cancel the invoice
            if args.warmup > 0:
                drive(target.url, bodies[op], args, workdir, args.warmup)
            load = drive(target.url, bodies[op], args, workdir, args.duration)
            result.ops[op] = load
            print(
                f"  {target.name:6} {op:17} {load.rps:9.1f} req/s  p50 {load.p50_ms:7.2f} ms"
                f"  p99 {load.p99_ms:7.2f} ms  errors {load.errors}",
                flush=True,
            )
        # The server must still answer correctly after the load.
        status, text = http_post(target.url, get_payment_status_body(result.reference))
        if status != 200 or _text(text, "resultCode") != "0":
            raise RuntimeError(f"{target.name}: getPaymentStatus failed after load: {text[:500]}")
    return result


# ----------------------------------------------------------------------------- report


def machine_info(workdir: Path) -> dict[str, Any]:
    cpu_model = ""
    with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    fs = ""
    best = ""
    with open("/proc/mounts", encoding="utf-8") as fh:
        for line in fh:
            dev, mnt, fstype, *_ = line.split()
            if str(workdir).startswith(mnt) and len(mnt) >= len(best):
                best, fs = mnt, f"{fstype} ({dev} on {mnt})"
    versions = {}
    for mod in ("uvicorn", "starlette", "lxml", "uvloop", "httptools"):
        try:
            from importlib.metadata import version

            versions[mod] = version(mod)
        except Exception:  # noqa: BLE001
            versions[mod] = "missing"
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        mem_kb = 0
    wrk = shutil.which("wrk")
    wrk_version = ""
    if wrk:
        out = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
        wrk_version = (out.stdout or out.stderr).splitlines()[0].strip() if out else ""
    return {
        "nproc": int(nproc) if nproc.isdigit() else os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "workdir_filesystem": fs,
        "wrk": wrk_version,
        # Other processes on the machine skew results; record how busy it was at the start.
        "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()],
        "packages": versions,
    }


def _fmt(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def markdown_table(floor: TargetResult | None, server: TargetResult | None) -> str:
    lines = [
        "| operation | server req/s | server p50 ms | server p99 ms "
        "| floor req/s | floor p50 ms | floor p99 ms | ratio | target | result |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for op in OPERATIONS:
        s = server.ops.get(op) if server else None
        f = floor.ops.get(op) if floor else None
        ratio = s.rps / f.rps if (s and f and f.rps) else None
        if ratio is None:
            verdict = "n/a"
        else:
            verdict = "pass" if ratio >= TARGETS[op] else "FAIL"
            if (s and s.errors) or (f and f.errors):
                verdict += " (errors!)"
        lines.append(
            f"| {op} | {_fmt(s and s.rps, '.0f')} | {_fmt(s and s.p50_ms, '.2f')} "
            f"| {_fmt(s and s.p99_ms, '.2f')} | {_fmt(f and f.rps, '.0f')} "
            f"| {_fmt(f and f.p50_ms, '.2f')} | {_fmt(f and f.p99_ms, '.2f')} "
            f"| {_fmt(ratio and ratio * 100, '.0f')}{'' if ratio is None else ' %'} "
            f"| ≥ {TARGETS[op] * 100:.0f} % | {verdict} |"
        )
    return "\n".join(lines)


# ----------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark `openseqr serve` against the same-stack floor (127.0.0.1 only).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    p.add_argument("--only-floor", action="store_true", help="measure only the floor app")
    p.add_argument(
        "--server-cmd",
        default=DEFAULT_SERVER_CMD,
        help="command that starts the real server; {bindir} {python} {host} {port} {workdir} "
        "are substituted",
    )
    p.add_argument("--path", default=DEFAULT_PATH, help="SOAP endpoint path on both targets")
    p.add_argument("--duration", type=float, default=10.0, help="seconds of load per operation")
    p.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternating floor/server rounds; the median ratio is reported",
    )
    p.add_argument("--warmup", type=float, default=2.0, help="seconds of unmeasured load first")
    p.add_argument("--connections", type=int, default=16)
    p.add_argument("--threads", type=int, default=1, help="wrk threads")
    p.add_argument("--driver", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--wrk", default="wrk", help="wrk binary")
    p.add_argument(
        "--workdir",
        type=Path,
        default=RESULTS_DIR,
        help="where the throwaway databases go (keep it on a real disk, not tmpfs, "
        "so that fsync costs what it costs)",
    )
    p.add_argument("--output", type=Path, help="JSON results file (default: bench/results/...)")
    p.add_argument("--keep", action="store_true", help="keep the databases and logs")
    args = p.parse_args(argv)
    if not 1 <= args.duration <= 300 or not 0 <= args.warmup <= 60:
        p.error("--duration must be 1..300 s and --warmup 0..60 s")
    if not 1 <= args.connections <= 512:
        p.error("--connections must be 1..512")
    if args.driver == "auto":
        args.driver = "wrk" if shutil.which(args.wrk) else "python"
    elif args.driver == "wrk" and not shutil.which(args.wrk):
        p.error(f"wrk not found ({args.wrk}); install Debian's 'wrk' or use --driver python")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    args.workdir.mkdir(parents=True, exist_ok=True)
    started = dt.datetime.now(dt.UTC)
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=args.workdir)).resolve()
    print(f"bench: driver={args.driver}, workdir={workdir}", flush=True)
    machine = machine_info(workdir)  # before the load, so the load average is the machine's

    rounds: list[tuple[TargetResult, TargetResult | None]] = []
    try:
        # Alternate floor and server several times: the machine's load drifts, and a ratio is
        # only fair when both sides ran under the same conditions. We report the median round.
        for n in range(args.rounds):
            rdir = workdir / f"round-{n}"
            rdir.mkdir()
            floor_port = free_port()
            floor_cmd = [
                sys.executable,
                str(BENCH_DIR / "floor_app.py"),
                "--db",
                str(rdir / "floor.db"),
                "--host",
                HOST,
                "--port",
                str(floor_port),
            ]
            floor = bench_target(
                Target("floor", floor_cmd, floor_port, args.path, rdir / "floor.log"), args, rdir
            )
            server = None
            if not args.only_floor:
                port = free_port()
                server_cmd = args.server_cmd.format(
                    bindir=Path(sys.executable).parent,
                    python=sys.executable,
                    host=HOST,
                    port=port,
                    workdir=rdir,
                )
                server = bench_target(
                    Target("server", shlex.split(server_cmd), port, args.path, rdir / "server.log"),
                    args,
                    rdir,
                )
            rounds.append((floor, server))
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    def round_ratio(pair: tuple[TargetResult, TargetResult | None], op: str) -> float:
        f, srv = pair
        if srv is None or op not in srv.ops or not f.ops[op].rps:
            return 0.0
        return srv.ops[op].rps / f.ops[op].rps

    per_round = {op: [round_ratio(r, op) for r in rounds] for op in OPERATIONS}
    median = {op: sorted(v)[len(v) // 2] for op, v in per_round.items()}
    # the table shows, per operation, the round whose ratio is the median
    chosen = {op: next(r for r in rounds if round_ratio(r, op) == median[op]) for op in OPERATIONS}
    first_floor, first_server = rounds[0]
    floor = TargetResult(
        "floor",
        first_floor.command,
        first_floor.url,
        ops={op: chosen[op][0].ops[op] for op in OPERATIONS if op in chosen[op][0].ops},
    )
    server = None
    if not args.only_floor:
        assert first_server is not None
        server = TargetResult(
            "server",
            first_server.command,
            first_server.url,
            ops={op: chosen[op][1].ops[op] for op in OPERATIONS if chosen[op][1]},  # type: ignore[union-attr]
        )
    table = markdown_table(floor, server)
    report = {
        "started_utc": started.isoformat(timespec="seconds"),
        "command": shlex.join([Path(sys.executable).name, *sys.argv]),
        "settings": {
            "driver": args.driver,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "path": args.path,
            "only_floor": args.only_floor,
            "sqlite_durability": "journal_mode=WAL, synchronous=FULL (floor)",
        },
        "machine": machine,
        "targets": TARGETS,
        "rounds": [
            {"floor": asdict(f), "server": asdict(srv) if srv else None} for f, srv in rounds
        ],
        "ratios_per_round": per_round,
        "floor": asdict(floor) if floor else None,
        "server": asdict(server) if server else None,
        "ratios": {
            op: (server.ops[op].rps / floor.ops[op].rps)
            for op in OPERATIONS
            if floor and server and op in floor.ops and op in server.ops and floor.ops[op].rps
        },
        "table_markdown": table,
    }
    out = args.output or RESULTS_DIR / f"{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n")

    m = report["machine"]
    print()
    print(f"machine: {m['nproc']} cores, {m['cpu_model']}, Python {m['python']}, {m['kernel']}")
    print(f"command: {report['command']}")
    print()
    print(table)
    print(f"\nresults: {out}")

    failed = [
        op
        for op, ratio in report["ratios"].items()
        if ratio < TARGETS[op] or floor.ops[op].errors or server.ops[op].errors
    ]
    errors = [(t.name, op) for t in (floor, server) if t for op, r in t.ops.items() if r.errors]
    if errors:
        print(f"requests failed during load: {errors}", file=sys.stderr)
    return 1 if (failed or errors) else 0


if __name__ == "__main__":
    sys.exit(main())
