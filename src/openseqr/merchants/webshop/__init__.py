"""Reference webshop: a cinema box office (spec 4.2, 4.3, 9.3–9.5), built only on `openseqr.sdk`.

    from openseqr.merchants.webshop import create_webshop_app
    app = create_webshop_app("http://127.0.0.1:8080", "public_test_shop_terminal", "12345678",
                             "http://127.0.0.1:8082", database_path="data/webshop.sqlite3")

Serve it with `openseqr webshop serve …` (or `python -m openseqr.merchants.webshop serve …`).
See docs/webshop.md.
"""

from .._common.formatting import format_amount
from .app import SHOP_NAME, create_webshop_app, platform_of
from .catalogue import CATALOGUE, CURRENCY, Product
from .store import Order, OrderStore

__all__ = [
    "create_webshop_app",
    "platform_of",
    "SHOP_NAME",
    "CATALOGUE",
    "CURRENCY",
    "Product",
    "format_amount",
    "Order",
    "OrderStore",
]
