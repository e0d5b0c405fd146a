"""The `openseqr` command."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..settings import Settings

if TYPE_CHECKING:
    from ..service.context import Context
F = TypeVar("F", bound=Callable[..., Any])


@click.group()
@click.version_option(package_name="openseqr")
def main() -> None:
    """openseqr: an open, self-hostable SEQR payment system."""


def _database_option(f: F) -> F:
    return click.option(
        "--database",
        "database",
        envvar="OPENSEQR_DATABASE_URL",
        default=None,
        help="sqlite:///path.db or postgresql://… (default: a SQLite file in the data directory)",
    )(f)


@contextmanager
def operator_context(database: str | None) -> Iterator[Context]:
    """The context of every operator command: the server's database and the system clock.

    It never seeds sandbox data (only `serve` and `demo` do, D-61), and a refused operation
    ends the command with its message, not a traceback.
    """
    from ..core.errors import DomainError
    from ..service.admin import AdminError, admin_context
    from ..service.bootstrap import store_options
    from ..storage import open_store

    settings = Settings()
    if database:
        settings.database_url = database
    store = open_store(settings.resolved_database_url(), **store_options(settings))
    try:
        yield admin_context(store)
    except (AdminError, DomainError) as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()


@main.command()
@click.option("--host", default=None, help="default: OPENSEQR_HOST or 127.0.0.1")
@click.option("--port", default=None, type=int, help="default: OPENSEQR_PORT or 8080")
@_database_option
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1),
    envvar="OPENSEQR_WORKERS",
    help="server processes; with PostgreSQL they share one database",
)
@click.option(
    "--db-pool-size",
    type=click.IntRange(1),
    default=None,
    envvar="OPENSEQR_DB_POOL_SIZE",
    help="PostgreSQL connections per process (default: 20 / workers, at least 4)",
)
@click.option("--ack-window", type=float, default=None, help="seconds (default 20; 0 = never)")
@click.option("--no-worker", is_flag=True, help="do not run deadline and notification loops here")
def serve(
    host: str | None,
    port: int | None,
    database: str | None,
    workers: int,
    db_pool_size: int | None,
    ack_window: float | None,
    no_worker: bool,
) -> None:
    """Run the SEQR server: merchant SOAP API, app API, background loops."""
    import uvicorn

    from ..observability import logs, multiproc

    if database:
        os.environ["OPENSEQR_DATABASE_URL"] = database
    if ack_window is not None:
        os.environ["OPENSEQR_ACK_WINDOW_SECONDS"] = str(ack_window)
    if no_worker:
        os.environ["OPENSEQR_WORKER"] = "false"
    os.environ["OPENSEQR_WORKERS"] = str(workers)  # each process sizes its pool by it
    if db_pool_size is not None:
        os.environ["OPENSEQR_DB_POOL_SIZE"] = str(db_pool_size)
    settings = Settings()
    host = host or settings.host
    port = port if port is not None else settings.port
    from ..service.bootstrap import store_options
    from ..storage import migrate

    if not settings.db_transaction_pooling:  # then `openseqr migrate` on a direct URL
        migrate(settings.resolved_database_url())  # once, before the processes start
    os.environ["OPENSEQR_DATABASE_URL"] = settings.resolved_database_url()
    public = (settings.public_url or f"http://{host}:{port}").rstrip("/")
    click.echo(
        f"openseqr serving on http://{host}:{port}/ "
        f"(SOAP: {public}/soap/merchant/cashregister-2?wsdl)"
    )
    click.echo(settings.profile_summary())
    if pool := store_options(settings).get("max_size"):
        click.echo(f"PostgreSQL: {workers} process(es) x {pool} pooled connections at most")
    metrics_dir = multiproc.prepare(workers)  # before any process imports prometheus_client
    try:
        _run_uvicorn(uvicorn, host, port, workers, settings, logs.config(settings.log_format))
    finally:
        multiproc.cleanup(metrics_dir)


def _run_uvicorn(
    uvicorn: Any, host: str, port: int, workers: int, settings: Settings, log_config: dict[str, Any]
) -> None:
    uvicorn.run(
        "openseqr.runtime:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # our request log (observability.requests) replaces it
        log_level="warning",
        log_config=log_config,
        timeout_graceful_shutdown=5,
        # uvicorn's protocol plus a request-head deadline and per-source connection cap
        http="openseqr.server.limits:GuardedHttpToolsProtocol",
        timeout_keep_alive=settings.keep_alive_seconds,
    )


@main.command(name="migrate")
@_database_option
def migrate_command(database: str | None) -> None:
    """Apply pending schema migrations."""
    from ..storage import migrate

    url = database or Settings().resolved_database_url()
    migrate(url)
    click.echo(f"database is up to date: {url}")


def _register_commands() -> None:
    """Command modules add themselves to `main` on import (kept out of import time of main)."""
    from . import admin, demo, events, operators, services, wallet  # noqa: F401


_register_commands()
