"""The web console's part of `SqlTx`: operators, the audit log, invoice search (A-54, A-55).

The search is the one query built at run time: its WHERE is assembled from fixed fragments (never
from input text), one per filter, and every filter and the newest-first order are served by an
index of migration 0006 or 0001 (tests/integration/storage/test_console_plans.py checks the plans).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from openseqr.core.console import AuditEntry, InvoiceSearch, LedgerLine, Operator
from openseqr.core.ports import DuplicateKey
from openseqr.core.records import Invoice, Notification

from .queries import Queries, to_pyformat
from .rows import INVOICES, Mapper, from_minor

_SELECT = f"SELECT {', '.join(INVOICES)} FROM invoices"
_FILTERS = (  # (InvoiceSearch field, SQL fragment)
    ("reseller_id", "reseller_id = :reseller_id"),
    ("reference", "reference = :reference"),
    ("ers_reference", "ers_reference = :ers_reference"),
    ("client_invoice_id", "client_invoice_id = :client_invoice_id"),
    ("terminal_id", "terminal_id = :terminal_id"),
    ("state", "state = :state"),
    ("created_from", "created_at >= :created_from"),
    ("created_to", "created_at < :created_to"),
)
_BEFORE = "(created_at < :before_at OR (created_at = :before_at AND reference < :before_ref))"
_NO_ID = 2**62  # "before the newest": larger than any audit id


def invoice_search_sql(search: InvoiceSearch, dialect: str) -> tuple[str, dict[str, Any]]:
    """The SQL text (in the dialect's parameter style) and the parameters still to be mapped."""
    where, params = [], {}
    for name, fragment in _FILTERS:
        value = getattr(search, name)
        if value is not None:
            where.append(fragment)
            params[name] = value
    if search.before is not None:
        where.append(_BEFORE)
        params["before_at"], params["before_ref"] = search.before
    sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "")
    sql += " ORDER BY created_at DESC, reference DESC LIMIT :limit"
    params["limit"] = search.limit
    return (to_pyformat(sql) if dialect == "postgres" else sql), params


class ConsoleSql:
    """Mixed into `SqlTx`; uses its connection `_c`, queries `_q` and mapper `_m`."""

    __slots__ = ()
    _c: Any
    _q: Queries
    _m: Mapper

    # -- operators -----------------------------------------------------------------------------
    def get_operator(self, name: str) -> Operator | None:
        row = self._c.execute(self._q.get_operator, {"name": name}).fetchone()
        return None if row is None else self._operator(row)

    def insert_operator(self, operator: Operator) -> None:
        if self._c.execute(self._q.insert_operator, self._operator_params(operator)).rowcount != 1:
            raise DuplicateKey(f"operator {operator.name} already exists")

    def update_operator(self, operator: Operator) -> None:
        self._c.execute(self._q.update_operator, self._operator_params(operator))

    def delete_operator(self, name: str) -> bool:
        return bool(self._c.execute(self._q.delete_operator, {"name": name}).rowcount == 1)

    def list_operators(self) -> list[Operator]:
        return [self._operator(r) for r in self._c.execute(self._q.list_operators).fetchall()]

    def _operator_params(self, o: Operator) -> dict[str, Any]:
        return {"name": o.name, "password_hash": o.password_hash, "active": o.active,
                "created_at": self._m.dt_in(o.created_at)}  # fmt: skip

    def _operator(self, row: tuple[Any, ...]) -> Operator:
        return Operator(row[0], row[1], bool(row[2]), self._m.dt_out(row[3]))

    # -- audit log -----------------------------------------------------------------------------
    def append_audit(self, entry: AuditEntry) -> None:
        params = {
            "at": self._m.dt_in(entry.at),
            "actor_kind": entry.actor_kind,
            "actor": entry.actor,
            "action": entry.action,
            "target": entry.target,
            "detail_json": json.dumps(entry.detail, sort_keys=True) if entry.detail else None,
            "reseller_id": entry.reseller_id,
        }
        self._c.execute(self._q.append_audit, params)

    def audit_entries(
        self, reseller_id: str | None, before_id: int | None, limit: int
    ) -> list[AuditEntry]:
        params: dict[str, Any] = {"before_id": before_id or _NO_ID, "limit": limit}
        if reseller_id is None:
            cur = self._c.execute(self._q.audit_entries, params)
        else:
            cur = self._c.execute(self._q.audit_entries_of_reseller, {**params,
                                  "reseller_id": reseller_id})  # fmt: skip
        return [
            AuditEntry(
                int(r[0]),
                self._m.dt_out(r[1]),
                r[2],
                r[3],
                r[4],
                r[5],
                json.loads(r[6]) if r[6] else {},
                r[7],
            )  # fmt: skip
            for r in cur.fetchall()
        ]

    # -- invoices, ledger, notifications -------------------------------------------------------
    def search_invoices(self, search: InvoiceSearch) -> list[Invoice]:
        sql, params = invoice_search_sql(search, self._q.dialect)
        for key, value in params.items():
            if isinstance(value, datetime):
                params[key] = self._m.dt_in(value)
        return [self._m.invoice(r) for r in self._c.execute(sql, params).fetchall()]

    def ledger_of_invoice(self, reference: str) -> list[LedgerLine]:
        rows = self._c.execute(self._q.ledger_of_invoice, {"reference": reference}).fetchall()
        return [
            LedgerLine(t, kind, acc, cur, from_minor(int(minor), cur), self._m.opt_out(at))
            for t, kind, acc, cur, minor, at in rows
        ]

    def notifications_needing_care(
        self, reseller_id: str | None, status: str, limit: int
    ) -> list[Notification]:
        if status not in ("failed", "pending"):
            raise ValueError(f"status must be failed or pending, not {status!r}")
        name = f"{status}_notifications" + ("" if reseller_id is None else "_of_reseller")
        params: dict[str, Any] = {"limit": limit, "reseller_id": reseller_id}
        if reseller_id is None:
            del params["reseller_id"]
        return [self._m.notification(r) for r in self._c.execute(getattr(self._q, name), params)]

    def console_secret(self, candidate: str) -> str:
        self._c.execute(self._q.init_console_secret, {"value": candidate})
        row = self._c.execute(self._q.get_switch, {"name": "console_secret"}).fetchone()
        return str(row[0])
