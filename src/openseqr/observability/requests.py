"""One JSON log line and the metrics of every request, and its `X-Request-Id`.

`RequestObserver` records what the outermost ASGI layer (`server.edge.Edge`) saw. The edge
takes the client's `X-Request-Id` when it is a short token of safe characters (`REQUEST_ID`),
else makes one, and returns it on every response. The endpoints say what a request was with
`annotate(scope, ...)`: the route template of a JSON operation (never the raw path, which
may carry a session token and would make the series unbounded), the SOAP operation and its
resultCode. Only these are logged: no body, query string or header but the request id, so PINs
and passwords never reach the log.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import MutableMapping
from datetime import UTC, datetime
from random import getrandbits
from typing import Any

from . import metrics

LOGGER = "openseqr.request"
REQUEST_ID = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:/+=@-]{0,127}")
HEADER = b"x-request-id"
NOTE = "openseqr.observed"  # the scope key of what the endpoints tell about the request


def request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == HEADER:
            return value.decode() if REQUEST_ID.fullmatch(value) else _new_id()
    return _new_id()


def _new_id() -> str:
    # Unique, not secret: Mersenne Twister bits cost no system call (os.urandom gives up the GIL
    # to the other threads on every request).
    return f"{getrandbits(128):032x}"


def annotate(scope: Any, **facts: str | int) -> None:
    """Record what this request was (route=, soap_operation=, soap_result_code=); a no-op
    when the app runs without the middleware."""
    note = scope.get(NOTE)
    if note is not None:
        note.update(facts)


class RequestLog:
    """Writes the request lines to standard error, in the shape of the other JSON log lines
    (`logs`), or as plain text. It does not go through `logging`: a record, its handler and
    python-json-logger cost several times the JSON encoding of these few known fields, on every
    request (A-53)."""

    def __init__(self, fmt: str = "json") -> None:
        self.fmt = fmt
        self.pid = os.getpid()
        # the JSON line is this head, the fields, the timestamp: only the fields are encoded
        self._head = json.dumps(
            {"level": "INFO", "logger": LOGGER, "pid": self.pid, "message": "request"}
        )[:-1]
        self._second: tuple[int, str] = (-1, "")  # the last second and its ISO form

    def write(self, fields: dict[str, Any]) -> None:
        if self.fmt == "text":
            now = datetime.now(UTC)
            pairs = " ".join(f"{k}={v}" for k, v in fields.items())
            line = f"{now:%Y-%m-%d %H:%M:%S},{now.microsecond // 1000:03d} INFO {LOGGER} {pairs}"
        else:
            encoded = json.dumps(fields)[1:-1]
            middle = f", {encoded}" if encoded else ""
            line = f'{self._head}{middle}, "timestamp": "{self._timestamp()}"}}'
        sys.stderr.write(line + "\n")

    def _timestamp(self) -> str:
        """`datetime.now(UTC).isoformat()` with microseconds, the second's text reused."""
        now = time.time()
        second = int(now)
        cached = self._second
        if cached[0] != second:
            iso = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            cached = self._second = (second, iso)
        return f"{cached[1]}.{int((now - second) * 1e6):06d}+00:00"


class RequestObserver:
    """What the edge (`server.edge.Edge`) records once a request is answered: its metrics
    and its log line."""

    def __init__(self, soap_paths: tuple[str, ...], request_log: RequestLog | None = None) -> None:
        self.soap_paths = frozenset(soap_paths)
        self.request_log = request_log

    def finished(
        self,
        scope: MutableMapping[str, Any],
        note: dict[str, Any],
        rid: str,
        status: int,
        seconds: float,
        fixed_route: str | None = None,
    ) -> None:
        """`fixed_route`: the path of a request the edge served without routing."""
        op = note.get("soap_operation")
        if op is not None:
            metrics.observe_soap(op, str(note.get("soap_result_code", "fault")), seconds)
        elif scope["path"] in self.soap_paths and scope["method"] == "POST":
            metrics.observe_soap("unknown", "fault", seconds)  # not even an operation was read
        route = note.get("route")
        if route is not None:
            metrics.observe_app(route, status)
        if self.request_log is not None:
            client = scope.get("client")
            self.request_log.write(
                {
                    "request_id": rid,
                    "method": scope["method"],
                    "route": route or fixed_route or _fixed_route(scope),
                    "status": status,
                    "duration_ms": round(seconds * 1000, 3),
                    "client": client[0] if client else None,
                    **note,
                }
            )


def _fixed_route(scope: MutableMapping[str, Any]) -> str | None:
    """The path of a matched route without parameters (then it is its template); None for the
    rest, whose raw path may carry a secret or anything a client made up."""
    if "endpoint" in scope and not scope.get("path_params"):
        return str(scope["path"])
    return None
