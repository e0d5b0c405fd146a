"""An External Service written straight into an in-process app's store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from openseqr.core.records import Service


def register_service(app: Any, service_id: str = "PARKING") -> None:
    """City parking on the sandbox shop's terminal, created a second ago (so already valid)."""
    with app.state.ctx.store.transaction() as tx:
        tx.upsert_service(
            Service(
                service_id,
                "City parking",
                "public_test_shop_terminal",
                "https://svc.example/order",
                "https://svc.example/success",
                "https://svc.example/failure",
                "https://svc.example/cancel",
                created_at=datetime.now(UTC) - timedelta(seconds=1),
            )
        )
