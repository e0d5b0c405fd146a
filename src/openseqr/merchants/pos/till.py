"""The till's business with SEQR, apart from its pages: its terminal client, a payment's status
and receipt, the "Await customer" phases, and the reconciliation reports.

One `Till` per app, on ``app.state.till``; the endpoints in `pages` and `sale` read it there.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from jinja2 import Environment

from openseqr.sdk import AsyncSeqrClient, PaymentStatus, ReportNotReady, SeqrClientError

from .._common.clock import utc_now
from .._common.receipts import receipt_owed, submit_receipt_once
from .._common.status import OrderStatus, outcome_of
from .store import Payment, PosStore

log = logging.getLogger("openseqr.merchants.pos")

SHOP_NAME = "Café Kronan"
CURRENCY = "SEK"
SUMMARY_REPORT = "Reconciliation/STD_RECON_006.xml"
DETAILS_REPORT = "Reconciliation/STD_RECON_007.xml"
_ALPHABET = string.ascii_letters + string.digits

#: What the cashier sees for each state (P-7).
PHASE_TEXT = {
    "waiting": "Please wait for the customer to complete the payment in the phone.",
    "ask": "No payment yet. Try again, or cancel the payment?",
    "paid": "Payment completed.",
    "canceled": "The payment was canceled.",
    "failed": "The payment failed.",
    "error": "An error occurred. Still trying…",
}


def new_password(length: int = 15) -> str:
    """P-2: a random terminal password, 15 characters [A-Za-z0-9] as in the samples."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def parse_money(raw: Any) -> Decimal | None:
    """A price typed by the cashier (``12,50`` or ``12.50``), to the öre; None if not a number."""
    try:
        value = Decimal(str(raw).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        return None
    return value.quantize(Decimal("0.01")) if value.is_finite() else None


def describe(exc: SeqrClientError) -> str:
    """What SEQR said, with its result code, for the cashier."""
    code = getattr(exc, "code", None)
    text = getattr(exc, "description", None) or str(exc)
    return f"{text} (result code {int(code)})" if code is not None else text


@dataclass(frozen=True)
class ReportTable:
    root: str
    meta: dict[str, str]
    columns: list[str]
    rows: list[dict[str, str]]


def parse_report(xml_text: str | None) -> ReportTable | None:
    """A reconciliation report (spec 10.3) as a table: ``Meta`` fields, one dict per ``Row``."""
    if not xml_text:
        return None
    root = ET.fromstring(xml_text.encode())
    meta_el = root.find("Meta")
    meta = {c.tag: (c.text or "") for c in meta_el} if meta_el is not None else {}
    rows = [{c.tag: (c.text or "") for c in row} for row in root.findall("Row")]
    columns: list[str] = []
    for row in rows:
        columns += [k for k in row if k not in columns]
    return ReportTable(root.tag, meta, columns, rows)


class NotRegistered(Exception):
    """The till has no SEQR terminal yet (open /setup)."""


@dataclass(frozen=True)
class SetupDefaults:
    """What the setup page is pre-filled with (the reseller password is never stored)."""

    reseller_id: str
    reseller_user: str
    reseller_password: str | None
    external_terminal_id: str
    terminal_name: str


@dataclass
class Till:
    """The till's state: its store, pages, SEQR server and timing settings."""

    store: PosStore
    env: Environment
    seqr_url: str
    defaults: SetupDefaults
    cycle_seconds: float = 30.0
    poll_interval_ms: int = 1000
    report_retry_seconds: float = 3.0
    _clients: dict[str, AsyncSeqrClient] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)

    def terminal(self) -> AsyncSeqrClient:
        """The SEQR client of the registered terminal (raises `NotRegistered`)."""
        cfg = self.store.config()
        if "terminal_id" not in cfg:
            raise NotRegistered()
        key = cfg["terminal_id"]
        if key not in self._clients:
            self._clients[key] = AsyncSeqrClient(
                self.seqr_url, cfg["terminal_id"], cfg["password"], client_id="openseqr pos 1.0"
            )
        return self._clients[key]

    async def close(self) -> None:
        for c in self._clients.values():
            await c.aclose()
        self.store.close()

    # -- status → payment ---------------------------------------------------------------------
    async def send_receipt(self, p: Payment) -> None:
        if not p.is_paid or not p.ers_reference:
            return  # nothing to send: do not even ask for the terminal
        template = self.env.get_template("receipt_doc.html")
        html = partial(template.render, p=p, cfg=self.store.config())
        await submit_receipt_once(self.store, self.terminal(), p, html, log)

    async def apply_status(
        self, p: Payment, status: PaymentStatus, note: str | None = None
    ) -> Payment:
        self.store.set_version(p.id, status.version)
        outcome = outcome_of(status.status)
        if outcome is OrderStatus.PAID:
            paid_at = status.receipt.payment_date if status.receipt else None
            if self.store.mark_paid(p.id, status.ers_reference, paid_at):
                log.info("payment %s PAID, ersReference %s", p.id, status.ers_reference)
        elif outcome is not None:
            self.store.finish(p.id, outcome.value, note)
        fresh = self.store.get(p.id) or p
        await self.send_receipt(fresh)
        return self.store.get(p.id) or fresh

    async def refresh(self, p: Payment) -> Payment:
        """One poll (P-7); serialised per payment so that overlapping polls cannot race."""
        async with self._locks.setdefault(p.id, asyncio.Lock()):
            p = self.store.get(p.id) or p
            if p.is_pending and p.invoice_reference:
                status = await self.terminal().get_payment_status(p.invoice_reference, p.version)
                p = await self.apply_status(p, status)
            elif receipt_owed(p):
                await self.send_receipt(p)
                p = self.store.get(p.id) or p
            return p

    # -- the "Await customer" view (P-6 … P-8) ----------------------------------------------------
    def phase_of(self, p: Payment) -> tuple[str, float]:
        if not p.is_pending:
            return p.status, 0.0
        elapsed = (utc_now() - p.cycle_started_at).total_seconds()
        remaining = max(0.0, self.cycle_seconds - elapsed)
        return ("ask" if remaining <= 0 else "waiting"), remaining

    def payment_json(self, p: Payment, phase: str | None = None) -> dict[str, Any]:
        """What the await view polls; `phase` overrides the computed one (``error``)."""
        computed, remaining = self.phase_of(p)
        phase = phase or computed
        return {
            "payment": p.id,
            "invoiceReference": p.invoice_reference,
            "status": p.status,
            "phase": phase,
            "message": PHASE_TEXT[phase],
            "remaining": round(remaining, 1),
            "cycle": p.cycles,
            "amount": f"{p.amount:.2f}",
            "currency": p.currency,
            "ersReference": p.ers_reference,
            "receipt": p.receipt_state,
            "note": p.note,
        }

    # -- close & reconcile (10.1) -----------------------------------------------------------------
    async def run_report(self, report: str, period_id: str, terminal_id: str) -> str:
        """`executeReport`, asking again (up to 5 times) while the report is not ready."""
        for attempt in range(5):
            try:
                return (await self.terminal().execute_report(report, period_id, terminal_id)).text
            except ReportNotReady:
                if attempt == 4:
                    raise
                await asyncio.sleep(self.report_retry_seconds)
        raise AssertionError("unreachable")

    async def close_period(self) -> tuple[str, str, str]:
        """``markTransactionPeriod`` then both reports: (period id, summary, details)."""
        client = self.terminal()
        terminal_id = self.store.config()["terminal_id"]
        period_id = await client.mark_transaction_period(terminal_id)
        summary = await self.run_report(SUMMARY_REPORT, period_id, terminal_id)
        details = await self.run_report(DETAILS_REPORT, period_id, terminal_id)
        return period_id, summary, details
