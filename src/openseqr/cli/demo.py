"""`openseqr demo`: the whole system in one process on one embedded SQLite database.

    openseqr demo [--port 8080] [--parking-port 8081] [--data-dir data/demo]

Starts every demo app (each a separate ASGI app on its own port, all served by uvicorn in one
asyncio loop): the SEQR server with its worker loops, and the reference parking External Service
(registered as service `parking` if absent). Then prints the URLs, the service QR and the exact
`openseqr wallet pay …` command that pays it.

Adding an app (browser wallet, webshop, POS …): write a function `(DemoEnv) -> DemoApp` and
append it to `DEMO_APPS`; give it a port option in `demo()` (and in `DemoEnv.ports`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import signal
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

import click

from ..merchants.parking.cli import parking
from ..merchants.pos.cli import pos
from ..merchants.webshop.cli import webshop
from .main import main

main.add_command(parking)
main.add_command(webshop)
main.add_command(pos)

PARKING_SERVICE_ID = "parking"
PARKING_ZONE = "42"


@dataclass
class DemoEnv:
    """What every demo app may use: the server's settings and context, the ports, the paths."""

    host: str  # where the apps listen
    public_host: str  # how they are reached (printed URLs, service registration)
    data_dir: Path
    ports: dict[str, int]
    settings: Any  # openseqr.settings.Settings
    ctx: Any  # openseqr.service.context.Context (shared with the server app)
    show_qr: bool = True

    def url(self, name: str) -> str:
        return f"http://{self.public_host}:{self.ports[name]}"


@dataclass
class DemoApp:
    name: str
    title: str
    port: int
    app: Any  # an ASGI app
    lines: list[str] = field(default_factory=list)  # printed under the title once it runs


def seqr_server(env: DemoEnv) -> DemoApp:
    from ..runtime import create_app
    from ..server.app import SOAP_PATHS
    from ..service.operators import DEMO_OPERATOR
    from ..service.sandbox import (
        RESELLER_ID,
        RESELLER_PASSWORD,
        RESELLER_USER,
        TERMINAL_ID,
        TERMINAL_PASSWORD,
    )

    base = env.url("server")
    soap = base + SOAP_PATHS[0]
    return DemoApp(
        "server",
        "SEQR server (sandbox)",
        env.ports["server"],
        create_app(env.settings, ctx=env.ctx),
        [
            f"Wallet app          {base}/app",
            f"Console             {base}/console/ (operator {' / '.join(DEMO_OPERATOR)}; "
            f"merchant {RESELLER_ID}/{RESELLER_USER} / {RESELLER_PASSWORD})",
            f"Merchant SOAP API   {soap}",
            f"WSDL                {soap}?wsdl",
            f"App API             {base}/api/app/v1",
            f"App API (OpenAPI)   {base}/api/app/v1/openapi.json",
            f"Health              {base}/health",
            f"Terminal            {TERMINAL_ID} / {TERMINAL_PASSWORD}",
            f"Reseller            {RESELLER_ID} / {RESELLER_USER} / {RESELLER_PASSWORD}",
            f"Database            {env.settings.resolved_database_url()}",
        ],
    )


class ServiceUrls(TypedDict):
    order_url: str
    success_url: str
    failure_url: str
    cancel_url: str


def register_service(
    ctx: Any, service_id: str, name: str, terminal_id: str, urls: ServiceUrls
) -> str:
    """Register the service if absent; point it at `urls` if they changed (other ports)."""
    from ..service import external_services as services

    try:
        current = services.get_service(ctx, service_id)
    except services.UnknownService:
        services.add_service(ctx, service_id, name, terminal_id, **urls)
        return "registered"
    if (
        any(getattr(current, k) != v for k, v in urls.items())
        or not current.active
        or current.terminal_id != terminal_id
    ):
        services.update_service(ctx, service_id, terminal_id=terminal_id, active=True, **urls)
        return "updated"
    return "already registered"


def parking_service(env: DemoEnv) -> DemoApp:
    from ..merchants.parking import SERVICE_NAME, create_parking_app
    from ..qr import qr_terminal
    from ..sdk import service_qr
    from ..service.sandbox import DEMO_CUSTOMERS, TERMINAL_ID, TERMINAL_PASSWORD

    base = env.url("parking")
    urls: ServiceUrls = {
        "order_url": f"{base}/order",
        "success_url": f"{base}/success",
        "failure_url": f"{base}/failure",
        "cancel_url": f"{base}/cancel",
    }
    state = register_service(env.ctx, PARKING_SERVICE_ID, SERVICE_NAME, TERMINAL_ID, urls)
    tickets = env.data_dir / "parking.sqlite3"
    app = create_parking_app(
        f"http://127.0.0.1:{env.ports['server']}",
        TERMINAL_ID,
        TERMINAL_PASSWORD,
        base,
        database_path=tickets,
    )
    qr = service_qr(PARKING_SERVICE_ID, zone=PARKING_ZONE)
    alice = DEMO_CUSTOMERS[0]
    lines = [
        f"Service             {PARKING_SERVICE_ID} ({state}; terminal {TERMINAL_ID})",
        f"Order page          {urls['order_url']}",
        f"Success / failure / cancel   {urls['success_url']} | /failure | /cancel",
        f"Notification URL    {base}/seqr/notify",
        f"Tickets             {tickets}",
        f"Service QR          {qr}",
    ]
    if env.show_qr:
        lines += ["", *qr_terminal(qr).rstrip("\n").splitlines()]
    command = " ".join(
        [
            "openseqr",
            "wallet",
            "pay",
            shlex.quote(qr),
            "--msisdn",
            alice.msisdn,
            "--pin",
            alice.pin,
            "--server",
            env.url("server"),
        ]
    )
    lines += ["", "Pay for parking with the headless wallet:", f"  {command}"]
    return DemoApp(
        "parking", "Parking service (External Service)", env.ports["parking"], app, lines
    )


def webshop_app(env: DemoEnv) -> DemoApp:
    from ..merchants.webshop import create_webshop_app
    from ..service.sandbox import TERMINAL_ID, TERMINAL_PASSWORD

    base = env.url("webshop")
    app = create_webshop_app(
        f"http://127.0.0.1:{env.ports['server']}",
        TERMINAL_ID,
        TERMINAL_PASSWORD,
        base,
        database_path=env.data_dir / "webshop.sqlite3",
    )
    return DemoApp(
        "webshop",
        "Webshop (desktop QR / mobile deep link)",
        env.ports["webshop"],
        app,
        [
            f"Shop                {base}/",
            "Check out, then pay the QR with the wallet app (paste or upload it).",
        ],
    )


def pos_app(env: DemoEnv) -> DemoApp:
    from ..merchants.pos import create_pos_app
    from ..service.sandbox import RESELLER_ID, RESELLER_PASSWORD, RESELLER_USER

    base = env.url("pos")
    app = create_pos_app(
        f"http://127.0.0.1:{env.ports['server']}",
        RESELLER_ID,
        RESELLER_USER,
        RESELLER_PASSWORD,
        base,
        database_path=env.data_dir / "pos.sqlite3",
    )
    return DemoApp(
        "pos",
        "Point of sale (cash register)",
        env.ports["pos"],
        app,
        [
            f"Till                {base}/",
            "Register the till, assign a SEQR ID, then scan its sticker in the wallet.",
        ],
    )


#: The apps `openseqr demo` starts, in order.
DEMO_APPS: list[Callable[[DemoEnv], DemoApp]] = [seqr_server, parking_service, webshop_app, pos_app]


async def serve_all(apps: list[DemoApp], host: str, on_started: Callable[[], None]) -> None:
    """Serve every app on its port in this loop; Ctrl+C / SIGTERM stops them all."""
    import uvicorn

    class Server(uvicorn.Server):
        """Leaves signal handling to us: one handler stops every app."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

    servers = [
        Server(
            uvicorn.Config(
                a.app,
                host=host,
                port=a.port,
                log_level="warning",
                access_log=False,
                lifespan="on",
                http="openseqr.server.limits:GuardedHttpToolsProtocol",  # A-28, as `serve`
            )
        )
        for a in apps
    ]

    def stop() -> None:
        for s in servers:
            if s.should_exit:
                s.force_exit = True
            s.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)
    tasks = [asyncio.create_task(s.serve()) for s in servers]
    while not all(s.started for s in servers):
        if any(t.done() for t in tasks):  # one failed to start (port in use …)
            stop()
            break
        await asyncio.sleep(0.05)
    else:
        on_started()
    await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    stop()
    await asyncio.gather(*tasks, return_exceptions=True)
    failed = [a.name for a, s in zip(apps, servers, strict=True) if not s.started]
    if failed:
        raise click.ClickException(f"could not start: {', '.join(failed)} (port in use?)")


def banner(env: DemoEnv, apps: list[DemoApp]) -> str:
    from ..service.sandbox import DEMO_CUSTOMERS

    out = [f"\nopenseqr demo — everything on SQLite in {env.data_dir}\n"]
    for a in apps:
        out.append(f"{a.title}   {env.url(a.name)}")
        out += [f"  {line}" if line else "" for line in a.lines]
        out.append("")
    out.append("Demo customers (msisdn / PIN)")
    out += [f"  {c.msisdn} / {c.pin}   {c.name}" for c in DEMO_CUSTOMERS]
    out.append("\nPress Ctrl+C to stop.\n")
    return "\n".join(out)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="interface to listen on")
@click.option("--port", default=8080, show_default=True, type=int, help="SEQR server port")
@click.option(
    "--parking-port", default=8081, show_default=True, type=int, help="parking service port"
)
@click.option("--webshop-port", default=8082, show_default=True, type=int, help="webshop port")
@click.option("--pos-port", default=8083, show_default=True, type=int, help="point of sale port")
@click.option(
    "--data-dir",
    default="data/demo",
    show_default=True,
    type=click.Path(),
    help="where the SQLite databases live",
)
@click.option(
    "--qr/--no-qr",
    "show_qr",
    default=True,
    show_default=True,
    help="draw the service QR in the terminal",
)
def demo(
    host: str,
    port: int,
    parking_port: int,
    webshop_port: int,
    pos_port: int,
    data_dir: str,
    show_qr: bool,
) -> None:
    """Run the SEQR server, wallet app, parking service, webshop and POS on SQLite."""
    from ..service.bootstrap import build
    from ..settings import Settings

    data = Path(data_dir).resolve()
    data.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        data_dir=data,
        host=host,
        port=port,
        sandbox=True,
        database_url=f"sqlite:///{data / 'openseqr.sqlite3'}",
    )
    ctx = build(settings)  # migrates and seeds the sandbox (D-61)
    public_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    ports = {"server": port, "parking": parking_port, "webshop": webshop_port, "pos": pos_port}
    env = DemoEnv(host, public_host, data, ports, settings, ctx, show_qr)
    apps = [make(env) for make in DEMO_APPS]

    def started() -> None:
        click.echo(banner(env, apps))
        sys.stdout.flush()

    try:
        asyncio.run(serve_all(apps, host, started))
    except KeyboardInterrupt:
        pass
