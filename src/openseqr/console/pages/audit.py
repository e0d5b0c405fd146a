"""The audit log: every console action, newest first (a merchant sees its own)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ...service import console as use
from ..framework import ANYONE, Section, bad_request, ctx_of, query, render, require

PAGE_SIZE = 100


async def audit_log(request: Request) -> Response:
    principal = await require(request, ANYONE)
    before = query(request, "before")
    if before is not None and not (before.isdigit() and len(before) < 19):
        raise bad_request("The page cursor is not valid.")
    entries = use.audit_entries(
        ctx_of(request), principal.scope, int(before) if before else None, PAGE_SIZE + 1
    )
    more, entries = len(entries) > PAGE_SIZE, entries[:PAGE_SIZE]
    return render(request, "audit.html", active="audit", entries=entries,
                  next_before=entries[-1].entry_id if more else None)  # fmt: skip


def routes() -> list[BaseRoute]:
    return [Route("/audit", audit_log, methods=["GET"])]


SECTION = Section("audit", "Audit log", routes, merchant=True)
