"""`openseqr wallet …`: the headless SEQR app against a running server, for scripts.

    openseqr wallet pay HTTP://SEQR.SE/000/PARKING --msisdn 46700000001 --pin 1111
    openseqr wallet pay 1397222701693 --msisdn 46700000001 --pin 1111 --json
    openseqr wallet scan HTTP://SEQR.SE/Q0039394857311223 --msisdn 46700000001
    openseqr wallet balance --msisdn 46700000001 --pin 1111

Exit codes of `pay`: 0 the payment ended PAID; 1 it did not (FAILED, CANCELED, RESERVED, left
the service, not payable, no trigger, timeout); 3 wrong PIN or locked; 4 the server, a service
page or the account provider was unavailable; 2 usage errors and invalid codes.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from .main import main

DEFAULT_SERVER = "http://127.0.0.1:8080"

EXIT_PAID, EXIT_NOT_PAID, EXIT_USAGE, EXIT_AUTH, EXIT_UNAVAILABLE = 0, 1, 2, 3, 4

F = TypeVar("F", bound=Callable[..., Any])


def _server_option(f: F) -> F:
    return click.option(
        "--server",
        "server",
        envvar="OPENSEQR_SERVER_URL",
        default=DEFAULT_SERVER,
        show_default=True,
        help="the SEQR server's base URL (env OPENSEQR_SERVER_URL)",
    )(f)


def _exit_code(status: Any) -> int:
    from ..wallet import Status

    if status is Status.PAID:
        return EXIT_PAID
    if status in (Status.WRONG_PIN, Status.PIN_LOCKED):
        return EXIT_AUTH
    if status in (Status.PROVIDER_UNAVAILABLE, Status.SERVICE_ERROR, Status.ERROR):
        return EXIT_UNAVAILABLE
    if status is Status.INVALID_CODE:
        return EXIT_USAGE
    return EXIT_NOT_PAID


def _print_outcome(outcome: Any, verbose: bool) -> None:
    click.echo(f"status: {outcome.status.value}")
    if outcome.message:
        click.echo(f"message: {outcome.message}")
    if outcome.session is not None:
        click.echo(
            f"service: {outcome.session.service_id} ({outcome.session.name}), "
            f"token {outcome.session.token}"
        )
    if outcome.trigger:
        click.echo(f"trigger: {outcome.trigger}")
    if outcome.invoice is not None:
        click.echo(f"invoice: {outcome.invoice.describe()}")
        if outcome.invoice.ers_reference:
            click.echo(f"ersReference: {outcome.invoice.ers_reference}")
    for visit in outcome.visits:
        code = visit.status_code if visit.status_code is not None else "-"
        click.echo(f"visited: {visit.method} {visit.url} -> {code}")
    if outcome.final_url:
        click.echo(f"final page: {outcome.final_url}")
    if verbose and outcome.final_html:
        click.echo(outcome.final_html)


@main.group(name="wallet")
def wallet_group() -> None:
    """A headless SEQR app: scan codes and pay invoices on a running server."""


@wallet_group.command(name="pay")
@click.argument("code", metavar="QR-OR-REFERENCE")
@click.option("--msisdn", required=True, help="the customer's phone number")
@click.option("--pin", required=True, help="the customer's PIN")
@_server_option
@click.option(
    "--cancel", "cancel", is_flag=True, help="press Cancel in the payment screen instead of paying"
)
@click.option(
    "--timeout",
    type=float,
    default=60.0,
    show_default=True,
    help="seconds to wait for an amount on a terminal sticker",
)
@click.option("--json", "as_json", is_flag=True, help="print the outcome as JSON")
@click.option("--html", "show_html", is_flag=True, help="also print the final page's HTML")
def pay(
    code: str,
    msisdn: str,
    pin: str,
    server: str,
    cancel: bool,
    timeout: float,
    as_json: bool,
    show_html: bool,
) -> None:
    """Pay whatever QR-OR-REFERENCE is: an invoice QR, a seqr:// link, a reference number,
    a terminal sticker (waits for the amount) or a service QR (opens the service pages).

    Exit code 0 only when the payment ends PAID.
    """
    from ..wallet import HeadlessWallet

    with HeadlessWallet(server, msisdn, pin, wait_timeout=timeout) as wallet:
        outcome = wallet.run(code, confirm=(lambda invoice: False) if cancel else None)
    if as_json:
        data = outcome.as_dict()
        if show_html:
            data["final_html"] = outcome.final_html
        click.echo(json.dumps(data, indent=2))
    else:
        _print_outcome(outcome, show_html)
    sys.exit(_exit_code(outcome.status))


@wallet_group.command(name="scan")
@click.argument("code")
@click.option("--msisdn", required=True, help="the customer's phone number")
@click.option("--pin", required=True, help="the customer's PIN (to sign in; nothing is paid)")
@_server_option
def scan(code: str, msisdn: str, pin: str, server: str) -> None:
    """Sign in and resolve CODE as the app would (binds you as the payer of an invoice; opens a
    service session) and print the server's answer as JSON. Nothing is paid."""
    from ..wallet import HeadlessWallet, Invoice, Waiting, WalletError

    with HeadlessWallet(server, msisdn, pin) as wallet:
        try:
            result = wallet.scan(code)
        except WalletError as exc:
            raise click.ClickException(exc.message) from None
    if isinstance(result, Invoice):
        data: dict[str, Any] = {"kind": "invoice", "invoice": result.raw}
    elif isinstance(result, Waiting):
        data = {"kind": "waiting", "terminal": result.terminal, "seqr_id": result.seqr_id}
    else:
        data = result.raw
    click.echo(json.dumps(data, indent=2))


@wallet_group.command(name="balance")
@click.option("--msisdn", required=True, help="the customer's phone number")
@click.option("--pin", required=True, help="the customer's PIN")
@_server_option
@click.option("--json", "as_json", is_flag=True, help="print JSON")
def balance(msisdn: str, pin: str, server: str, as_json: bool) -> None:
    """Show the customer's account balances."""
    from ..wallet import HeadlessWallet, PinLocked, WalletError, WrongPin

    with HeadlessWallet(server, msisdn, pin) as wallet:
        try:
            balances = wallet.balances()
        except (WrongPin, PinLocked) as exc:
            click.echo(f"Error: {exc.message}", err=True)
            sys.exit(EXIT_AUTH)
        except WalletError as exc:
            raise click.ClickException(exc.message) from None
    if as_json:
        click.echo(json.dumps({c: f"{v:.2f}" for c, v in balances.items()}, indent=2))
        return
    for currency, value in balances.items():
        click.echo(f"{currency} {value:.2f}")
