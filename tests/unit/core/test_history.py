"""The invoice event history as the core decides it: one table from lifecycle events to kinds
and actors, and what each history line says (A-47)."""

from dataclasses import replace
from datetime import timedelta

import pytest

from openseqr.core import history, machine
from openseqr.core.money import Money
from openseqr.core.records import (
    AckMode,
    Actor,
    Customer,
    DeliveryAttempt,
    EventKind,
    Invoice,
    Notification,
    PaymentMode,
    Refund,
    Token,
)
from openseqr.core.states import Event, State
from tests.unit.core.sample_invoices import ALICE, POLICY, RESELLER, T0, an_invoice

BOB = Customer("102", "46700000002", "hash", "Bob", "def")


def lines(before: Invoice, decision: machine.Decision, **kw) -> list[tuple[str, str, str | None]]:
    events = history.transition_events(before, decision, T0, **kw)
    return [(e.kind, e.actor, e.actor_id) for e in events]


def paying(inv: Invoice | None = None) -> Invoice:
    inv = machine.view(inv or an_invoice(), ALICE, T0).invoice
    return machine.start_payment(inv, ALICE, inv.version, T0, POLICY).invoice


def test_every_lifecycle_event_records_a_kind_except_the_acknowledgement_request() -> None:
    assert set(Event) - set(history.KINDS) == {Event.REQUIRE_ACK}


def test_every_kind_has_a_writer() -> None:
    from_table = {kind for kind, _ in history.KINDS.values()}
    beside_table = {
        EventKind.SENT,
        EventKind.RECEIPT_SUBMITTED,
        EventKind.NOTIFICATION_ATTEMPT,
        EventKind.NOTIFICATION_REDELIVERED,
    }
    assert from_table | beside_table == set(EventKind)


def test_first_view_is_the_customers_with_the_payer_as_actor() -> None:
    inv = an_invoice()
    (event,) = history.transition_events(inv, machine.view(inv, ALICE, T0), T0)
    assert (event.kind, event.actor, event.actor_id) == ("viewed", "customer", "101")
    assert (event.invoice_reference, event.terminal_id, event.at) == (inv.reference, "t1", T0)
    assert event.detail == {"status": "ISSUED", "version": "1"}


def test_fetching_a_seen_version_again_records_nothing_but_another_payer_does() -> None:
    seen = machine.view(an_invoice(), ALICE, T0).invoice
    assert lines(seen, machine.view(seen, ALICE, T0)) == []
    assert lines(seen, machine.view(seen, BOB, T0)) == [("viewed", "customer", "102")]
    updated = replace(seen, version=seen.version + 1)  # the merchant changed it meanwhile
    assert lines(updated, machine.view(updated, ALICE, T0)) == [("viewed", "customer", "101")]


def test_a_view_that_asks_the_merchant_to_acknowledge_shows_that_status() -> None:
    inv = an_invoice(ack_mode=AckMode.REQUIRE_ACKNOWLEDGMENT)
    decision = machine.view(inv, ALICE, T0)
    assert decision.events == (Event.VIEW, Event.REQUIRE_ACK)
    (event,) = history.transition_events(inv, decision, T0)
    assert event.kind == "viewed" and event.detail["status"] == "PENDING_ISSUER_ACKNOWLEDGE"


def test_a_payment_is_paying_then_paid_by_the_customer_with_amount_and_reference() -> None:
    inv = machine.view(an_invoice(), ALICE, T0).invoice
    start = machine.start_payment(inv, ALICE, inv.version, T0, POLICY)
    assert lines(inv, start) == [("paying", "customer", "101")]
    debit = machine.debit(start.invoice, "E1", T0, POLICY)
    (event,) = history.transition_events(start.invoice, debit, T0)
    assert (event.kind, event.actor, event.actor_id) == ("paid", "customer", "101")
    assert event.detail == {
        "status": "PAID",
        "version": "2",
        "transfer": "payment",
        "amount": "500.00 SEK",
        "ers_reference": "E1",
    }


@pytest.mark.parametrize(
    ("outcome", "reason"),
    [
        (lambda inv: machine.decline(inv, "insufficient funds", T0), "insufficient funds"),
        (lambda inv: machine.provider_unavailable(inv, T0, POLICY, False), None),
    ],
)
def test_a_failed_attempt_says_why_and_what_the_invoice_became(outcome, reason) -> None:
    before = paying()
    (event,) = history.transition_events(before, outcome(before), T0)
    assert (event.kind, event.actor) == ("failed", "customer")
    assert event.detail.get("reason") == reason
    assert event.detail["status"] == ("FAILED" if reason else "ISSUED")  # payable again


def test_acknowledgement_is_the_terminals() -> None:
    unacked = machine.debit(paying(), "E1", T0, POLICY).invoice
    assert lines(unacked, machine.acknowledge(unacked, T0)) == [("acknowledged", "terminal", "t1")]


def test_a_status_read_that_only_marks_tokens_seen_records_nothing() -> None:
    inv = an_invoice(state=State.VIEWED, version=3, tokens=(Token("1", "v", 0, "card"),))
    decision = machine.status_read(inv, 3, T0, POLICY, False)
    assert decision is not None and decision.invoice.acked_version == 3
    assert lines(inv, decision) == []


def test_the_acknowledgement_window_reverses_as_the_system() -> None:
    unacked = machine.debit(paying(), "E1", T0, POLICY).invoice
    decision = machine.deadline_passed(unacked, T0 + timedelta(seconds=20), POLICY, False)
    (event,) = history.transition_events(unacked, decision, T0, actor=Actor.SYSTEM)
    assert (event.kind, event.actor, event.actor_id) == ("reversed", "system", None)
    assert event.detail["reason"] == "reversed" and event.detail["amount"] == "500.00 SEK"
    assert event.detail["status"] == "CANCELED"


def test_expiry_and_cancellations_name_their_reason() -> None:
    inv = machine.view(an_invoice(), ALICE, T0).invoice
    expired = machine.deadline_passed(replace(inv, deadline_at=T0), T0, POLICY, False)
    assert lines(inv, expired) == [("expired", "system", None)]
    for decision, actor in (
        (machine.merchant_cancel(inv, T0), ("terminal", "t1")),
        (machine.supersede(inv, T0), ("terminal", "t1")),
        (machine.user_cancel(inv, T0), ("customer", "101")),
    ):
        (event,) = history.transition_events(inv, decision, T0)
        assert (event.kind, event.actor, event.actor_id) == ("cancelled", *actor)
        assert event.detail["reason"] == decision.invoice.reason


def test_a_commit_records_what_the_merchant_got() -> None:
    pay = paying(an_invoice(payment_mode=PaymentMode.RESERVATION_DESIRED))
    reserved = machine.reserve(pay, T0, POLICY)
    assert lines(pay, reserved) == [("reserved", "customer", "101")]
    inv = reserved.invoice
    decision = machine.commit(inv, Money.of("120", "SEK"), "E2", T0)
    (event,) = history.transition_events(inv, decision, T0)
    assert (event.kind, event.actor) == ("committed", "terminal")
    assert (event.detail["amount"], event.detail["ers_reference"]) == ("120.00 SEK", "E2")


def test_a_refund_records_its_own_amount_and_reference() -> None:
    unacked = machine.debit(paying(), "E1", T0, POLICY).invoice
    settled = machine.acknowledge(unacked, T0).invoice
    decision = machine.refund(settled, Money.of("50", "SEK"), "R1", RESELLER, T0)
    (event,) = history.transition_events(settled, decision, T0)
    assert (event.kind, event.actor, event.actor_id) == ("refunded", "terminal", "t1")
    assert (event.detail["amount"], event.detail["ers_reference"]) == ("50.00 SEK", "R1")


def test_an_operator_action_names_the_operator() -> None:
    inv = machine.view(an_invoice(), ALICE, T0).invoice
    decision = machine.terminal_unregistered(inv, T0)
    assert lines(inv, decision, actor=Actor.OPERATOR, actor_id="ops") == [
        ("cancelled", "operator", "ops")
    ]


def test_sent_and_receipt_lines() -> None:
    inv = an_invoice(client_invoice_id="order-4711")
    sent = history.sent_event(inv, T0)
    assert (sent.kind, sent.actor, sent.actor_id) == ("sent", "terminal", "t1")
    assert sent.detail == {
        "status": "ISSUED",
        "total": "500.00 SEK",
        "client_invoice_id": "order-4711",
    }
    refund = Refund("R1", "E1", inv.reference, "t1", "shop", Money.of("5", "SEK"), T0)
    receipt = history.receipt_event(refund, "t2", "application/pdf", 1234, T0)
    assert (receipt.invoice_reference, receipt.terminal_id, receipt.actor_id) == (
        inv.reference,
        "t1",
        "t2",  # another terminal of the shop may submit it
    )
    assert receipt.detail == {
        "ers_reference": "R1",
        "bytes": "1234",
        "mime_type": "application/pdf",
    }


def test_notification_attempt_and_redelivery_lines() -> None:
    n = Notification("n1", "20260115000000001", "t1", "http://127.0.0.1/x", b"", T0, T0)
    failed = DeliveryAttempt("n1", 2, T0, 12.345, 503, None)
    event = history.attempt_event(failed, replace(n, attempts=2, status="pending"))
    assert (event.kind, event.actor, event.actor_id, event.at) == (
        "notification_attempt",
        "system",
        None,
        T0,
    )
    assert event.detail == {
        "notification_id": "n1",
        "attempt": "2",
        "outcome": "retrying",
        "latency_ms": "12.3",
        "http_status": "503",
    }
    refused = DeliveryAttempt("n1", 3, T0, 1.0, None, "ConnectError: refused")
    event = history.attempt_event(refused, replace(n, attempts=3, status="failed"))
    assert event.detail["outcome"] == "failed" and event.detail["error"] == "ConnectError: refused"
    again = history.redelivery_event(replace(n, attempts=3), "ops", T0)
    assert (again.kind, again.actor, again.actor_id) == (
        "notification_redelivered",
        "operator",
        "ops",
    )
    assert again.detail == {"notification_id": "n1", "attempt": "4"}
