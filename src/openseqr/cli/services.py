"""`openseqr service …`: the External Service registry (D-46a), operated on the database directly.

    openseqr service add PARKING --name "City parking" --terminal public_test_shop_terminal \\
        --order-url https://svc.example/order --success-url https://svc.example/success \\
        --failure-url https://svc.example/failure --cancel-url https://svc.example/cancel
    openseqr service list
    openseqr service show PARKING --qr
    openseqr service disable PARKING / enable PARKING
    openseqr service update PARKING --name "…" [--order-url …]
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import click

from .main import _database_option, main, operator_context


def _run(database: str | None, fn: Callable[[Any], Any]) -> Any:
    with operator_context(database) as ctx:
        return fn(ctx)


def _as_dict(service: Any) -> dict[str, Any]:
    from ..service.external_services import service_qr

    return {
        "service_id": service.service_id,
        "name": service.name,
        "terminal_id": service.terminal_id,
        "active": service.active,
        "qr": service_qr(service.service_id),
        "order_url": service.order_url,
        "success_url": service.success_url,
        "failure_url": service.failure_url,
        "cancel_url": service.cancel_url,
        "created_at": service.created_at.isoformat() if service.created_at else None,
    }


def _echo_service(service: Any, as_json: bool) -> None:
    data = _as_dict(service)
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    width = max(len(k) for k in data)
    for key, value in data.items():
        if key == "active":
            value = "yes" if value else "no (disabled)"
        click.echo(f"{key.replace('_', ' '):<{width}}  {value}")


_json_option = click.option("--json", "as_json", is_flag=True, help="print JSON")


@main.group(name="service")
def service_group() -> None:
    """External Services: register, list, show, disable (spec 4.1, D-46a)."""


@service_group.command(name="add")
@click.argument("service_id")
@click.option("--name", required=True, help="display name")
@click.option(
    "--terminal",
    "terminal_id",
    required=True,
    help="TERMINALID the service backend uses for its SOAP calls",
)
@click.option("--order-url", required=True, help="opened with #TOKEN after the QR is resolved")
@click.option("--success-url", required=True, help="opened with #TOKEN_<invoiceReference>")
@click.option("--failure-url", required=True, help="opened with #TOKEN when the payment fails")
@click.option("--cancel-url", required=True, help="opened with #TOKEN when the user cancels")
@click.option("--inactive", is_flag=True, help="register it disabled")
@_database_option
@_json_option
def add(
    service_id: str,
    name: str,
    terminal_id: str,
    order_url: str,
    success_url: str,
    failure_url: str,
    cancel_url: str,
    inactive: bool,
    database: str | None,
    as_json: bool,
) -> None:
    """Register a new External Service SERVICE_ID ([A-Za-z0-9_-]{1,32}, case-sensitive)."""
    from ..service import external_services as services

    service = _run(
        database,
        lambda ctx: services.add_service(
            ctx,
            service_id,
            name,
            terminal_id,
            order_url=order_url,
            success_url=success_url,
            failure_url=failure_url,
            cancel_url=cancel_url,
            active=not inactive,
        ),
    )
    if not as_json:
        click.echo(f"service {service.service_id} registered")
    _echo_service(service, as_json)


@service_group.command(name="update")
@click.argument("service_id")
@click.option("--name", default=None)
@click.option("--terminal", "terminal_id", default=None)
@click.option("--order-url", default=None)
@click.option("--success-url", default=None)
@click.option("--failure-url", default=None)
@click.option("--cancel-url", default=None)
@_database_option
@_json_option
def update(
    service_id: str,
    name: str | None,
    terminal_id: str | None,
    order_url: str | None,
    success_url: str | None,
    failure_url: str | None,
    cancel_url: str | None,
    database: str | None,
    as_json: bool,
) -> None:
    """Change fields of an existing service (omitted options are kept)."""
    from ..service import external_services as services

    service = _run(
        database,
        lambda ctx: services.update_service(
            ctx,
            service_id,
            name=name,
            terminal_id=terminal_id,
            order_url=order_url,
            success_url=success_url,
            failure_url=failure_url,
            cancel_url=cancel_url,
        ),
    )
    _echo_service(service, as_json)


@service_group.command(name="list")
@_database_option
@_json_option
def list_(database: str | None, as_json: bool) -> None:
    """List the registered services."""
    from ..service import external_services as services

    found = _run(database, services.list_services)
    if as_json:
        click.echo(json.dumps([_as_dict(s) for s in found], indent=2))
        return
    if not found:
        click.echo("no services registered")
        return
    for s in found:
        state = "active  " if s.active else "disabled"
        click.echo(f"{s.service_id:<32}  {state}  {s.terminal_id:<28}  {s.name}")


@service_group.command(name="show")
@click.argument("service_id")
@click.option("--qr", "show_qr", is_flag=True, help="also draw the service QR in the terminal")
@_database_option
@_json_option
def show(service_id: str, show_qr: bool, database: str | None, as_json: bool) -> None:
    """Show one service and its QR content HTTP://SEQR.SE/000/<SERVICE_ID>."""
    from ..service import external_services as services

    service = _run(database, lambda ctx: services.get_service(ctx, service_id))
    _echo_service(service, as_json)
    if show_qr:
        from ..qr import qr_terminal

        click.echo(qr_terminal(services.service_qr(service.service_id)))


def _set_active(service_id: str, database: str | None, active: bool) -> None:
    from ..service import external_services as services

    change = services.enable_service if active else services.disable_service
    _run(database, lambda ctx: change(ctx, service_id))
    click.echo(f"service {service_id} {'enabled' if active else 'disabled'}")


@service_group.command(name="disable")
@click.argument("service_id")
@_database_option
def disable(service_id: str, database: str | None) -> None:
    """Deactivate a service: its QR no longer opens (existing sessions run out)."""
    _set_active(service_id, database, active=False)


@service_group.command(name="enable")
@click.argument("service_id")
@_database_option
def enable(service_id: str, database: str | None) -> None:
    """Activate a disabled service again."""
    _set_active(service_id, database, active=True)
