"""The invoice event history for operators (A-47, A-49).

    openseqr invoice events REFERENCE [--json]
    openseqr events purge [--older-than-days N]

`invoice events` answers "why did order 4711 not get paid?": every state change and visible
action of one invoice, oldest first, with who caused it. `events purge` applies the retention
now (the server's worker loop does the same in small batches as it runs).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import click

from ..core.records import InvoiceEvent
from ..settings import Settings
from .admin import _emit, _json_option, _table
from .main import _database_option, main, operator_context

EVENT_COLUMNS = ("at", "kind", "actor", "actor_id", "detail")


def event_record(e: InvoiceEvent) -> dict[str, Any]:
    return {
        "event_id": e.event_id,
        "at": e.at.isoformat(),
        "kind": e.kind,
        "actor": e.actor,
        "actor_id": e.actor_id,
        "detail": dict(e.detail),
    }


def _line(record: dict[str, Any]) -> dict[str, Any]:
    detail = " ".join(f"{k}={v}" for k, v in record["detail"].items())
    return {**record, "detail": detail or None}


@main.group()
def invoice() -> None:
    """Invoices as the server stored them."""


@invoice.command(name="events")
@click.argument("reference")
@_database_option
@_json_option
def invoice_events(reference: str, database: str | None, as_json: bool) -> None:
    """The invoice's event history, oldest first."""
    from ..service.events import invoice_history

    with operator_context(database) as ctx:
        rows = [event_record(e) for e in invoice_history(ctx, reference)]
    _emit(rows, as_json, lambda: _table([_line(r) for r in rows], EVENT_COLUMNS))


@main.group()
def events() -> None:
    """The invoice event history as a whole."""


@events.command(name="purge")
@click.option(
    "--older-than-days",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="default: OPENSEQR_EVENT_RETENTION_DAYS (400)",
)
@_database_option
def events_purge(older_than_days: float | None, database: str | None) -> None:
    """Delete events older than the retention, in small batches."""
    from ..service.events import purge_all

    days = older_than_days if older_than_days is not None else Settings().event_retention_days
    if days <= 0:
        click.echo("retention is off (OPENSEQR_EVENT_RETENTION_DAYS <= 0): nothing purged")
        return
    with operator_context(database) as ctx:
        deleted = purge_all(ctx, timedelta(days=days))
    click.echo(f"purged {deleted} events older than {days:g} days")
