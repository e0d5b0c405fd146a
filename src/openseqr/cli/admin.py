"""Operator commands on the server's database: terminals, resellers, the simulated account
provider, demo customers and the notification outbox.

    openseqr terminal list|show ID|block ID|unblock ID|set ID [...]
    openseqr reseller show ID|set ID [...]
    openseqr provider show|set ok|decline|unavailable
    openseqr customer list|set-mode MSISDN MODE|unlock MSISDN
    openseqr notifications list [--invoice REF]|show ID|redeliver ID

They open the same database as `openseqr serve` (`--database` or `OPENSEQR_DATABASE_URL`) and may
run while the server runs. Credentials are never printed (only whether a secret is set).
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Sequence
from dataclasses import fields, is_dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import click

from ..core.records import PrincipalStatus
from .main import _database_option, main, operator_context

SECRET_FIELDS = {"password_hash", "pin_hash", "notify_secret"}
MODES = click.Choice(["ok", "decline", "unavailable"], case_sensitive=False)
ACK_MODES = click.Choice(
    ["NO_ACKNOWLEDGMENT", "OPTIONAL_ACKNOWLEDGMENT", "REQUIRE_ACKNOWLEDGMENT"], case_sensitive=False
)


# -- plumbing -------------------------------------------------------------------------------
def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if is_dataclass(value) and not isinstance(value, type):
        return _record(value)
    if hasattr(value, "amount") and hasattr(value, "currency"):  # Money
        return f"{value.amount} {value.currency}"
    return value


def _record(obj: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in fields(obj):
        value = getattr(obj, f.name)
        if f.name in SECRET_FIELDS:
            out[f.name.replace("_hash", "") + "_set"] = value is not None and value != ""
        else:
            out[f.name] = _plain(value)
    return out


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ",".join(_cell(v) for v in value) or "-"
    return str(value)


def _table(rows: Sequence[dict[str, Any]], columns: Sequence[str]) -> None:
    if not rows:
        click.echo("(none)")
        return
    cells = [[_cell(r.get(c)) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _details(record: dict[str, Any]) -> None:
    width = max(len(k) for k in record)
    for key, value in record.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            click.echo(f"{key}:")
            _table(value, list(value[0]))
        else:
            click.echo(f"{key.ljust(width)}  {_cell(value)}")


def _emit(data: Any, as_json: bool, show: Callable[[], None]) -> None:
    if as_json:
        click.echo(json.dumps(data, indent=2, sort_keys=False))
    else:
        show()


_json_option = click.option("--json", "as_json", is_flag=True, help="machine-readable output")


def _operator_name() -> str:
    """Who runs an operator command, for the invoice history: the login name, as `cli:NAME`."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in this environment
        return "cli"


# -- terminals ------------------------------------------------------------------------------
TERMINAL_COLUMNS = (
    "terminal_id",
    "kind",
    "status",
    "name",
    "external_terminal_id",
    "seqr_id",
    "ack_mode_default",
    "strict_rows",
    "notify_retries",
)


@main.group()
def terminal() -> None:
    """Inspect and configure merchant terminals."""


@terminal.command(name="list")
@click.option("--reseller", default="public_test_shop", show_default=True)
@_database_option
@_json_option
def terminal_list(reseller: str, database: str | None, as_json: bool) -> None:
    """The terminals of a reseller."""
    from ..service import admin

    with operator_context(database) as ctx:
        rows = [_record(t) for t in admin.list_terminals(ctx, reseller)]
    _emit(rows, as_json, lambda: _table(rows, TERMINAL_COLUMNS))


@terminal.command(name="show")
@click.argument("terminal_id")
@_database_option
@_json_option
def terminal_show(terminal_id: str, database: str | None, as_json: bool) -> None:
    """All settings of one terminal."""
    from ..service import admin

    with operator_context(database) as ctx:
        record = _record(admin.get_terminal(ctx, terminal_id))
    _emit(record, as_json, lambda: _details(record))


def _set_status(terminal_id: str, database: str | None, status: PrincipalStatus) -> None:
    from ..service import admin

    with operator_context(database) as ctx:
        t = admin.set_terminal_status(ctx, terminal_id, status)
    click.echo(f"terminal {t.terminal_id} is {t.status.value}")


@terminal.command(name="block")
@click.argument("terminal_id")
@_database_option
def terminal_block(terminal_id: str, database: str | None) -> None:
    """Block a terminal: every call answers 33 INVALID_INITIATOR_PRINCIPAL_STATE."""
    _set_status(terminal_id, database, PrincipalStatus.BLOCKED)


@terminal.command(name="unblock")
@click.argument("terminal_id")
@_database_option
def terminal_unblock(terminal_id: str, database: str | None) -> None:
    """Unblock a terminal."""
    _set_status(terminal_id, database, PrincipalStatus.ACTIVE)


@terminal.command(name="set")
@click.argument("terminal_id")
@click.option(
    "--notify-retries",
    type=click.IntRange(0, 100),
    default=None,
    help="notification attempts after the first",
)
@click.option(
    "--notify-secret", default=None, help="HMAC secret for notification signatures ('' removes it)"
)
@click.option(
    "--strict-rows/--no-strict-rows",
    default=None,
    help="invoice rows must add up to the total (D-20)",
)
@click.option(
    "--ack-mode",
    type=ACK_MODES,
    default=None,
    help="acknowledgmentMode when the invoice names none (D-17)",
)
@_database_option
@_json_option
def terminal_set(
    terminal_id: str,
    notify_retries: int | None,
    notify_secret: str | None,
    strict_rows: bool | None,
    ack_mode: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Change a terminal's settings."""
    from ..service import admin

    with operator_context(database) as ctx:
        record = _record(
            admin.update_terminal(
                ctx,
                terminal_id,
                notify_retries=notify_retries,
                notify_secret=notify_secret,
                strict_rows=strict_rows,
                ack_mode=ack_mode,
            )
        )
    _emit(record, as_json, lambda: _details(record))


# -- resellers ------------------------------------------------------------------------------
@main.group()
def reseller() -> None:
    """Inspect and configure resellers (merchants)."""


@reseller.command(name="show")
@click.argument("reseller_id")
@_database_option
@_json_option
def reseller_show(reseller_id: str, database: str | None, as_json: bool) -> None:
    """A reseller's settings."""
    from ..service import admin

    with operator_context(database) as ctx:
        record = _record(admin.get_reseller(ctx, reseller_id))
    _emit(record, as_json, lambda: _details(record))


@reseller.command(name="set")
@click.argument("reseller_id")
@click.option(
    "--refunds-allowed/--no-refunds-allowed", default=None, help="without: refundPayment answers 97"
)
@click.option(
    "--receiver-allows-refunds/--no-receiver-allows-refunds",
    default=None,
    help="without: refundPayment answers 99",
)
@click.option("--currencies", default=None, help="accepted currencies, e.g. SEK,EUR")
@click.option(
    "--block/--unblock", "blocked", default=None, help="a blocked reseller's principals answer 33"
)
@_database_option
@_json_option
def reseller_set(
    reseller_id: str,
    refunds_allowed: bool | None,
    receiver_allows_refunds: bool | None,
    currencies: str | None,
    blocked: bool | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Change a reseller's settings."""
    from ..service import admin

    status = (
        None
        if blocked is None
        else (PrincipalStatus.BLOCKED if blocked else PrincipalStatus.ACTIVE)
    )
    with operator_context(database) as ctx:
        record = _record(
            admin.update_reseller(
                ctx,
                reseller_id,
                refunds_allowed=refunds_allowed,
                receiver_allows_refunds=receiver_allows_refunds,
                currencies=tuple(currencies.split(",")) if currencies is not None else None,
                status=status,
            )
        )
    _emit(record, as_json, lambda: _details(record))


# -- simulated account provider -------------------------------------------------------------
@main.group()
def provider() -> None:
    """The simulated account provider's global switch (wins over per-customer modes)."""


@provider.command(name="set")
@click.argument("mode", type=MODES)
@_database_option
def provider_set(mode: str, database: str | None) -> None:
    """ok | decline (payments FAIL) | unavailable (94 SERVICE_UNAVAILABLE)."""
    from ..service import admin

    with operator_context(database) as ctx:
        chosen = admin.set_global_provider_mode(ctx, mode)
    click.echo(f"account provider: {chosen.value}")


@provider.command(name="show")
@_database_option
def provider_show(database: str | None) -> None:
    """The current global mode."""
    from ..service import admin

    with operator_context(database) as ctx:
        click.echo(f"account provider: {admin.global_provider_mode(ctx).value}")


# -- customers ------------------------------------------------------------------------------
CUSTOMER_COLUMNS = ("msisdn", "name", "subscriber_key", "provider_mode", "pin_failures", "locked")


def _customer(c: Any) -> dict[str, Any]:
    return {**_record(c), "locked": c.locked}


@main.group()
def customer() -> None:
    """The simulated account provider's customers (the demo wallets)."""


@customer.command(name="list")
@_database_option
@_json_option
def customer_list(database: str | None, as_json: bool) -> None:
    """All customers."""
    from ..service import admin

    with operator_context(database) as ctx:
        rows = [_customer(c) for c in admin.list_customers(ctx)]
    _emit(rows, as_json, lambda: _table(rows, CUSTOMER_COLUMNS))


@customer.command(name="set-mode")
@click.argument("msisdn")
@click.argument("mode", type=MODES)
@_database_option
def customer_set_mode(msisdn: str, mode: str, database: str | None) -> None:
    """How the provider answers for this customer: ok | decline | unavailable."""
    from ..service import admin

    with operator_context(database) as ctx:
        c = admin.set_customer_mode(ctx, msisdn, mode)
    click.echo(f"customer {c.msisdn}: {c.provider_mode.value}")


@customer.command(name="unlock")
@click.argument("msisdn")
@_database_option
def customer_unlock(msisdn: str, database: str | None) -> None:
    """Reset the wrong-PIN counter of a locked wallet."""
    from ..service import admin

    with operator_context(database) as ctx:
        c = admin.unlock_customer(ctx, msisdn)
    click.echo(f"customer {c.msisdn} unlocked")


# -- notification outbox --------------------------------------------------------------------
NOTIFICATION_COLUMNS = (
    "notification_id",
    "invoice_reference",
    "status",
    "attempts",
    "max_attempts",
    "next_attempt_at",
    "url",
    "last_error",
)


@main.group()
def notifications() -> None:
    """The merchant notification outbox (spec 9.2)."""


@notifications.command(name="list")
@click.option("--invoice", "invoice_reference", default=None, help="only this invoice")
@click.option("--limit", type=click.IntRange(1, 10_000), default=100, show_default=True)
@_database_option
@_json_option
def notifications_list(
    invoice_reference: str | None, limit: int, database: str | None, as_json: bool
) -> None:
    """Notifications, newest first."""
    from ..service import admin

    with operator_context(database) as ctx:
        rows = [_record(n) for n in admin.list_notifications(ctx, invoice_reference, limit)]
    _emit(rows, as_json, lambda: _table(rows, NOTIFICATION_COLUMNS))


@notifications.command(name="show")
@click.argument("notification_id")
@_database_option
@_json_option
def notifications_show(notification_id: str, database: str | None, as_json: bool) -> None:
    """One notification with its delivery attempts."""
    from ..service import admin

    with operator_context(database) as ctx:
        detail = admin.show_notification(ctx, notification_id)
    record = {**_record(detail.notification), "attempt_log": [_record(a) for a in detail.attempts]}
    _emit(record, as_json, lambda: _details(record))


@notifications.command(name="redeliver")
@click.argument("notification_id")
@_database_option
def notifications_redeliver(notification_id: str, database: str | None) -> None:
    """Send it again: pending, due now, one more attempt allowed."""
    from ..service import admin

    with operator_context(database) as ctx:
        n = admin.redeliver_notification(ctx, notification_id, operator=_operator_name())
    click.echo(
        f"notification {n.notification_id} is pending again "
        f"(attempt {n.attempts + 1} of {n.max_attempts})"
    )
