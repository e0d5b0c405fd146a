"""What every use case reads: the store, the clock, the policy, the configuration, and the
notification relay of this process (a port; `writes` is where decisions become rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from ..core.machine import Policy
from ..core.ports import Clock, Relay, Store
from ..protocol.urls import DestinationPolicy
from .security import AuthLimits, AuthThrottle, BoundedCache, KdfPool, VerifiedCredentials


@dataclass(frozen=True)
class Config:
    zone: tzinfo = field(default_factory=lambda: ZoneInfo("Europe/Stockholm"))  # D-41
    session_lifetime: timedelta = timedelta(minutes=30)  # D-06
    report_not_ready_grace: timedelta = timedelta(seconds=60)  # D-34c: 2, then 90
    provider_latency: float = 0.0  # seconds the simulated account provider takes
    destinations: DestinationPolicy = field(
        default_factory=lambda: DestinationPolicy(
            allow_loopback=True, allow_private=True, allow_link_local=False
        )
    )
    pin_cooldown: timedelta = timedelta(minutes=15)  # locked wallet / refused source
    source_pin_tries: int = 2  # wrong PINs one address may send for one wallet
    source_pin_total: int = 10  # wrong PINs one address may send for all wallets
    notify_timeout: float = 5.0  # D-03; also sets the relay's lease (core.delivery.lease_until)
    sandbox: bool = True
    auth: AuthLimits = field(default_factory=AuthLimits)  # failed-login limits, KDF pool
    event_retention: timedelta | None = timedelta(days=400)  # A-49; None: keep every event


class Context:
    def __init__(
        self, store: Store, clock: Clock, policy: Policy | None = None, config: Config | None = None
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy or Policy()
        self.config = config or Config()
        self.credentials = VerifiedCredentials()
        self.pins = VerifiedCredentials()  # a verified PIN skips the KDF; tries still count
        self.principals = BoundedCache()  # terminal id -> (principals_version, terminal, reseller)
        self.throttle = AuthThrottle(self.config.auth)
        self.kdf = KdfPool(self.config.auth.kdf_threads, self.config.auth.kdf_queue)
        self.relay: Relay | None = None  # plugged in by the composition root (runtime)

    def now(self) -> datetime:
        return self.clock.now()

    def local(self, t: datetime) -> datetime:
        """In the server's zone: references carry local dates and times, as SEQR's did."""
        return t.astimezone(self.config.zone)
