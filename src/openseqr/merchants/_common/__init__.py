"""Plumbing the reference merchants share, and nothing of their business.

* `sqlite` -- `SqliteStore`: one stdlib-sqlite connection behind a lock (WAL, busy timeout).
* `web` -- Jinja page rendering and the Starlette app shell (``/static``, ``app.state``, shutdown).
* `cli` -- the click options every ``openseqr <merchant> serve`` has, and serving with uvicorn.

Like the merchants, it imports nothing of the server: only the stdlib, Starlette, Jinja2, click
and uvicorn (import-linter contract in pyproject.toml).
"""
