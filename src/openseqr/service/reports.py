"""Reconciliation (spec 10): transaction periods and the report catalogue of 10.2/10.3 (D-32–D-35)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from ..core import errors, ids
from ..core.ports import SettledTransaction
from ..core.records import TransactionPeriod
from .auth import Caller
from .context import Context

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)

# report id -> (root element, per-terminal, kind of rows)
CATALOGUE: dict[str, tuple[str, bool, str]] = {
    "Shop": ("ResellerTransactionSummary", False, "summary"),
    "STD_RECON_002": ("TerminalTransactionSummary", False, "by_terminal"),
    "STD_RECON_003": ("TransactionDetails", False, "details"),
    "STD_RECON_004": ("CashierTransactionSummary", False, "by_cashier"),
    "STD_RECON_006": ("TerminalTransactionSummary", True, "summary"),
    "STD_RECON_007": ("TransactionDetails", True, "details"),
}
ALIASES = {"STD_RECON_001": "Shop"}


@dataclass(frozen=True, slots=True)
class ReportDocument:
    title: str
    mime_type: str
    content: bytes
    content_string: str


def _param(params: tuple[tuple[str, str], ...], name: str) -> str | None:
    found = [v for k, v in params if k.upper() == name.upper()]
    return found[-1] if found else None


def _scope_terminal(
    ctx: Context, caller: Caller, params: tuple[tuple[str, str], ...]
) -> str | None:
    """D-32: a TERMINALID caller is always scoped to itself; RESELLERUSER may name a terminal."""
    if caller.terminal is not None:
        return caller.terminal.terminal_id
    terminal_id = _param(params, "TERMINALID")
    if terminal_id is None:
        return None
    with ctx.store.transaction(write=False) as tx:
        terminal = tx.get_terminal(terminal_id)
    if terminal is None or terminal.reseller_id != caller.reseller.reseller_id:
        raise errors.UnknownTerminal("TERMINALID parameter: no such terminal of this reseller")
    return terminal_id


def mark_transaction_period(
    ctx: Context, caller: Caller, params: tuple[tuple[str, str], ...]
) -> TransactionPeriod:
    terminal_id = _scope_terminal(ctx, caller, params)
    reseller_id = caller.reseller.reseller_id
    now = ctx.now()
    with ctx.store.transaction() as tx:
        start = tx.last_period_end(reseller_id, terminal_id) or EPOCH
        period = TransactionPeriod(
            ids.ers_reference(ctx.local(now)), reseller_id, terminal_id, start, now
        )
        tx.insert_period(period)
    return period


def normalise_report_id(report_id: str | None) -> str:
    name = (report_id or "").strip()
    if name.startswith("Reconciliation/"):
        name = name[len("Reconciliation/") :]
    if name.endswith(".xml"):
        name = name[:-4]
    name = ALIASES.get(name, name)
    if name not in CATALOGUE:
        raise errors.UnknownReport(f"unknown report {report_id!r}")
    return name


def execute_report(
    ctx: Context, caller: Caller, report_id: str | None, params: tuple[tuple[str, str], ...]
) -> ReportDocument:
    name = normalise_report_id(report_id)
    root, per_terminal, kind = CATALOGUE[name]
    period_id = _param(params, "transactionPeriodId")
    with ctx.store.transaction(write=False) as tx:
        period = tx.get_period(period_id) if period_id else None
    if period is None or period.reseller_id != caller.reseller.reseller_id:
        raise errors.UnknownReport("unknown transactionPeriodId")
    if (
        not per_terminal
        and caller.terminal is not None
        and period.terminal_id != caller.terminal.terminal_id
    ):
        # D-32: a TERMINALID caller only sees its own terminal, never a shop-wide period or
        # another terminal's period (a foreign transactionPeriodId -> 90, spec 10.3).
        raise errors.UnknownReport("this transaction period is not this terminal's")
    terminal_id = _scope_terminal(ctx, caller, params) if per_terminal else period.terminal_id
    if per_terminal:
        if terminal_id is None:
            raise errors.UnknownReport("this report needs a TERMINALID parameter")
        if period.terminal_id != terminal_id:
            # The FAQ's "never ready" case: tell clients to retry briefly, then give up (D-34c).
            if ctx.now() - period.end_at < ctx.config.report_not_ready_grace:
                raise errors.ReportNotReady()
            raise errors.UnknownReport("the period was not marked for this terminal")
    with ctx.store.transaction(write=False) as tx:
        rows = tx.settled_transactions(
            period.reseller_id, terminal_id, period.start_at, period.end_at
        )
    meta = [("ResellerId", period.reseller_id)]
    if per_terminal and terminal_id:
        meta.append(("TerminalId", terminal_id))
    meta += [
        ("TransactionPeriodId", period.period_id),
        ("GeneratedAt", ctx.now().astimezone(ctx.config.zone).strftime("%Y-%m-%d %H:%M")),
    ]
    xml = _document(root, meta, _rows(kind, rows))
    title = "" if name == "Shop" else f"{name}_{period.period_id}.xml"
    return ReportDocument(title, "text/html", xml.encode(), xml)  # mimeType as observed (D-34)


def _amount(value: Decimal) -> str:
    return f"{value:.5f}"  # D-40: reports carry 5 decimals


def _rows(kind: str, rows: list[SettledTransaction]) -> list[list[tuple[str, str]]]:
    if kind == "details":
        return [
            [
                ("TerminalId", r.terminal_id),
                ("CashierId", r.cashier_id or "NULL"),
                ("SalesAmount", _amount(r.amount.amount)),
                ("ErsReference", r.ers_reference),
            ]
            for r in rows
        ]
    groups: dict[str, list[SettledTransaction]] = defaultdict(list)
    for r in rows:
        group = {"summary": "", "by_terminal": r.terminal_id, "by_cashier": r.cashier_id or "NULL"}
        groups[group[kind]].append(r)
    if kind == "summary" and not groups:
        groups[""] = []
    label = {"by_terminal": "TerminalId", "by_cashier": "CashierId"}.get(kind)
    out: list[list[tuple[str, str]]] = []
    for key, items in groups.items():
        count = sum(1 for r in items if r.kind == "payment")  # D-34b: payments only
        total = sum((r.amount.amount for r in items), Decimal(0))  # refunds netted
        row = [(label, key)] if label else []
        out.append(row + [("SalesCount", str(count)), ("SalesTotal", _amount(total))])
    return out


def _document(root: str, meta: list[tuple[str, str]], rows: list[list[tuple[str, str]]]) -> str:
    def fields(pairs: list[tuple[str, str]]) -> str:
        return "".join(f"<{k}>{escape(v)}</{k}>\n" for k, v in pairs)

    body = "".join(f"<Row>\n{fields(r)}</Row>\n" for r in rows)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{root}>\n<Meta>\n{fields(meta)}</Meta>\n'
        f"{body}</{root}>\n"
    )
