"""Reference point of sale: a café till paying with SEQR (spec 4.4, 8.12, 10), built only on
`openseqr.sdk`.

    from openseqr.merchants.pos import create_pos_app
    app = create_pos_app("http://127.0.0.1:8080", "public_test_shop", "9900", "1234",
                         "http://127.0.0.1:8083", database_path="data/pos.sqlite3")

Serve it with `openseqr pos serve …` (or `python -m openseqr.merchants.pos serve …`).
See docs/pos.md.
"""

from .app import SHOP_NAME, create_pos_app, parse_report
from .store import Payment, PosStore

__all__ = ["create_pos_app", "parse_report", "SHOP_NAME", "Payment", "PosStore"]
