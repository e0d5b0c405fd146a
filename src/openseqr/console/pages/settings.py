"""Settings: the simulated account provider's switch, and the notification destination policy
with a check of one address against it (A-62). Operators only."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...core import errors
from ...core.records import ProviderMode
from ...service import admin, merchant
from ...service.context import Context
from ..framework import (
    OPERATOR,
    Section,
    audit,
    bad_request,
    ctx_of,
    form,
    render,
    require,
)
from .params import form_text, query_text

#: What each kind of destination is, and the variable that overrides the profile (A-34).
DESTINATIONS = (
    ("loopback", "this host (127.0.0.0/8, ::1, localhost)", "OPENSEQR_ALLOW_LOOPBACK_NOTIFICATIONS"),
    ("private", "private networks (RFC 1918, fc00::/7, CGNAT)", "OPENSEQR_ALLOW_PRIVATE_NOTIFICATIONS"),
    ("link_local", "link-local (169.254.0.0/16: cloud metadata)",
     "OPENSEQR_ALLOW_LINK_LOCAL_NOTIFICATIONS"),
)  # fmt: skip


def check_destination(ctx: Context, url: str) -> str | None:
    """Why sendInvoice would refuse this notification URL (64), or None when it is accepted."""
    try:
        merchant.check_notification_url(ctx, url)
    except errors.InvalidNotificationUrl as exc:
        return str(exc) or "not an acceptable notification URL"
    return None


async def page(request: Request) -> Response:
    await require(request, OPERATOR)
    ctx = ctx_of(request)
    policy = ctx.config.destinations
    rows = [(kind, what, env, getattr(policy, f"allow_{kind}")) for kind, what, env in DESTINATIONS]
    url = query_text(request, "check")
    verdict = None if url is None else (check_destination(ctx, url) or "")
    done = query_text(request, "done")
    return render(request, "settings.html", active="settings", modes=[m.value for m in ProviderMode],
                  mode=admin.global_provider_mode(ctx).value, destinations=rows, check=url,
                  verdict=verdict, notice=f"Provider switched to {done}." if done in
                  {m.value for m in ProviderMode} else None)  # fmt: skip


async def set_provider(request: Request) -> Response:
    await require(request, OPERATOR)
    data = await form(request)
    try:
        mode = admin.set_global_provider_mode(ctx_of(request), form_text(data, "mode"))
    except admin.AdminError as exc:
        raise bad_request(str(exc)) from None
    audit(request, "provider.set", "global", {"mode": mode.value})
    return RedirectResponse(f"/console/settings?done={mode.value}", status_code=303)


def routes() -> list[BaseRoute]:
    return [
        Route("/settings", page, methods=["GET"]),
        Route("/settings/provider", set_provider, methods=["POST"]),
    ]


SECTION = Section("settings", "Settings", routes)
