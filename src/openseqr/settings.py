"""Typed settings, read once from the environment (`OPENSEQR_*`) and the command line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

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
    report_not_ready_grace_seconds: float = 60.0  # D-34c
    provider_latency_seconds: float = 0.0  # simulated account provider
    paying_timeout_seconds: float = 60.0  # a payment stuck in `paying` becomes payable again
    worker: bool = True  # run the deadline scanner and notification relay in this process
    tick_seconds: float = 0.25
    allow_loopback_notifications: bool = True  # sandbox; deny in production
    allow_private_notifications: bool = True
    allow_link_local_notifications: bool = False
    max_inflight: int = 512  # SOAP requests in flight per process; beyond: 93 SYSTEM_BUSY

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{(self.data_dir / 'openseqr.sqlite3').resolve()}"

    @property
    def ack_window(self) -> timedelta | None:
        s = self.ack_window_seconds
        return timedelta(seconds=s) if s > 0 else None
