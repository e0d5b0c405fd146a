"""The composition root: settings in, a ready `Context` out. Nothing happens at import time."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from ..core.machine import Policy
from ..core.ports import Clock
from ..protocol.urls import DestinationPolicy
from ..settings import Settings
from ..storage import open_store, pool_size_for
from ..storage.migrate import dialect_of
from .clock import SystemClock
from .context import Config, Context
from .operators import seed_demo_operator
from .sandbox import seed
from .security import AuthLimits


def build(settings: Settings, clock: Clock | None = None) -> Context:
    store = open_store(settings.resolved_database_url(), **store_options(settings, serving=True))
    policy = Policy(
        ack_window=settings.ack_window,
        online_lifetime=timedelta(hours=settings.online_invoice_lifetime_hours),
        paying_timeout=timedelta(seconds=settings.paying_timeout_seconds),
    )
    config = Config(
        zone=ZoneInfo(settings.timezone),
        session_lifetime=timedelta(minutes=settings.session_lifetime_minutes),
        pin_cooldown=timedelta(minutes=settings.pin_cooldown_minutes),
        report_not_ready_grace=timedelta(seconds=settings.report_not_ready_grace_seconds),
        provider_latency=settings.provider_latency_seconds,
        destinations=DestinationPolicy(**settings.notification_destinations()),
        sandbox=settings.sandbox,
        auth=auth_limits(settings),
        event_retention=settings.event_retention,
    )
    ctx = Context(store, clock or SystemClock(), policy, config)
    if settings.sandbox:
        seed(ctx)
        seed_demo_operator(ctx)
    return ctx


def store_options(settings: Settings, *, serving: bool = False) -> dict[str, Any]:
    """The PostgreSQL pool of one server process (A-44, A-45). Behind a transaction pooler
    nothing may span transactions: no prepared statements, no session default (reads then open
    BEGIN READ ONLY), and no migration on start (its lock is a session's; run `openseqr
    migrate` on a direct URL). SQLite: a serving process groups its commits' fsyncs (A-73),
    unless several processes write the file (a process sees only its own commits)."""
    if dialect_of(settings.resolved_database_url()) != "postgres":
        return {"group_commit": serving and settings.workers == 1}
    pooled = settings.db_transaction_pooling
    return {
        "max_size": settings.db_pool_size or pool_size_for(settings.workers),
        "prepared_statements": not pooled,
        "read_only_sessions": not pooled,
        "migrate_first": not pooled,
    }


def auth_limits(settings: Settings) -> AuthLimits:
    return AuthLimits(
        source_free=settings.auth_source_free_failures,
        principal_free=settings.auth_principal_free_failures,
        pair_free=settings.auth_principal_free_failures,
        max_wait=settings.auth_max_wait_seconds,
        kdf_threads=settings.kdf_threads,
    )
