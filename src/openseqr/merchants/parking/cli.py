"""`openseqr parking serve`: run the parking External Service on its own port.

    openseqr parking serve --seqr-url http://127.0.0.1:8080 \\
        --terminal public_test_shop_terminal --password 12345678 --port 8081

The operator registers it once on the SEQR server (`openseqr service add parking …`, see
docs/parking.md); the service itself only talks to the server through the merchant SDK.
"""

from __future__ import annotations

import click


@click.group(name="parking")
def parking() -> None:
    """The reference External Service: city parking (docs/parking.md)."""


@parking.command(name="serve")
@click.option(
    "--seqr-url",
    envvar="PARKING_SEQR_URL",
    required=True,
    help="the SEQR server's base URL (env PARKING_SEQR_URL)",
)
@click.option(
    "--terminal",
    "terminal_id",
    envvar="PARKING_TERMINAL",
    required=True,
    help="TERMINALID the service is registered with (env PARKING_TERMINAL)",
)
@click.option(
    "--password",
    envvar="PARKING_PASSWORD",
    required=True,
    help="the terminal's password (env PARKING_PASSWORD)",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int)
@click.option(
    "--public-url",
    default=None,
    help="how the SEQR server and phones reach this service (default http://HOST:PORT)",
)
@click.option(
    "--notify-base-url",
    default=None,
    help="where the SEQR server posts notifications, if not the public URL (e.g. a "
    "proxy); the notificationUrl is <this>/seqr/notify?ticket=…",
)
@click.option(
    "--database",
    "database_path",
    default="data/parking/parking.sqlite3",
    show_default=True,
    type=click.Path(),
    help="the ticket database (SQLite file)",
)
@click.option(
    "--notify-secret",
    envvar="PARKING_NOTIFY_SECRET",
    default=None,
    help="the terminal's notification secret, if it has one",
)
@click.option(
    "--trigger-scheme",
    type=click.Choice(["seqr", "seqr-demo", "seqr-debug"]),
    default="seqr",
    show_default=True,
    help="deep-link scheme of the pay trigger",
)
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
    import uvicorn

    from .app import create_parking_app

    public = (public_url or f"http://{host}:{port}").rstrip("/")
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
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
