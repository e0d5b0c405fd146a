"""Driving the ``openseqr`` command line from tests (in process, through click's runner)."""

from __future__ import annotations

import secrets

from click.testing import CliRunner

from openseqr.cli.main import main


def register_service(
    database_url: str, service_id: str, name: str, terminal_id: str, urls: dict[str, str]
) -> None:
    """``openseqr service add``: an External Service with its four URLs (order, success, ...)."""
    args = ["service", "add", service_id, "--name", name, "--terminal", terminal_id]
    for kind in ("order", "success", "failure", "cancel"):
        args += [f"--{kind}-url", urls[kind]]
    result = CliRunner().invoke(main, [*args, "--database", database_url])
    assert result.exit_code == 0, result.output


PARKING_URLS = {
    kind: f"https://parking.example/{kind}" for kind in ("order", "success", "failure", "cancel")
}


def register_parking(database_url: str, prefix: str) -> str:
    """A fresh parking service on the sandbox shop's terminal; its id, ``prefix`` + random hex."""
    service_id = prefix + secrets.token_hex(4)
    register_service(database_url, service_id, "Parking", "public_test_shop_terminal", PARKING_URLS)
    return service_id
