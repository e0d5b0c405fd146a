"""The benchmark *floor*: the least work a SEQR SOAP server on our stack can do per request.

Same server stack as ``openseqr serve`` (uvicorn, 1 worker, uvloop + httptools, no access log,
Starlette routes), and the same unavoidable work per request, with nothing else:

* parse the SOAP envelope with lxml using the hardened parser settings
  (``resolve_entities=False, no_network=True, load_dtd=False``);
* pull out the operation, terminal id, password and invoiceReference;
* check the password against a precomputed hash (sha256 digest compared with
  ``hmac.compare_digest``: what a verified-credential cache costs);
* ``getPaymentStatus``: ``SELECT status, version FROM invoices WHERE reference = ?`` on an
  indexed SQLite table, and render the SOAP response;
* ``sendInvoice``: INSERT one row and commit, and render the response with the new reference.

SQLite runs with ``journal_mode=WAL`` and ``synchronous=FULL``: every commit is fsynced, the
same durability the real server is measured with.

Run it:   python bench/floor_app.py --db /path/floor.db --port 8099
Or only create the database:   python bench/floor_app.py --db /path/floor.db --prepare-only
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import itertools
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator
from pathlib import Path
from xml.sax.saxutils import escape

from lxml import etree
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SEQR_NS = "http://external.interfaces.ers.seamless.com/"

# Paths the real server serves the SOAP service on (spec decision D-42).
SOAP_PATHS = ("/soap/merchant/cashregister-2", "/extclientproxy/service/v2")

# The public sandbox terminal; the floor knows only this one.
TERMINAL_ID = "public_test_shop_terminal"
TERMINAL_PASSWORD = "12345678"
# The invoice the floor prepares at start-up, for getPaymentStatus without a sendInvoice first.
KNOWN_REFERENCE = "10000000000000001"

# uvicorn settings shared with `openseqr serve`; keep these in step with the real server.
UVICORN_SETTINGS = {
    "workers": 1,
    "loop": "uvloop",
    "http": "httptools",
    "access_log": False,
    "log_level": "warning",
}

# Same settings as openseqr.protocol.envelope's parser (keep in step).
_PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_comments=True,
    remove_pis=True,
    collect_ids=False,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS invoices (
    reference          TEXT PRIMARY KEY,
    terminal_id        TEXT NOT NULL,
    status             TEXT NOT NULL,
    version            INTEGER NOT NULL,
    client_invoice_id  TEXT,
    title              TEXT,
    currency           TEXT,
    amount             TEXT,
    created_at         TEXT NOT NULL
);
"""

_RESPONSE_HEAD = (
    '<soap:Envelope xmlns:soap="' + SOAP_ENV_NS + '"><soap:Body>'
    '<ns2:{op}Response xmlns:ns2="' + SEQR_NS + '"><return>'
)
_RESPONSE_TAIL = "</return></ns2:{op}Response></soap:Body></soap:Envelope>"


def connect(db_path: str) -> sqlite3.Connection:
    """Open the floor database with the benchmark's durability settings."""
    conn = sqlite3.connect(db_path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def prepare(db_path: str, invoices: list[tuple[str, str]] | None = None) -> None:
    """Create the table, the one known invoice and `invoices` [(terminal id, reference)]
    (idempotent)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    conn = connect(db_path)
    try:
        conn.executescript(_SCHEMA)
        conn.executemany(
            "INSERT OR IGNORE INTO invoices (reference, terminal_id, status, version,"
            " client_invoice_id, title, currency, amount, created_at)"
            " VALUES (?, ?, 'ISSUED', 1, 'bench-known', 'Bench', 'SEK', '500.00', ?)",
            [(ref, tid, now) for tid, ref in [(TERMINAL_ID, KNOWN_REFERENCE), *(invoices or [])]],
        )
    finally:
        conn.close()


def _render(op: str, body: str) -> Response:
    return Response(
        _RESPONSE_HEAD.format(op=op) + body + _RESPONSE_TAIL.format(op=op),
        media_type="text/xml; charset=utf-8",
    )


def _result(op: str, code: int, description: str, extra: str = "") -> Response:
    return _render(
        op,
        f"<resultCode>{code}</resultCode><resultDescription>{description}</resultDescription>"
        + extra,
    )


def _fault(code: str, message: str) -> Response:
    return Response(
        f'<soap:Envelope xmlns:soap="{SOAP_ENV_NS}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{code}</faultcode><faultstring>{escape(message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>",
        status_code=500,
        media_type="text/xml; charset=utf-8",
    )


def create_app(db_path: str, terminals: dict[str, str] | None = None) -> Starlette:
    """Build the floor ASGI app on an already prepared database; `terminals` maps more
    terminal ids to their passwords (the sandbox terminal is always known)."""
    conn = connect(db_path)
    # The verified-credential cache: terminal id -> sha256(password), computed once.
    known = {TERMINAL_ID: TERMINAL_PASSWORD, **(terminals or {})}
    credentials = {tid: hashlib.sha256(pw.encode()).digest() for tid, pw in known.items()}
    counter = itertools.count(1)
    pid_part = f"{os.getpid() % 1000:03d}"

    def new_reference() -> str:
        return f"{int(time.time() * 1000)}{pid_part}{next(counter) % 100000:05d}"

    async def soap(request: Request) -> Response:
        raw = await request.body()
        try:
            root = etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError as exc:
            return _fault("Client", f"malformed XML: {exc}")
        body = root.find(f"{{{SOAP_ENV_NS}}}Body")
        if body is None or len(body) == 0:
            return _fault("Client", "no SOAP Body")
        request_el = body[0]
        op = etree.QName(request_el).localname
        context = request_el.find("context")
        if context is None:
            return _result(op, 49, "INVALID_PARAMETERS")
        terminal_id = context.findtext("initiatorPrincipalId/id") or ""
        password = context.findtext("password") or ""
        expected = credentials.get(terminal_id)
        if expected is None or not hmac.compare_digest(
            hashlib.sha256(password.encode()).digest(), expected
        ):
            return _result(op, 20, "AUTHENTICATION_FAILED")

        if op == "getPaymentStatus":
            reference = request_el.findtext("invoiceReference") or ""
            row = conn.execute(
                "SELECT status, version FROM invoices WHERE reference = ? AND terminal_id = ?",
                (reference, terminal_id),
            ).fetchone()
            if row is None:
                return _result(op, 54, "INVALID_INVOICE_REFERENCE", "<version>0</version>")
            status, version = row
            return _result(
                op, 0, "SUCCESS", f"<status>{status}</status><version>{version}</version>"
            )

        if op == "sendInvoice":
            invoice = request_el.find("invoice")
            if invoice is None:
                return _result(op, 49, "INVALID_PARAMETERS")
            reference = new_reference()
            conn.execute("BEGIN IMMEDIATE")
            try:
                conn.execute(
                    "INSERT INTO invoices (reference, terminal_id, status, version,"
                    " client_invoice_id, title, currency, amount, created_at)"
                    " VALUES (?, ?, 'ISSUED', 1, ?, ?, ?, ?, ?)",
                    (
                        reference,
                        terminal_id,
                        invoice.findtext("clientInvoiceId"),
                        invoice.findtext("title"),
                        invoice.findtext("totalAmount/currency"),
                        invoice.findtext("totalAmount/value"),
                        time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    ),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            return _result(
                op,
                0,
                "SUCCESS",
                f"<invoiceQRCode>HTTP://SEQR.SE/R{reference}</invoiceQRCode>"
                f"<invoiceReference>{reference}</invoiceReference>",
            )

        return _fault("Client", f"unsupported operation {op}")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        conn.close()

    routes = [Route(path, soap, methods=["POST"]) for path in SOAP_PATHS]
    return Starlette(routes=routes, lifespan=lifespan)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="SQLite file (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--prepare-only", action="store_true", help="create the DB and exit")
    parser.add_argument(
        "--known",
        type=Path,
        help='JSON file {"terminals": {id: password}, "invoices": [[terminal id, reference]]}: '
        "more terminals to accept and invoices to create",
    )
    args = parser.parse_args(argv)
    if args.host not in {"127.0.0.1", "localhost", "::1"}:
        parser.error("the floor only listens on loopback")

    known = json.loads(args.known.read_text()) if args.known else {}
    prepare(args.db, [tuple(pair) for pair in known.get("invoices", [])])
    if args.prepare_only:
        return

    import uvicorn

    app = create_app(args.db, known.get("terminals"))
    uvicorn.run(app, host=args.host, port=args.port, **UVICORN_SETTINGS)


if __name__ == "__main__":
    main()
