"""Record builders for the storage contract tests: every optional field filled, odd values kept
(Decimal exponents, non-UTC offsets, bytes with NULs, unicode), so round trips prove something."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from openseqr.core.ledger import Transfer, TransferKind, customer_account, merchant_account, move
from openseqr.core.money import Money
from openseqr.core.records import (
    AckMode,
    ClientSession,
    Customer,
    Invoice,
    InvoiceRow,
    Notification,
    PaymentMode,
    ProviderMode,
    Reseller,
    Service,
    SessionState,
    Terminal,
    TerminalKind,
    Token,
)
from openseqr.core.states import State

T0 = datetime(2024, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
CEST = timezone(timedelta(hours=2))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def sek(amount: str) -> Money:
    return Money.of(amount, "SEK")


def reseller(rid: str = "r1", **kw: object) -> Reseller:
    base = Reseller(rid, f"user-{rid}", "argon2$hash", f"Reseller {rid} åäö", ("SEK", "EUR"))
    return replace(base, **kw)  # type: ignore[arg-type]


def terminal(tid: str = "t1", rid: str = "r1", **kw: object) -> Terminal:
    base = Terminal(
        terminal_id=tid,
        reseller_id=rid,
        kind=TerminalKind.CASH_REGISTER,
        name=f"Till {tid}",
        password_hash="argon2$t",
        external_terminal_id=f"ext-{tid}",
        seqr_id=None,
        ack_mode_default=AckMode.OPTIONAL_ACKNOWLEDGMENT,
        strict_rows=True,
        notify_retries=5,
        notify_secret="s3cret",
        created_at=at(0),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def customer(key: str = "c1", msisdn: str = "46700000001", **kw: object) -> Customer:
    base = Customer(
        subscriber_key=key,
        msisdn=msisdn,
        pin_hash="argon2$p",
        name="Åsa Öberg",
        payer_terminal_id="abcdef0123456789abcdef012",
        pin_failures=1,
        provider_mode=ProviderMode.DECLINE,
        tokens=(Token("loyalty", "123", 2, "Gold card"), Token(None, "x", 0, None)),
        created_at=at(1),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


ROWS = (
    InvoiceRow(
        description="Kaffe ☕",
        discount=sek("1.50"),
        ean="7310865004703",
        quantity=Decimal("2.000"),
        sku="K-1",
        tax_rate=Decimal("0.12"),
        total=sek("58.00"),
        unit="st",
        unit_price=sek("29.00"),
    ),
    InvoiceRow(description="Plain"),
)


def invoice(
    ref: str = "20240301000000001", tid: str = "t1", rid: str = "r1", **kw: object
) -> Invoice:
    base = Invoice(
        reference=ref,
        terminal_id=tid,
        reseller_id=rid,
        state=State.ISSUED,
        version=1,
        payment_mode=PaymentMode.RESERVATION_DESIRED,
        ack_mode=AckMode.REQUIRE_ACKNOWLEDGMENT,
        issue_date=at(2).astimezone(CEST),  # an offset: must come back as the same instant
        total=sek("56.50"),
        created_at=at(2),
        title="Order #1",
        client_invoice_id="client-1",
        rows=ROWS,
        cashier_id="cashier-7",
        footer="Tack!",
        back_url="https://shop.example/back",
        notification_url="https://shop.example/notify",
        commit_timeout=300,
        tokens=(Token("coupon", "C-1", 1, "10% off"),),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def paid_fields(ers: str, settled: datetime, **kw: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "state": State.PAID,
        "payer": "c1",
        "payer_terminal_id": "abcdef0123456789abcdef012",
        "viewed_version": 1,
        "ers_reference": ers,
        "paid_at": settled,
        "reserved": sek("56.50"),
        "reason": None,
        "acked_version": 1,
        "session_token": "tok",
        "refunded": Decimal("10.25"),
        "settled_at": settled,
    }
    fields.update(kw)
    return fields


def notification(nid: str = "n1", ref: str = "20240301000000001", **kw: object) -> Notification:
    base = Notification(
        notification_id=nid,
        invoice_reference=ref,
        terminal_id="t1",
        url="https://shop.example/notify",
        body=b'{"status":"PAID"}\x00\xff',
        created_at=at(10),
        next_attempt_at=at(10),
        attempts=0,
        max_attempts=4,
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def service(sid: str = "svc1", tid: str = "t1", **kw: object) -> Service:
    base = Service(
        sid, "Parking", tid, "https://svc/order", "https://svc/ok", "https://svc/fail",
        "https://svc/cancel", True, at(0),
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def session(token: str = "tok", sid: str = "svc1", **kw: object) -> ClientSession:
    base = ClientSession(
        token=token,
        service_id=sid,
        terminal_id="t1",
        subscriber_key="c1",
        params=(("zone", "A1"), ("plate", "ABC 123"), ("zone", "dup keys kept")),
        state=SessionState.IN_PROGRESS,
        created_at=at(0),
        expires_at=at(600),
    )
    return replace(base, **kw)  # type: ignore[arg-type]


def fund(key: str, amount: str, currency: str = "SEK") -> Transfer:
    return move(
        TransferKind.FUNDING, f"provider:{currency}", customer_account(key),
        Money.of(amount, currency), at=at(0),
    )  # fmt: skip


def pay(key: str, rid: str, amount: str, ref: str | None = None) -> Transfer:
    return move(
        TransferKind.PAYMENT, customer_account(key), merchant_account(rid), sek(amount),
        invoice_reference=ref, ers_reference=None, at=at(5),
    )  # fmt: skip
