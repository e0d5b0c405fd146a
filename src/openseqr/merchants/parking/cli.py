"""`openseqr parking serve`: run the parking External Service on its own port.

    openseqr parking serve --seqr-url http://127.0.0.1:8080 \\
        --terminal public_test_shop_terminal --password 12345678 --port 8081

The operator registers it once on the SEQR server (`openseqr service add parking …`, see
docs/parking.md); the service itself only talks to the server through the merchant SDK.
"""

from __future__ import annotations

import click

from .._common.cli import (
    database_option,
    notify_secret_option,
    online_terminal_options,
    public_base,
    scheme_option,
    serve_app,
)


@click.group(name="parking")
def parking() -> None:
    """The reference External Service: city parking (docs/parking.md)."""


@parking.command(name="serve")
@online_terminal_options(
    "PARKING",
    "TERMINALID the service is registered with",
    8081,
    "how the SEQR server and phones reach this service",
)
@click.option(
    "--notify-base-url",
    default=None,
    help="where the SEQR server posts notifications, if not the public URL (e.g. a "
    "proxy); the notificationUrl is <this>/seqr/notify?ticket=…",
)
@database_option("data/parking/parking.sqlite3", "the ticket database (SQLite file)")
@notify_secret_option("PARKING")
@scheme_option("--trigger-scheme", "deep-link scheme of the pay trigger")
def serve(
    seqr_url: str,
    terminal_id: str,
    password: str,
    host: str,
    port: int,
    public_url: str | None,
    notify_base_url: str | None,
    database_path: str,
    notify_secret: str | None,
    trigger_scheme: str,
) -> None:
    """Serve the parking pages (order, success, failure, cancel) and its notification URL."""
    from .app import create_parking_app

    public = public_base(public_url, host, port)
    app = create_parking_app(
        seqr_url,
        terminal_id,
        password,
        public,
        notify_secret=notify_secret,
        notify_base_url=notify_base_url,
        database_path=database_path,
        trigger_scheme=trigger_scheme,
    )
    click.echo(
        f"parking service on {public}/order (SEQR server {seqr_url}, terminal {terminal_id})",
    )
    click.echo(
        f"register it: openseqr service add parking --name 'City parking' "
        f"--terminal {terminal_id} --order-url {public}/order "
        f"--success-url {public}/success --failure-url {public}/failure "
        f"--cancel-url {public}/cancel"
    )
    serve_app(app, host, port)
