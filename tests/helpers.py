"""Small helpers shared by tests (import as ``from tests.helpers import ...``).

Everything here talks to 127.0.0.1 only.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "create_postgres_database",
    "drop_postgres_database",
    "free_port",
    "wait_for_http",
    "with_dbname",
]


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that was free a moment ago.

    The kernel picks it; there is an unavoidable race between closing the probe
    socket and the caller binding the port, so callers that start servers should
    retry once or twice on "address in use".
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str,
    timeout: float = 15.0,
    *,
    process: subprocess.Popen[bytes] | subprocess.Popen[str] | None = None,
    interval: float = 0.05,
) -> int:
    """Poll ``url`` with GET until the server answers, and return the HTTP status.

    Any HTTP answer counts as "up" (a 404 or 405 still proves the server is
    listening); only connection errors are retried. If ``process`` is given and
    exits while we wait, fail at once instead of waiting for the timeout.
    Raises ``TimeoutError`` after ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    last_error: BaseException | None = None
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"process {process.args!r} exited with code {process.returncode} "
                f"before {url} answered"
            )
        try:
            with urllib.request.urlopen(url, timeout=max(0.1, min(2.0, timeout))) as resp:
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
            last_error = exc
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{url} did not answer within {timeout:.1f}s: {last_error!r}")
        time.sleep(interval)


# --- PostgreSQL -------------------------------------------------------------------------------
# Used by the ``make_postgres_db``/``fresh_postgres_url`` fixtures in conftest.py; call them
# directly only when a test needs to manage a database's life cycle itself.


def with_dbname(url: str, dbname: str) -> str:
    """``url`` with its database name replaced by ``dbname`` (query string kept)."""
    return urlunsplit(urlsplit(url)._replace(path="/" + dbname))


def create_postgres_database(admin_url: str, prefix: str = "t_") -> str:
    """Create a new empty database (from template0) and return its URL."""
    import secrets

    import psycopg
    from psycopg import sql

    name = f"{prefix}{secrets.token_hex(8)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        # template0: truly empty, and no clash with other sessions connected to template1.
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
                sql.Identifier(name)
            )
        )
    return with_dbname(admin_url, name)


def drop_postgres_database(admin_url: str, url: str) -> None:
    """Drop the database named in ``url``, even with sessions still connected to it."""
    import psycopg
    from psycopg import sql

    name = urlsplit(url).path.lstrip("/")
    # WITH (FORCE) may refuse, for a non-superuser, to end an autovacuum worker that is visiting
    # the database right now; that worker leaves within moments, so try again briefly.
    for attempt in range(20):
        try:
            with psycopg.connect(admin_url, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )
            return
        except (psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectInUse):
            if attempt == 19:
                raise
            time.sleep(0.25)


def wait_until(
    check: Callable[[], Any], timeout: float = 15.0, interval: float = 0.1, what: str = "condition"
) -> Any:
    """Poll `check` every `interval` seconds until it returns something truthy, and return that."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def stop_process(
    process: subprocess.Popen[Any], sig: signal.Signals = signal.SIGTERM, grace: float = 10
) -> bool:
    """Send `sig`, then SIGKILL after `grace` seconds; False if it had to be killed."""
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
            return False
    return True
