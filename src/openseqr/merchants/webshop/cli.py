"""`openseqr webshop serve`: run the reference webshop (a cinema box office) on its own port.

    openseqr webshop serve --seqr-url http://127.0.0.1:8080 \\
        --terminal public_test_shop_terminal --password 12345678 --port 8082

The shop only talks to the SEQR server through the merchant SDK (docs/webshop.md).
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


@click.group(name="webshop")
def webshop() -> None:
    """The reference webshop: cinema tickets paid with SEQR (docs/webshop.md)."""


@webshop.command(name="serve")
@online_terminal_options(
    "WEBSHOP", "the shop's TERMINALID", 8082, "how the SEQR server and phones reach the shop"
)
@database_option("data/webshop/webshop.sqlite3", "the order database (SQLite file)")
@notify_secret_option("WEBSHOP")
@click.option(
    "--cookie-secret",
    envvar="WEBSHOP_COOKIE_SECRET",
    default=None,
    help="signs the cart cookie (default: random, carts end with the process)",
)
@scheme_option("--deep-link-scheme", "scheme of the mobile 'Pay with SEQR' link")
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
    from .app import create_webshop_app

    public = public_base(public_url, host, port)
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
    serve_app(app, host, port)
