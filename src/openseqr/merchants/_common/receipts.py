"""The HTML receipt a merchant submits once per paid record (``submitPaymentReceipt``).

A store that keeps receipts has a `receipt_state` column (none | sending | sent | failed) next
to `status`; claiming is a compare-and-set, so concurrent requests send the receipt once, and
again only after a failure.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from openseqr.sdk import SeqrClientError

from .sqlite import MerchantDatabase


class ReceiptStore(MerchantDatabase):
    """A `MerchantDatabase` whose `TABLE` (with `id`, `status`, `receipt_state`) holds receipts."""

    TABLE: ClassVar[str] = ""

    def claim_receipt(self, record_id: str) -> bool:
        """Exactly one caller gets to send the receipt (again after a failure)."""
        return self._update(
            f"UPDATE {self.TABLE} SET receipt_state = 'sending' WHERE id = ? AND "
            "status = 'paid' AND receipt_state IN ('none', 'failed')",
            record_id,
        )

    def receipt_done(self, record_id: str, ok: bool) -> None:
        self._update(
            f"UPDATE {self.TABLE} SET receipt_state = ? WHERE id = ?",
            "sent" if ok else "failed",
            record_id,
        )


class Receiptable(Protocol):
    # read-only members, so frozen dataclasses qualify
    @property
    def id(self) -> str: ...
    @property
    def ers_reference(self) -> str | None: ...
    @property
    def receipt_state(self) -> str: ...
    @property
    def is_paid(self) -> bool: ...


def receipt_owed(record: Receiptable) -> bool:
    """Paid, and its receipt neither sent nor being sent."""
    return record.is_paid and record.receipt_state in ("none", "failed")


async def submit_receipt_once(
    store: ReceiptStore,
    seqr: Any,
    record: Receiptable,
    html: Callable[[], str],
    log: logging.Logger,
) -> None:
    """Submit `html()` as `record`'s receipt if it is owed and this caller wins the claim."""
    if not record.is_paid or not record.ers_reference or not store.claim_receipt(record.id):
        return
    try:
        await seqr.submit_payment_receipt(record.ers_reference, html())
    except SeqrClientError as exc:
        log.warning("submitPaymentReceipt for %s failed: %s", record.id, exc)
        store.receipt_done(record.id, ok=False)
        return
    store.receipt_done(record.id, ok=True)
