"""Wrong PINs over the app API (A-22, D-46b): the guessing address is refused before any wallet
locks, a locked wallet opens again after the cool-down, and nobody else's invoice changes.

In-process HTTP (the real Starlette app on a real database) so the client address and the
clock are ours to choose."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest
from starlette.applications import Starlette

from openseqr.core.invoicing import AmountDraft, InvoiceDraft
from openseqr.core.states import WireStatus
from openseqr.server.app import create_app
from openseqr.service import merchant, wallet
from openseqr.service.auth import authenticate
from openseqr.service.clock import ManualClock
from openseqr.service.context import Context
from openseqr.settings import Settings

ALICE = {"msisdn": "46700000001", "pin": "1111"}
BOB = {"msisdn": "46700000002", "pin": "2222"}
WRONG_FOR_ALICE = {"msisdn": "46700000001", "pin": "0000"}


@pytest.fixture
def app(ctx: Context) -> Starlette:
    return create_app(Settings(worker=False), ctx=ctx)


def pay(app: Starlette, address: str, ref: str, who: dict[str, str]) -> httpx.Response:
    """POST /pay as a client at `address`."""

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://seqr.test") as c:
            return await c.post(f"/api/app/v1/invoices/{ref}/pay", json=who)

    return asyncio.run(post())


def send(ctx: Context, value: str = "10.00") -> str:
    caller = authenticate(ctx, "TERMINALID", "public_test_shop_terminal", None, "12345678")
    draft = InvoiceDraft(total=AmountDraft(Decimal(value), "SEK"), title="Kiosk")
    return merchant.send_invoice(ctx, caller, draft).reference


def status(ctx: Context, ref: str) -> WireStatus:
    with ctx.store.transaction(write=False) as tx:
        inv = tx.get_invoice(ref)
    assert inv is not None
    return inv.status


def messages(ctx: Context, subscriber_key: str) -> list[str]:
    with ctx.store.transaction(write=False) as tx:
        return [m.text for m in tx.messages_of(subscriber_key)]


def test_a_guessing_address_is_refused_while_the_customer_still_pays(
    ctx: Context, app: Starlette
) -> None:
    ref = send(ctx)
    answers = [pay(app, "10.6.6.6", ref, WRONG_FOR_ALICE).status_code for _ in range(20)]
    assert answers[:2] == [401, 401] and set(answers[2:]) == {423}, answers
    paid = pay(app, "10.1.1.1", ref, ALICE)
    assert paid.status_code == 200 and paid.json()["status"] == "PAID"
    assert any("refused" in m for m in messages(ctx, "101"))


def test_a_locked_wallet_opens_again_after_the_cool_down(
    ctx: Context, app: Starlette, clock: ManualClock
) -> None:
    ref = send(ctx)
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):  # three addresses, one guess each
        pay(app, address, ref, WRONG_FOR_ALICE)
    assert pay(app, "10.1.1.1", ref, ALICE).status_code == 423  # even the right PIN
    assert any("locked" in m for m in messages(ctx, "101"))
    clock.advance(ctx.config.pin_cooldown.total_seconds() - 1)
    assert pay(app, "10.1.1.1", ref, ALICE).status_code == 423
    clock.advance(1)
    paid = pay(app, "10.1.1.1", ref, ALICE)
    assert paid.status_code == 200 and paid.json()["status"] == "PAID"


def test_wrong_pins_never_fail_another_customers_open_invoice(ctx: Context, app: Starlette) -> None:
    ref = send(ctx)
    wallet.view_invoice(ctx, ref, wallet.customer_by_msisdn(ctx, BOB["msisdn"]))  # Bob's open
    answers = [
        pay(app, a, ref, WRONG_FOR_ALICE).status_code for a in ("10.0.0.1", "10.0.0.2", "10.0.0.3")
    ]
    assert answers == [401, 401, 423]  # the third locks Alice's wallet
    assert status(ctx, ref) is WireStatus.ISSUED
    paid = pay(app, "10.2.2.2", ref, BOB)
    assert paid.status_code == 200 and paid.json()["status"] == "PAID"
