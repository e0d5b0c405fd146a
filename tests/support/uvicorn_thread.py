"""An ASGI app served by uvicorn on 127.0.0.1:<free port> in a daemon thread."""

from __future__ import annotations

import threading
import time
from typing import Any, Literal

import uvicorn

from tests.helpers import free_port


class UvicornThread:
    """``with UvicornThread(app) as server:`` serves ``app`` at ``server.url`` until the block ends.

    The port is chosen when the object is made, so ``url`` can be handed to the app (or to the
    service that builds it) before the server starts. Entering waits until uvicorn listens.
    """

    def __init__(self, app: Any = None, *, lifespan: Literal["on", "off", "auto"] = "off") -> None:
        self.app = app
        self.lifespan = lifespan
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> UvicornThread:
        if self.app is None:
            raise ValueError("UvicornThread needs an app before it starts")
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan=self.lifespan,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on {self.url}")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.should_exit = True
        self._thread.join(10)
