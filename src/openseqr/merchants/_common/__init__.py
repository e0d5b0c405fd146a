"""The merchant kit: what the reference merchants share, and nothing of their business.

* `sqlite` -- `MerchantDatabase`: one stdlib-sqlite connection behind a lock (WAL, busy timeout).
* `clock` -- ``utc_now`` and ISO-8601 text for the stores; `formatting` -- ``format_amount``
  and ``local_time`` for pages and receipts.
* `status` -- the one order-status vocabulary (`OrderStatus`: pending, paid, canceled, failed)
  and what each SEQR invoice status makes of a pending record.
* `receipts` -- submitting a paid record's HTML receipt exactly once.
* `web` -- Jinja page rendering (with the shared ``_page.html`` skeleton), small response
  helpers and the Starlette app shell (``/static``, ``app.state``, shutdown).
* `cli` -- the click options every ``openseqr <merchant> serve`` has, and serving with uvicorn.

Like the merchants, it imports only the SDK of openseqr, plus the stdlib, Starlette, Jinja2,
click and uvicorn (import-linter contract in pyproject.toml).
"""
