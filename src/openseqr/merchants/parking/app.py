"""The reference External Service: city parking (spec 4.1, ES-1 … ES-14), built only on the SDK.

Pages (all work at 320×480, every view before the payment has a way back):

* ``GET /order#TOKEN`` -- ES-3. A shell whose inline script reads ``location.hash`` and opens
  ``/order/choose?token=TOKEN`` (clients without JavaScript submit the ``data-seqr-order`` form,
  docs/service-authors.md). "Leave" = ``SEQR-ACTION://WIZARD/CANCEL``.
* ``GET /order/choose?token=`` -- ES-4/5/6: ``getClientSessionInfo`` → zone from the QR
  parameter, durations with prices. A clear message for an expired (60), closed (61) or unknown
  (63) session.
* ``POST /order/pay`` -- ES-7/8/9: ``sendInvoice`` with ``clientInvoiceId`` = ticket id and
  ``notificationUrl=<public_url>/seqr/notify?ticket=<id>``; answers the trigger
  ``seqr://SEQR.SE/R<ref>``: JSON ``{"trigger": …}`` for the page's ``fetch()``, otherwise a
  page with the plain link (and "Back").
* ``POST /seqr/notify`` -- ES-11/12: the SDK's ``NotificationReceiver`` acknowledges with
  ``getPaymentStatus``; on PAID the ticket is issued and ``submitPaymentReceipt`` sends an HTML
  receipt with the ticket code.
* ``GET /success#TOKEN_<ref>`` -- ES-13/14 (D-04, D-56): shows the ticket (zone, valid from/until,
  code); calls ``getPaymentStatus`` itself if the notification has not been processed yet.
* ``GET /failure#TOKEN``, ``GET /cancel#TOKEN``: the alternative endings, with "Try again".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.routing import Route

from openseqr.sdk import WIZARD_CANCEL, AsyncSeqrClient, NotificationReceiver

from .._common.formatting import format_amount, local_time
from .._common.web import merchant_app, templates
from . import pages
from .service import Parking, Problem
from .store import TicketStore
from .tariff import ZONES, Zone

SERVICE_NAME = "City parking"
PACKAGE_DIR = Path(__file__).parent


def create_parking_app(
    seqr_url: str,
    terminal_id: str,
    password: str,
    public_url: str,
    *,
    notify_secret: str | None = None,
    notify_base_url: str | None = None,
    database_path: str | Path | None = None,
    zones: dict[str, Zone] | None = None,
    trigger_scheme: str = "seqr",
    client: Any = None,
) -> Starlette:
    """The parking service as a Starlette app.

    ``seqr_url``: the SEQR server; ``terminal_id``/``password``: the terminal the service is
    registered with; ``public_url``: where the SEQR server reaches this app (notification URL).
    ``notify_secret``: the terminal's notification secret, if it has one (signed notifications).
    ``notify_base_url``: where the SEQR server posts notifications, if not ``public_url`` (e.g.
    through a proxy); the invoice's notificationUrl is ``<notify_base_url>/seqr/notify?ticket=``.
    ``database_path``: the ticket database (SQLite file; ``None`` = in memory).
    ``trigger_scheme``: ``seqr`` (the app), or ``seqr-demo`` for the demo app.
    ``client``: an ``AsyncSeqrClient`` to use instead of making one (tests).
    """
    public_url = public_url.rstrip("/")
    seqr = client or AsyncSeqrClient(
        seqr_url, terminal_id, password, client_id="openseqr parking 1.0"
    )
    env = templates(
        "openseqr.merchants.parking",
        # The SEQR server's bridge lets the browser wallet catch our seqr:// triggers; it does
        # nothing in a native app or the headless wallet (docs/wallet-app.md).
        bridge_url=seqr_url.rstrip("/") + "/app/static/seqr-bridge.js",
        wizard_cancel=WIZARD_CANCEL,
        service_name=SERVICE_NAME,
        stylesheet="parking.css",
        format_amount=format_amount,
        local=local_time,
    )
    parking = Parking(
        store=TicketStore(database_path),
        seqr=seqr,
        env=env,
        zones=ZONES if zones is None else zones,
        public_url=public_url,
        notify_base=(notify_base_url or public_url).rstrip("/"),
        trigger_scheme=trigger_scheme,
    )
    receiver = NotificationReceiver(
        seqr, on_status=parking.on_status, path="/seqr/notify", secret=notify_secret
    )

    async def shutdown() -> None:
        if client is None:
            await seqr.aclose()
        parking.store.close()

    return merchant_app(
        routes(receiver),
        static=PACKAGE_DIR / "static",
        on_shutdown=shutdown,
        parking=parking,
        store=parking.store,
        seqr=seqr,
        receiver=receiver,
        public_url=public_url,
    )


def routes(receiver: NotificationReceiver) -> list[Route]:
    return [
        Route("/", pages.order),
        Route("/order", pages.order),
        Route("/order/choose", pages.choose),
        Route("/order/pay", pages.pay, methods=["POST"]),
        Route("/success", pages.success),
        Route("/ticket", pages.ticket_view),
        Route("/api/ticket", pages.ticket_json),
        Route("/failure", pages.failure),
        Route("/cancel", pages.cancel),
        Route("/health", pages.parking_health),
        Route("/seqr/notify", receiver, methods=["GET", "HEAD", "POST", "OPTIONS"]),
    ]


__all__ = ["create_parking_app", "SERVICE_NAME", "Problem"]
