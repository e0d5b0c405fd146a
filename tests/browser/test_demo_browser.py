"""`openseqr demo` as a person uses it: the parking service paid inside the browser wallet."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import MOBILE, Shots, enter_pin, open_code, sign_in
from tests.helpers import free_port, wait_for_http

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    data = tmp_path_factory.mktemp("demo")
    ports = {name: free_port() for name in ("server", "parking", "webshop", "pos")}
    log = (data / "demo.log").open("wb")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "openseqr",
            "demo",
            "--port",
            str(ports["server"]),
            "--parking-port",
            str(ports["parking"]),
            "--webshop-port",
            str(ports["webshop"]),
            "--pos-port",
            str(ports["pos"]),
            "--data-dir",
            str(data),
            "--no-qr",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ},
    )
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    try:
        wait_for_http(urls["server"] + "/health", timeout=30, process=proc)
        wait_for_http(urls["parking"] + "/order", timeout=30, process=proc)
        yield urls
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_parking_paid_inside_the_wallet(browser: Any, demo: dict[str, str]) -> None:
    context = browser.new_context(viewport=MOBILE, locale="sv-SE", timezone_id="Europe/Stockholm")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(demo["server"] + "/app")
    page.wait_for_selector("html[data-ready='1']")
    shots = Shots(page, "demo_parking_in_wallet")
    sign_in(page, "46700000001", "1111")
    open_code(page, "HTTP://SEQR.SE/000/parking?zone=42")
    page.wait_for_selector("#screen-service:not([hidden])")
    frame = page.frame_locator("iframe[data-testid=service-frame]")
    frame.locator("form#order").wait_for(timeout=15000)
    assert "Zone 42" in frame.locator("h1").inner_text()
    shots("order")
    frame.locator("label.opt", has_text="1 h").click()
    frame.locator("form#order button[type=submit]").click()
    page.wait_for_selector("#screen-invoice:not([hidden])", timeout=15000)
    assert "20" in page.inner_text("#inv-total")  # zone 42: 20 kr per hour
    shots("invoice")
    page.click("#inv-confirm")
    enter_pin(page, "1111")
    page.wait_for_selector("#screen-service:not([hidden])", timeout=15000)
    frame.locator("#ticket-code").wait_for(timeout=15000)
    code = frame.locator("#ticket-code").inner_text()
    assert code.startswith("P42-")
    assert "Payment completed" in page.inner_text("#service-banner")
    shots("ticket")
    context.close()
    assert not errors, errors
    assert Path(shots.dir).exists()
