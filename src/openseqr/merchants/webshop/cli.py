"""`openseqr webshop serve`: run the reference webshop (a cinema box office) on its own port.

    openseqr webshop serve --seqr-url http://127.0.0.1:8080 \\
        --terminal public_test_shop_terminal --password 12345678 --port 8082

The shop only talks to the SEQR server through the merchant SDK (docs/webshop.md).
"""

from __future__ import annotations

import click


@click.group(name="webshop")
def webshop() -> None:
    """The reference webshop: cinema tickets paid with SEQR (docs/webshop.md)."""


@webshop.command(name="serve")
@click.option(
    "--seqr-url",
    envvar="WEBSHOP_SEQR_URL",
    required=True,
    help="the SEQR server's base URL (env WEBSHOP_SEQR_URL)",
)
@click.option(
    "--terminal",
    "terminal_id",
    envvar="WEBSHOP_TERMINAL",
    required=True,
    help="the shop's TERMINALID (env WEBSHOP_TERMINAL)",
)
@click.option(
    "--password",
    envvar="WEBSHOP_PASSWORD",
    required=True,
    help="the terminal's password (env WEBSHOP_PASSWORD)",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8082, show_default=True, type=int)
@click.option(
    "--public-url",
    default=None,
    help="how the SEQR server and phones reach the shop (default http://HOST:PORT)",
)
@click.option(
    "--database",
    "database_path",
    default="data/webshop/webshop.sqlite3",
    show_default=True,
    type=click.Path(),
    help="the order database (SQLite file)",
)
@click.option(
    "--notify-secret",
    envvar="WEBSHOP_NOTIFY_SECRET",
    default=None,
    help="the terminal's notification secret, if it has one",
)
@click.option(
    "--cookie-secret",
    envvar="WEBSHOP_COOKIE_SECRET",
    default=None,
    help="signs the cart cookie (default: random, carts end with the process)",
)
@click.option(
    "--deep-link-scheme",
    type=click.Choice(["seqr", "seqr-demo", "seqr-debug"]),
    default="seqr",
    show_default=True,
    help="scheme of the mobile 'Pay with SEQR' link",
)
def serve(
    seqr_url: str,
    terminal_id: str,
    password: str,
    host: str,
    port: int,
    public_url: str | None,
    database_path: str,
    notify_secret: str | None,
    cookie_secret: str | None,
    deep_link_scheme: str,
) -> None:
    """Serve the shop: catalogue, cart, checkout (QR / deep link), status URL, done page."""
    import uvicorn

    from .app import create_webshop_app

    public = (public_url or f"http://{host}:{port}").rstrip("/")
    app = create_webshop_app(
        seqr_url,
        terminal_id,
        password,
        public,
        database_path=database_path,
        notify_secret=notify_secret,
        cookie_secret=cookie_secret,
        deep_link_scheme=deep_link_scheme,
    )
    click.echo(f"webshop on {public}/ (SEQR server {seqr_url}, terminal {terminal_id})")
    uvicorn.run(app, host=host, port=port, access_log=False, log_level="warning")
