"""The merchants' endpoints are module-level functions reading ``request.app.state``: each can
be mounted alone on a bare Starlette app with just the state it needs (docs/decisions.md C-01).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from jinja2 import Environment
from starlette.applications import Starlette
from starlette.routing import Route

from openseqr.merchants._common.web import templates
from openseqr.merchants.pos import sale
from openseqr.merchants.pos.store import PosStore
from openseqr.merchants.pos.till import SetupDefaults, Till
from openseqr.merchants.webshop import pages as shop_pages
from openseqr.merchants.webshop.cart import CartCookie
from openseqr.merchants.webshop.service import Webshop
from openseqr.merchants.webshop.store import OrderStore

with warnings.catch_warnings():
    # Starlette 1.x suggests httpx2 under its TestClient; the httpx it still supports is here.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient


def bare_app(route: Route, **state: object) -> Starlette:
    app = Starlette(routes=[route])
    for key, value in state.items():
        setattr(app.state, key, value)
    return app


@pytest.fixture
def orders() -> Iterator[OrderStore]:
    store = OrderStore()
    yield store
    store.close()


def test_webshop_order_json_alone(orders: OrderStore) -> None:
    shop = Webshop(orders, None, CartCookie(b"k" * 32), Environment(), "http://shop.test")
    app = bare_app(Route("/api/orders/{order_id}", shop_pages.order_json), webshop=shop)
    order = orders.create([{"sku": "S-SODA", "quantity": 1}], Decimal("35"), "SEK", "desktop")
    orders.set_invoice(order.id, "20260101000000001", "HTTP://SEQR.SE/R20260101000000001")
    with TestClient(app) as client:
        body = client.get(f"/api/orders/{order.id}").json()
        missing = client.get("/api/orders/nope")
    assert body["status"] == "pending" and body["amount"] == "35.00"
    assert body["invoiceReference"] == "20260101000000001" and body["notified"] is False
    assert missing.status_code == 404 and missing.json() == {"error": "not_found"}


def test_pos_status_api_alone_on_an_unregistered_till() -> None:
    store = PosStore()
    till = Till(
        store,
        templates("openseqr.merchants.pos"),
        "http://127.0.0.1:9",  # never called: the till has no terminal yet
        SetupDefaults("shop", "9900", None, "Till 1", "Till 1"),
    )
    app = bare_app(Route("/status/{payment_id}", sale.status_api), till=till)
    p = store.create(Decimal("30.00"), "SEK", None, [])
    store.set_reference(p.id, "20260101000000002")
    with TestClient(app) as client:
        answer = client.get(f"/status/{p.id}")
    assert answer.status_code == 409 and answer.json() == {"error": "not_registered"}
    assert store.get(p.id).status == "pending"  # type: ignore[union-attr]
    store.close()


def test_old_awaiting_rows_read_as_pending(tmp_path: Path) -> None:
    """Tills written before the shared vocabulary stored "awaiting"; they reopen as pending."""
    path = tmp_path / "pos.sqlite3"
    store = PosStore(path)
    p = store.create(Decimal("12.00"), "SEK", None, [])
    store.set_reference(p.id, "20260101000000003")
    store._exec("UPDATE payments SET status = 'awaiting' WHERE id = ?", p.id)
    assert store.pending() == []
    store.close()
    reopened = PosStore(path)
    try:
        assert [q.id for q in reopened.pending()] == [p.id]
        assert reopened.new_cycle(p.id)  # the pending-only writes see it again
    finally:
        reopened.close()
