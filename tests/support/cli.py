"""Driving the ``openseqr`` command line from tests (in process, through click's runner)."""

from __future__ import annotations

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
