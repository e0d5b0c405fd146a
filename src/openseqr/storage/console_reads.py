"""The console's reads (A-59), written once for both dialects and mixed into `SqlTx`.

They serve the operator's pages, not a request path: time windows across every terminal for
the dashboard, and the whole lists (resellers, balances, periods) the pages show.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from openseqr.core.records import Reseller, TransactionPeriod

from .queries import Queries
from .rows import Mapper, from_minor


class ConsoleReads:
    __slots__ = ()
    _c: Any
    _q: Queries
    _m: Mapper

    def invoice_states_between(
        self, since: datetime, until: datetime, reseller_id: str | None = None
    ) -> dict[str, int]:
        params = {"since": self._m.dt_in(since), "until": self._m.dt_in(until),
                  "reseller_id": reseller_id}  # fmt: skip
        sql = self._q.invoice_states_between
        if reseller_id is not None:
            sql = self._q.invoice_states_between_of_reseller
        return {state: int(count) for state, count in self._c.execute(sql, params).fetchall()}

    def count_pending_notifications(self, reseller_id: str | None = None) -> tuple[int, int]:
        params = {"reseller_id": reseller_id}
        pending, retrying = self._c.execute(self._q.count_pending_notifications, params).fetchone()
        return int(pending), int(retrying)

    def failed_notifications_since(self, since: datetime, reseller_id: str | None = None) -> int:
        params = {"since": self._m.dt_in(since), "reseller_id": reseller_id}
        return int(self._c.execute(self._q.failed_notifications_since, params).fetchone()[0])

    def delivery_delays_since(self, since: datetime, reseller_id: str | None = None) -> list[float]:
        params = {"since": self._m.dt_in(since), "reseller_id": reseller_id}
        out = self._m.dt_out
        return [
            (out(started) - out(created)).total_seconds() + float(duration_ms) / 1000
            for created, started, duration_ms in self._c.execute(
                self._q.delivery_delays_since, params
            )
        ]

    def list_resellers(self) -> list[Reseller]:
        return [self._m.reseller(r) for r in self._c.execute(self._q.list_resellers).fetchall()]

    def balances_of(self, account: str) -> dict[str, Decimal]:
        rows = self._c.execute(self._q.balances_of, {"account": account}).fetchall()
        return {currency: from_minor(int(minor), currency) for currency, minor in rows}

    def periods_of_reseller(self, reseller_id: str, limit: int) -> list[TransactionPeriod]:
        params = {"reseller_id": reseller_id, "limit": limit}
        rows = self._c.execute(self._q.periods_of_reseller, params).fetchall()
        return [self._m.period(r) for r in rows]
