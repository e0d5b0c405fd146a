"""`GET /metrics`: the Prometheus text format, for whom may read it (A-52).

With `OPENSEQR_METRICS_TOKEN` set, a scrape must carry `Authorization: Bearer <token>`, from
any address. Without it, only loopback clients are answered (a Prometheus or an agent on the
same host); others get 403. The metrics hold no secrets, but merchant volumes are business data.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from . import metrics


def allowed(request: Request, token: str | None) -> bool:
    if token:
        offered = request.headers.get("authorization", "")
        return hmac.compare_digest(offered.encode(), f"Bearer {token}".encode())
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint(pending: Callable[[], int], token: str | None) -> Callable[[Request], object]:
    """The `/metrics` handler; `pending` counts owed notifications in the database."""
    collector = metrics.PendingNotifications(pending)

    async def serve_metrics(request: Request) -> Response:
        if not allowed(request, token):
            why = "a valid bearer token" if token else "a loopback address"
            return JSONResponse(
                {"error": "Forbidden", "message": f"/metrics needs {why} (docs/operations.md)"},
                status_code=403,
            )
        registry = metrics.scrape_registry(collector)
        body = await run_in_threadpool(generate_latest, registry)  # reads files and the DB
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return serve_metrics
