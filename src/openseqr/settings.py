"""Typed settings, read once from the environment (`OPENSEQR_*`) and the command line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="OPENSEQR_", extra="ignore")

    database_url: str | None = None  # default: sqlite file in data_dir
    data_dir: Path = Path("data")
    host: str = "127.0.0.1"  # `openseqr serve` defaults
    port: int = 8080
    public_url: str | None = None  # how merchants and the app reach us (for printed URLs)
    sandbox: bool = True  # seed the public test credentials and demo customers (D-61)
    timezone: str = "Europe/Stockholm"  # D-41
    ack_window_seconds: float = 20.0  # D-10; 0 or less: never reverse
    online_invoice_lifetime_hours: float = 24.0  # D-45
    session_lifetime_minutes: float = 30.0  # D-06
    pin_cooldown_minutes: float = 15.0  # a locked wallet, or a refused source, waits this
    report_not_ready_grace_seconds: float = 60.0  # D-34c
    provider_latency_seconds: float = 0.0  # simulated account provider
    paying_timeout_seconds: float = 60.0  # a payment stuck in `paying` becomes payable again
    worker: bool = True  # run the deadline scanner and notification relay in this process
    # PostgreSQL: `serve --workers` sets `workers`, which sizes each process's pool.
    workers: int = 1  # processes of this `openseqr serve`
    db_pool_size: int | None = None  # connections per process; None: storage.pool_size_for
    db_transaction_pooling: bool = False  # behind pgbouncer pool_mode=transaction
    tick_seconds: float = 0.25
    # Notification destinations; None follows the profile: the sandbox allows loopback
    # and private addresses, production allows neither; link-local (cloud metadata) never.
    allow_loopback_notifications: bool | None = None
    allow_private_notifications: bool | None = None
    allow_link_local_notifications: bool | None = None
    max_inflight: int = 512  # SOAP requests being worked on per process; beyond: 93 SYSTEM_BUSY
    # The edge: a slow or stalled client costs a socket, never an in-flight slot.
    header_timeout_seconds: float = 10.0  # whole request head, from its first byte
    body_timeout_seconds: float = 20.0  # whole request body, from the end of the head
    keep_alive_seconds: int = 5  # an idle kept-alive connection is closed after this
    max_header_bytes: int = 64 * 1024
    max_connections_per_source: int = 256  # open connections per address (IPv6: /64); 0 = any
    # Failed logins: free failures before waiting, per address and per principal.
    auth_source_free_failures: int = 50
    auth_principal_free_failures: int = 5
    auth_max_wait_seconds: float = 60.0
    kdf_threads: int = 1  # concurrent Argon2 runs per process, off the event loop
    # invoice events older than this are purged by the worker loop; 0 or less: keep all
    event_retention_days: float = 400.0
    # Observability (docs/operations.md): without a token /metrics answers loopback only
    metrics_token: str | None = None
    log_format: Literal["json", "text"] = "json"
    request_log: bool = True  # one JSON line per request

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'openseqr.sqlite3').resolve()}"

    def notification_destinations(self) -> dict[str, bool]:
        """allow_loopback / allow_private / allow_link_local: the profile's, then overrides."""
        allowed = {"loopback": self.sandbox, "private": self.sandbox, "link_local": False}
        for kind in allowed:
            explicit = getattr(self, f"allow_{kind}_notifications")
            if explicit is not None:
                allowed[kind] = explicit
        return {f"allow_{kind}": value for kind, value in allowed.items()}

    def profile_summary(self) -> str:
        """One line for `openseqr serve`: which profile runs and what it allows."""
        allowed = self.notification_destinations()
        names = [k.removeprefix("allow_").replace("_", "-") for k, v in allowed.items() if v]
        denied = [k.removeprefix("allow_").replace("_", "-") for k, v in allowed.items() if not v]
        profile = (
            "sandbox (public test credentials and demo customers seeded)"
            if self.sandbox
            else "production (nothing seeded)"
        )
        return (
            f"profile: {profile}; notifications to public addresses"
            + (f" and {', '.join(names)}" if names else " only")
            + (f"; denied: {', '.join(denied)}" if denied else "")
            + " (OPENSEQR_ALLOW_<KIND>_NOTIFICATIONS=true|false overrides)"
        )

    @property
    def event_retention(self) -> timedelta | None:
        days = self.event_retention_days
        return timedelta(days=days) if days > 0 else None

    @property
    def ack_window(self) -> timedelta | None:
        s = self.ack_window_seconds
        return timedelta(seconds=s) if s > 0 else None
