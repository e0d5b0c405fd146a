"""Starting real `openseqr serve` processes on 127.0.0.1 for end-to-end tests."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.helpers import free_port, stop_process, wait_for_http

SOAP_PATH = "/soap/merchant/cashregister-2"


@dataclass
class RunningServer:
    url: str
    database_url: str
    process: subprocess.Popen[bytes]
    log_path: Path
    client: httpx.Client = field(init=False)

    def __post_init__(self) -> None:
        self.client = httpx.Client(base_url=self.url, timeout=30)

    @property
    def soap_url(self) -> str:
        return self.url + SOAP_PATH

    def soap(self, body: bytes | str, path: str = SOAP_PATH) -> httpx.Response:
        data = body.encode() if isinstance(body, str) else body
        return self.client.post(
            path,
            content=data,
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        )

    def app(self, method: str, path: str, **kw: object) -> httpx.Response:
        return self.client.request(method, "/api/app/v1" + path, **kw)  # type: ignore[arg-type]

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self) -> None:
        self.client.close()
        stop_process(self.process)


def start_server(
    database_url: str,
    workdir: Path,
    *,
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    address_in_env: bool = False,
) -> RunningServer:
    """``address_in_env``: pass host and port as OPENSEQR_HOST/OPENSEQR_PORT, not as options."""
    port = free_port()
    env = {**os.environ, "OPENSEQR_DATA_DIR": str(workdir / "data"), **(extra_env or {})}
    address = ["--host", "127.0.0.1", "--port", str(port)]
    if address_in_env:
        env.update(OPENSEQR_HOST="127.0.0.1", OPENSEQR_PORT=str(port))
        address = []
    log_path = workdir / f"server-{port}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openseqr",
            "serve",
            *address,
            "--database",
            database_url,
            *args,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/health", timeout=30, process=process)
    except Exception:
        process.kill()
        raise RuntimeError(
            "server did not start:\n" + log_path.read_text(errors="replace")
        ) from None
    return RunningServer(url, database_url, process, log_path)
