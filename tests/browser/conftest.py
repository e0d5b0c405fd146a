"""Browser tests of the wallet web app (`/app`): Playwright driving Debian's Chromium.

* One real `openseqr serve` (SQLite) for the whole package, plus a small External Service
  (`es_service.py`) registered with `openseqr service add`.
* `wallet` gives each test a fresh 360x640 page (a new browser context: no sessionStorage).
* `shots` saves numbered screenshots under `artifacts/screenshots/<test>/NN-step.png` and checks,
  at every step, that the page is styled and that nothing overflows the viewport horizontally.
  With `OPENSEQR_SCREENSHOTS_TO_DOCS=1` the step marked `doc=` is copied to
  `docs/screenshots/wallet-<flow>.png` (how the committed README screenshots are made).
Nothing here downloads a browser: `chromium_path` (tests/conftest.py) finds /usr/bin/chromium.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from openseqr.sdk import SeqrClient
from tests.browser.es_service import TERMINAL_ID, TERMINAL_PASSWORD, EsService
from tests.fixtures_server import RunningServer, start_server
from tests.support.cli import register_service
from tests.support.uvicorn_thread import UvicornThread

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"
TO_DOCS = os.environ.get("OPENSEQR_SCREENSHOTS_TO_DOCS", "") == "1"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
MOBILE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    workdir = tmp_path_factory.mktemp("browser")
    server = start_server(
        f"sqlite:///{workdir / 'wallet.sqlite3'}",
        workdir,
        extra_env={"OPENSEQR_ACK_WINDOW_SECONDS": "0"},
    )
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def merchant(srv: RunningServer) -> Iterator[SeqrClient]:
    with SeqrClient(srv.url, TERMINAL_ID, TERMINAL_PASSWORD, timeout=15) as client:
        yield client


@pytest.fixture(scope="module")
def es(srv: RunningServer) -> Iterator[EsService]:
    service = EsService(srv.url)
    with UvicornThread(service.app()) as server, service.client:
        service.url = server.url
        for mode in ("form", "link", "location"):
            register_service(
                srv.database_url,
                f"PARK_{mode.upper()}",
                "Test parking",
                TERMINAL_ID,
                service.urls(mode),
            )
        yield service


@pytest.fixture(scope="module")
def playwright(chromium_path: str) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")  # a skip fails in CI (tests/conftest)
    with sync_api.sync_playwright() as p:
        yield p


def launch(playwright: Any, chromium_path: str, *extra: str) -> Any:
    """Debian's Chromium, never a downloaded one (see docs: machine notes)."""
    return playwright.chromium.launch(executable_path=chromium_path, args=[*CHROMIUM_ARGS, *extra])


@pytest.fixture(scope="module")
def browser(playwright: Any, chromium_path: str) -> Iterator[Any]:
    b = launch(playwright, chromium_path)
    try:
        yield b
    finally:
        b.close()


class Shots:
    """Numbered screenshots of one test, with layout checks at each step."""

    def __init__(self, page: Any, name: str) -> None:
        self.page = page
        self.dir = ARTIFACTS / name
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.n = 0

    def __call__(self, step: str, doc: str | None = None, page: Any = None) -> Path:
        page = page or self.page
        check_layout(page)
        self.n += 1
        path = self.dir / f"{self.n:02d}-{step}.png"
        page.wait_for_timeout(150)  # let transitions / fonts settle
        page.screenshot(path=str(path))
        if doc and TO_DOCS:
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, DOCS / f"wallet-{doc}.png")
        return path


def check_layout(page: Any) -> None:
    """Styled, and no horizontal overflow (nothing cut off at the right edge)."""
    info = page.evaluate("""() => {
      const app = document.querySelector('.app');
      const visible = [...document.querySelectorAll('.screen')].filter(s => !s.hidden);
      const over = [];
      for (const e of (visible[0] || document.body).querySelectorAll('*')) {
        const r = e.getBoundingClientRect();
        if (r.width && (r.right > innerWidth + 0.5 || r.left < -0.5) &&
            getComputedStyle(e).position !== 'absolute' && !e.closest('.visually-hidden'))
          over.push(e.tagName + '#' + e.id + '.' + e.className + ' ' + Math.round(r.left) + '..'
                    + Math.round(r.right));
      }
      return {scrollWidth: document.documentElement.scrollWidth, innerWidth,
              styled: !!app && getComputedStyle(app).display === 'flex',
              screens: visible.length, over: over.slice(0, 5)};
    }""")
    assert info["styled"], "the wallet stylesheet did not load"
    assert info["screens"] == 1, f"{info['screens']} screens visible at once"
    assert info["scrollWidth"] <= info["innerWidth"], f"horizontal overflow: {info}"
    assert not info["over"], f"elements cut off at the edge: {info['over']}"


@pytest.fixture
def wallet(browser: Any, srv: RunningServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(
        viewport=MOBILE, device_scale_factor=1, locale="sv-SE", timezone_id="Europe/Stockholm"
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(srv.url + "/app")
    page.wait_for_selector("html[data-ready='1']")
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


@pytest.fixture
def shots(wallet: Any, request: pytest.FixtureRequest) -> Shots:
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    return Shots(wallet, name)


def sign_in(page: Any, msisdn: str, pin: str) -> None:
    page.click(f"button.demo[data-msisdn='{msisdn}']")
    page.wait_for_selector("#screen-pin:not([hidden])")
    enter_pin(page, pin)
    page.wait_for_selector("#screen-home:not([hidden]) .balance.main")


def enter_pin(page: Any, pin: str) -> None:
    for digit in pin:
        page.click(f"#keypad button[data-key='{digit}']")


def open_code(page: Any, code: str) -> None:
    page.click("#open-scan")
    page.fill("#paste-code", code)
    page.click("#paste-form button[type=submit]")
