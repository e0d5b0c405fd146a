"""`openseqr pos serve`: run the reference point of sale (a café till) on its own port.

    openseqr pos serve --seqr-url http://127.0.0.1:8080 --reseller public_test_shop \\
        --reseller-user 9900 --reseller-password 1234 --port 8083

Open /setup once to register the till (registerTerminal) and assign its sticker's SEQR ID; the
till keeps its own terminal credentials in its SQLite file (docs/pos.md).
"""

from __future__ import annotations

import click

from .._common.cli import address_options, database_option, public_base, seqr_url_option, serve_app


@click.group(name="pos")
def pos() -> None:
    """The reference point of sale: a café till paying with SEQR (docs/pos.md)."""


@pos.command(name="serve")
@seqr_url_option("POS")
@click.option(
    "--reseller",
    "reseller_id",
    envvar="POS_RESELLER",
    required=True,
    help="reseller id, pre-filled on the setup page (env POS_RESELLER)",
)
@click.option(
    "--reseller-user",
    envvar="POS_RESELLER_USER",
    required=True,
    help="reseller user id (env POS_RESELLER_USER)",
)
@click.option(
    "--reseller-password",
    envvar="POS_RESELLER_PASSWORD",
    default=None,
    help="pre-fill the reseller password on the setup page (sandbox/demo only)",
)
@address_options(8083, reached_by="how the till is reached")
@database_option("data/pos/pos.sqlite3", "the till's database (SQLite file)")
@click.option(
    "--cycle-seconds",
    default=30.0,
    show_default=True,
    type=float,
    help="how long 'Await customer' polls before asking 'try again?' (spec 4.4)",
)
@click.option(
    "--till",
    "external_terminal_id",
    default="Café Kronan/Till 1",
    show_default=True,
    help="externalTerminalId for registerTerminal",
)
@click.option(
    "--name",
    "terminal_name",
    default="Café Kronan, till 1",
    show_default=True,
    help="the name shown on the customer's phone",
)
def serve(
    seqr_url: str,
    reseller_id: str,
    reseller_user: str,
    reseller_password: str | None,
    host: str,
    port: int,
    public_url: str | None,
    database_path: str,
    cycle_seconds: float,
    external_terminal_id: str,
    terminal_name: str,
) -> None:
    """Serve the till: setup, cashier, await customer, receipts, refunds, reconciliation."""
    from .app import create_pos_app

    public = public_base(public_url, host, port)
    app = create_pos_app(
        seqr_url,
        reseller_id,
        reseller_user,
        reseller_password,
        public,
        database_path=database_path,
        cycle_seconds=cycle_seconds,
        external_terminal_id=external_terminal_id,
        terminal_name=terminal_name,
    )
    click.echo(
        f"point of sale on {public}/ (SEQR server {seqr_url}, reseller {reseller_id}); "
        f"first open {public}/setup"
    )
    serve_app(app, host, port)
