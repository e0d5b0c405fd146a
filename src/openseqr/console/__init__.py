"""The web console at `/console`: operators run the platform; merchants (RESELLERUSER) see the
same pages scoped to their own reseller (SEQR's merchant portal). Server-rendered Jinja2, one
local stylesheet, no build step, no CDN, no JavaScript (A-54).

Module map: `app` (the Starlette app, CSRF wrapping of every POST route, error pages, headers),
`framework` (what pages use), `sessions` (signed cookie + CSRF token), `auth` (sign in/out),
`pages/` (one module per navigation section; `pages/__init__.py` is the registration list).

How to add a console page
-------------------------
1. Write `pages/<slug>.py`::

       from ..framework import (ANYONE, OPERATOR, Section, audit, ctx_of, field_of, form,
                                not_found, query, render, require)

       async def things(request):
           who = await require(request, OPERATOR)      # or ANYONE: merchants too
           rows = use.list_things(ctx_of(request), who.scope)   # scope: reseller id or None
           return render(request, "things.html", active="things", rows=rows)

       async def block_thing(request):                 # a POST route: CSRF already checked
           who = await require(request, OPERATOR)
           data = await form(request)
           ...                                         # unknown or out of scope: not_found()
           audit(request, "thing.block", thing_id, {"why": field_of(data, "why")})
           return RedirectResponse("/console/things", status_code=303)

       def routes():                                   # paths relative to /console
           return [Route("/things", things, methods=["GET"]),
                   Route("/things/{thing_id}/block", block_thing, methods=["POST"])]

       SECTION = Section("things", "Things", routes, merchant=False)

2. Add `things.SECTION` to `SECTIONS` in `pages/__init__.py` (navigation order), replacing its
   `planned.section(...)` line if there is one.
3. Templates go to `templates/<slug>.html` and `{% extends "base.html" %}` (`active=<slug>`
   highlights the navigation entry); every form carries
   `<input type="hidden" name="csrf" value="{{ csrf }}">`. Static files (a chart script, an
   image) go to `static/` and are served at `/console/static/`; the CSP allows only those.

Rules every page keeps (C-27): read and act only through the service layer, passing
`principal.scope`; anything outside the scope answers 404 like a missing object (never 403);
every state-changing action is a POST (the CSRF guard covers it automatically) and calls
`audit(...)`; query parameters are read with `query()` and form fields with `field_of()` (both
bounded), and bad input raises `bad_request(...)` (400), never an exception that becomes a 500.
"""

from __future__ import annotations

from .app import create_console

__all__ = ["create_console"]
