"""Notifications: failing and pending deliveries across merchants (or of one merchant), with
redelivery of the same body (audited)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...service import console as use
from ..framework import ANYONE, Section, audit, ctx_of, field_of, form, not_found, render, require
from .params import path_id


async def list_notifications(request: Request) -> Response:
    principal = await require(request, ANYONE)
    failed, pending = use.notifications_needing_care(ctx_of(request), principal.scope)
    done = request.query_params.get("done") == "redelivered"
    return render(request, "notifications.html", active="notifications", failed=failed,
                  pending=pending, notice="Notification queued for redelivery." if done else None)  # fmt: skip


async def redeliver(request: Request) -> Response:
    principal = await require(request, ANYONE)
    data = await form(request)
    notification_id = path_id(request, "notification_id", "notification")
    try:
        n, reseller_id = use.redeliver(
            ctx_of(request), principal.scope, notification_id, f"console:{principal.name}"
        )
    except use.Missing:
        raise not_found("notification") from None
    audit(request, "notification.redeliver", notification_id, {"invoice": n.invoice_reference},
          reseller_id=reseller_id)  # fmt: skip
    back = field_of(data, "back", required=False)
    if back == "invoice":
        return RedirectResponse(
            f"/console/invoices/{n.invoice_reference}?done=redelivered", status_code=303
        )
    return RedirectResponse("/console/notifications?done=redelivered", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/notifications", list_notifications, methods=["GET"]),
        Route("/notifications/{notification_id}/redeliver", redeliver, methods=["POST"]),
    ]


SECTION = Section("notifications", "Notifications", routes, merchant=True)
