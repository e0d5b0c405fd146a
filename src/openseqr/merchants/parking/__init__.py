"""Reference External Service: city parking (spec 4.1), built only on `openseqr.sdk`.

    from openseqr.merchants.parking import create_parking_app
    app = create_parking_app("http://127.0.0.1:8080", "public_test_shop_terminal", "12345678",
                             "http://127.0.0.1:8081", database_path="data/parking.sqlite3")

Serve it with `openseqr parking serve …` (or `python -m openseqr.merchants.parking serve …`);
`openseqr demo` runs it next to the server. See docs/parking.md.
"""

from .app import SERVICE_NAME, create_parking_app
from .store import Ticket, TicketStore
from .tariff import DURATIONS, ZONES, Duration, Zone

__all__ = [
    "create_parking_app",
    "SERVICE_NAME",
    "Ticket",
    "TicketStore",
    "ZONES",
    "DURATIONS",
    "Zone",
    "Duration",
]
