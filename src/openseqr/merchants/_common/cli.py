"""The click options every ``openseqr <merchant> serve`` shares, and serving the app.

Each helper is one option (``env_prefix`` names its environment variable, e.g. ``PARKING`` →
``PARKING_SEQR_URL``), so a merchant's command still lists all of its options in order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: deep-link schemes of a payment trigger: the app, the demo app, the debug app
SCHEMES = ["seqr", "seqr-demo", "seqr-debug"]


def seqr_url_option(env_prefix: str) -> Callable[[F], F]:
    envvar = f"{env_prefix}_SEQR_URL"
    return click.option(
        "--seqr-url",
        envvar=envvar,
        required=True,
        help=f"the SEQR server's base URL (env {envvar})",
    )


def terminal_option(env_prefix: str, help: str) -> Callable[[F], F]:
    envvar = f"{env_prefix}_TERMINAL"
    return click.option(
        "--terminal", "terminal_id", envvar=envvar, required=True, help=f"{help} (env {envvar})"
    )


def password_option(env_prefix: str) -> Callable[[F], F]:
    envvar = f"{env_prefix}_PASSWORD"
    return click.option(
        "--password", envvar=envvar, required=True, help=f"the terminal's password (env {envvar})"
    )


def address_options(port: int, reached_by: str) -> Callable[[F], F]:
    """``--host``, ``--port`` (default `port`) and ``--public-url`` (see `public_base`)."""

    def decorate(f: F) -> F:
        f = click.option(
            "--public-url", default=None, help=f"{reached_by} (default http://HOST:PORT)"
        )(f)
        f = click.option("--port", default=port, show_default=True, type=int)(f)
        return click.option("--host", default="127.0.0.1", show_default=True)(f)

    return decorate


def online_terminal_options(
    env_prefix: str, terminal_help: str, port: int, reached_by: str
) -> Callable[[F], F]:
    """``--seqr-url``, ``--terminal``, ``--password``, ``--host``, ``--port``, ``--public-url``:
    what a merchant with one online terminal (parking, webshop) is started with."""

    def decorate(f: F) -> F:
        f = address_options(port, reached_by)(f)
        f = password_option(env_prefix)(f)
        f = terminal_option(env_prefix, terminal_help)(f)
        return seqr_url_option(env_prefix)(f)

    return decorate


def database_option(default: str, help: str) -> Callable[[F], F]:
    return click.option(
        "--database",
        "database_path",
        default=default,
        show_default=True,
        type=click.Path(),
        help=help,
    )


def notify_secret_option(env_prefix: str) -> Callable[[F], F]:
    return click.option(
        "--notify-secret",
        envvar=f"{env_prefix}_NOTIFY_SECRET",
        default=None,
        help="the terminal's notification secret, if it has one",
    )


def scheme_option(flag: str, help: str) -> Callable[[F], F]:
    return click.option(
        flag, type=click.Choice(SCHEMES), default="seqr", show_default=True, help=help
    )


def public_base(public_url: str | None, host: str, port: int) -> str:
    """The app's public base URL: ``--public-url``, else ``http://HOST:PORT``."""
    return (public_url or f"http://{host}:{port}").rstrip("/")


def serve_app(app: Any, host: str, port: int) -> None:
    """Serve `app` with uvicorn until interrupted (no access log, warnings only)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
