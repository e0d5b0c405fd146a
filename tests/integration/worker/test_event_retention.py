"""Event retention (A-49): the server's background loop and `openseqr events purge` delete
history lines older than the retention, and only those."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from openseqr.cli.main import main
from openseqr.core.records import InvoiceEvent
from openseqr.service.bootstrap import build
from openseqr.service.clock import ManualClock
from openseqr.service.context import Context
from openseqr.settings import Settings
from openseqr.storage import open_store
from openseqr.worker.runner import Worker


def line(reference: str, at: datetime) -> InvoiceEvent:
    return InvoiceEvent(None, reference, "t1", at, "sent", "terminal", "t1")


def append(ctx: Context, *events: InvoiceEvent) -> None:
    with ctx.store.transaction() as tx:
        for e in events:
            tx.append_event(e)


def remaining(ctx: Context, *references: str) -> list[str]:
    with ctx.store.transaction(write=False) as tx:
        return [r for r in references if tx.invoice_events(r)]


def test_the_background_loop_purges_what_is_past_the_retention(tmp_path: Path) -> None:
    clock = ManualClock()
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/r.db", data_dir=tmp_path, event_retention_days=30
    )
    ctx = build(settings, clock)
    now = clock.now()
    append(ctx, line("OLD", now - timedelta(days=31)), line("NEW", now - timedelta(days=29)))

    async def run_until_purged() -> None:
        worker = Worker(ctx, tick_seconds=0.05)
        await worker.start()
        try:
            for _ in range(200):  # cause and effect only: the loop's first pass purges
                if remaining(ctx, "OLD") == []:
                    return
                await asyncio.sleep(0.05)
        finally:
            await worker.stop()

    try:
        asyncio.run(run_until_purged())
        assert remaining(ctx, "OLD", "NEW") == ["NEW"]
    finally:
        ctx.store.close()


def test_retention_zero_keeps_everything() -> None:
    assert Settings(event_retention_days=0).event_retention is None
    assert Settings(event_retention_days=400).event_retention == timedelta(days=400)


def test_the_purge_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    ctx = build(Settings(database_url=url, data_dir=tmp_path), ManualClock())
    now = datetime.now(UTC)
    try:
        append(
            ctx,
            *(line(f"OLD{i}", now - timedelta(days=100 + i)) for i in range(3)),
            line("NEW", now - timedelta(days=10)),
        )
    finally:
        ctx.store.close()
    result = CliRunner().invoke(
        main, ["events", "purge", "--older-than-days", "50", "--database", url]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "purged 3 events older than 50 days"
    store = open_store(url)
    try:
        with store.transaction(write=False) as tx:
            assert [e.invoice_reference for e in tx.invoice_events("NEW")] == ["NEW"]
            assert tx.invoice_events("OLD0") == []
    finally:
        store.close()
