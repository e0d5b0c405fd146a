"""`openseqr service add|update|list|show|disable|enable` (D-46a) via CliRunner on SQLite."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from openseqr.cli.main import main
from openseqr.core.records import PrincipalStatus
from openseqr.service.bootstrap import build
from openseqr.settings import Settings

TERMINAL = "public_test_shop_terminal"
URLS = {
    "--order-url": "https://svc.example/order",
    "--success-url": "https://svc.example/success",
    "--failure-url": "https://svc.example/failure",
    "--cancel-url": "http://svc.example:8081/cancel?x=1",
}


@pytest.fixture
def db(tmp_path: Path) -> str:
    """A database as a sandbox server leaves it on its first start: migrated and seeded."""
    url = f"sqlite:///{tmp_path / 'services.sqlite3'}"
    build(Settings(database_url=url)).store.close()
    return url


def run(db: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["service", *args, "--database", db])
    return result.exit_code, result.output


def add(db: str, service_id: str, *extra: str, **overrides: str) -> tuple[int, str]:
    urls = {**URLS, **{f"--{k.replace('_', '-')}": v for k, v in overrides.items()}}
    args = ["add", service_id, "--name", "City parking", "--terminal", TERMINAL]
    for option, value in urls.items():
        args += [option, value]
    return run(db, *args, *extra)


def test_operator_commands_never_seed_sandbox_data(tmp_path: Path) -> None:
    empty = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    assert run(empty, "list") == (0, "no services registered\n")
    code, out = add(empty, "PARKING")
    assert code == 1 and "public_test_shop_terminal" in out  # no sandbox terminal appeared
    shown = CliRunner().invoke(main, ["terminal", "show", TERMINAL, "--database", empty])
    assert shown.exit_code == 1 and "no terminal" in shown.output


def test_add_list_show_disable_enable(db: str) -> None:
    code, out = add(db, "PARKING")
    assert code == 0, out
    assert "service PARKING registered" in out and "HTTP://SEQR.SE/000/PARKING" in out
    code, out = run(db, "list")
    assert code == 0 and "PARKING" in out and "active" in out and TERMINAL in out
    code, out = run(db, "show", "PARKING", "--json")
    data = json.loads(out)
    assert data["qr"] == "HTTP://SEQR.SE/000/PARKING" and data["active"] is True
    assert data["order_url"] == URLS["--order-url"]
    assert data["cancel_url"] == URLS["--cancel-url"] and data["terminal_id"] == TERMINAL
    assert run(db, "disable", "PARKING") == (0, "service PARKING disabled\n")
    code, out = run(db, "show", "PARKING")
    assert code == 0 and "no (disabled)" in out
    assert json.loads(run(db, "list", "--json")[1])[0]["active"] is False
    assert run(db, "enable", "PARKING")[0] == 0
    assert json.loads(run(db, "show", "PARKING", "--json")[1])["active"] is True


def test_show_qr_draws_the_code(db: str) -> None:
    add(db, "QRSVC")
    code, out = run(db, "show", "QRSVC", "--qr")
    assert code == 0 and "HTTP://SEQR.SE/000/QRSVC" in out
    assert "█" in out or "▀" in out or "▄" in out


def test_ids_are_case_sensitive_and_unique(db: str) -> None:
    assert add(db, "Park_1")[0] == 0
    assert add(db, "park_1")[0] == 0
    code, out = add(db, "Park_1")
    assert code == 1 and "already exists" in out
    code, out = run(db, "list")
    assert "Park_1" in out and "park_1" in out


@pytest.mark.parametrize("service_id", ["ups", "invoice", "a" * 33, "has space", "ä", "a/b", ""])
def test_invalid_service_ids(db: str, service_id: str) -> None:
    code, out = add(db, service_id)
    assert code != 0 and "Error" in out


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("order_url", "ftp://svc.example/order"),
        ("success_url", "/success"),
        ("failure_url", "svc.example/failure"),
        ("cancel_url", "https://svc.example/cancel#TOKEN"),
        ("order_url", "https:///no-host"),
        ("order_url", "https://svc.example/with space"),
        ("order_url", "javascript:alert(1)"),
    ],
)
def test_invalid_urls(db: str, field: str, url: str) -> None:
    code, out = add(db, "BAD", **{field: url})
    assert code == 1 and field.replace("_", " ") in out, out
    assert "BAD" not in run(db, "list")[1]


def test_terminal_must_exist_and_be_active(db: str) -> None:
    code, out = run(
        db,
        "add",
        "X",
        "--name",
        "x",
        "--terminal",
        "nope",
        *[a for pair in URLS.items() for a in pair],
    )
    assert code == 1 and "does not exist" in out
    from openseqr.storage import open_store

    store = open_store(db)
    try:
        with store.transaction() as tx:
            terminal = tx.get_terminal(TERMINAL)
            tx.update_terminal(replace(terminal, status=PrincipalStatus.BLOCKED))
    finally:
        store.close()
    code, out = add(db, "Y")
    assert code == 1 and "blocked" in out


def test_update_and_unknown_service(db: str) -> None:
    add(db, "UPD")
    code, out = run(
        db,
        "update",
        "UPD",
        "--name",
        "New name",
        "--order-url",
        "https://other.example/o",
        "--json",
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["name"] == "New name" and data["order_url"] == "https://other.example/o"
    assert data["success_url"] == URLS["--success-url"]
    assert run(db, "update", "UPD", "--order-url", "nope")[0] == 1
    for command in ("show", "disable", "enable", "update"):
        code, out = run(db, command, "NOPE")
        assert code == 1 and "no service 'NOPE'" in out


def test_empty_list(db: str) -> None:
    assert run(db, "list") == (0, "no services registered\n")
