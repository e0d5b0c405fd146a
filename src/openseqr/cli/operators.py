"""Console operator accounts.

    openseqr operator add NAME       (password from stdin, or generated and printed once)
    openseqr operator list|disable NAME|enable NAME|remove NAME

Merchants need no account: they sign in to the console with their RESELLERUSER credentials.
"""

from __future__ import annotations

import sys

import click

from .main import _database_option, main, operator_context


@main.group()
def operator() -> None:
    """Console operator accounts (/console)."""


@operator.command(name="add")
@click.argument("name")
@_database_option
def operator_add(name: str, database: str | None) -> None:
    """Create an operator. A password piped to stdin is used; otherwise one is generated and
    printed once."""
    from ..service.operators import add_operator

    given = None if sys.stdin is None or sys.stdin.isatty() else sys.stdin.readline().rstrip("\r\n")
    with operator_context(database) as ctx:
        created, password = add_operator(ctx, name, given or None)
    if given:
        click.echo(f"operator {created.name} created")
    else:
        click.echo(f"operator {created.name} created; password (shown once): {password}")


@operator.command(name="list")
@_database_option
def operator_list(database: str | None) -> None:
    """Operators and whether they may sign in."""
    from ..service.operators import list_operators

    with operator_context(database) as ctx:
        rows = list_operators(ctx)
    for o in rows:
        state = "active" if o.active else "disabled"
        click.echo(f"{o.name}\t{state}\tcreated {o.created_at:%Y-%m-%d %H:%M}")


def _set_active(name: str, database: str | None, active: bool) -> None:
    from ..service.operators import set_operator_active

    with operator_context(database) as ctx:
        set_operator_active(ctx, name, active)
    click.echo(f"operator {name} {'enabled' if active else 'disabled (signed out everywhere)'}")


@operator.command(name="disable")
@click.argument("name")
@_database_option
def operator_disable(name: str, database: str | None) -> None:
    """Refuse the operator's sign-ins and end its sessions."""
    _set_active(name, database, False)


@operator.command(name="enable")
@click.argument("name")
@_database_option
def operator_enable(name: str, database: str | None) -> None:
    """Allow a disabled operator again."""
    _set_active(name, database, True)


@operator.command(name="remove")
@click.argument("name")
@_database_option
def operator_remove(name: str, database: str | None) -> None:
    """Delete the operator (its audit log entries stay)."""
    from ..service.operators import remove_operator

    with operator_context(database) as ctx:
        remove_operator(ctx, name)
    click.echo(f"operator {name} removed")
