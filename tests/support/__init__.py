"""Helpers shared by more than one test folder (see docs/decisions.md, C-13).

* ``uvicorn_thread`` -- ``UvicornThread``: any ASGI app on 127.0.0.1:<free port> in a thread.
* ``servers``        -- ``BACKENDS``, ``served`` and ``backend_server``: a real ``openseqr serve``
                        per storage backend, as a module-scoped fixture.
* ``cli``            -- ``register_service``: ``openseqr service add`` against a server's database.
* ``app_login``      -- ``login_headers`` / ``bearer_of``: sign a customer in to the app API and
                        get the ``Authorization`` header (A-15: an msisdn alone names nobody).

Fixtures stay in the ``conftest.py`` of the narrowest folder that uses them; what is imported
by modules of two or more folders lives here.
"""
