"""The SEQR app's side (spec 12, D-46): scan a code, view an invoice, pay it with a PIN, cancel.

The account provider is simulated in the same database, so a debit and the PAID transition are
one transaction: there is no moment where money moved but the invoice does not say so.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar

from ..core import errors, ids, machine
from ..core.ledger import customer_account
from ..core.ports import Tx
from ..core.records import (
    MAX_PIN_FAILURES,
    ClientSession,
    Customer,
    CustomerMessage,
    Invoice,
    ProviderMode,
    ReceiptDocument,
    Service,
    Terminal,
    TerminalKind,
)
from ..core.states import LIVE, Event, State, allows
from ..protocol import urls
from . import pin_guard
from .context import Context
from .provider import mode_for
from .sessions import open_session
from .writes import Owned, persist, publish

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class InvoiceView:
    invoice: Invoice
    merchant_name: str


@dataclass(frozen=True, slots=True)
class Waiting:
    """A terminal sticker was scanned but no invoice is ready yet ("waiting for amount...")."""

    terminal_name: str
    seqr_id: str


@dataclass(frozen=True, slots=True)
class ServiceOpened:
    service: Service
    session: ClientSession
    order_url: str


def customer_by_msisdn(ctx: Context, msisdn: str) -> Customer:
    with ctx.store.transaction(write=False) as tx:
        customer = tx.customer_by_msisdn(normalise_msisdn(msisdn))
    if customer is None:
        raise errors.UnknownCustomer()
    return customer


def normalise_msisdn(msisdn: str) -> str:
    """D-54: E.164 digits without `+` or a leading `00`."""
    digits = msisdn.strip().replace(" ", "").replace("-", "")
    if digits.startswith("+"):
        digits = digits[1:]
    elif digits.startswith("00"):
        digits = digits[2:]
    return digits


def verify_pin(ctx: Context, msisdn: str, pin: str, source: str | None = None) -> Customer:
    """D-46b, A-22: the client address `source` is refused after a few wrong PINs, before any
    wallet counts them; three wrong PINs lock the wallet until the cool-down has passed.
    The PIN itself is never stored or logged."""
    return with_pin(ctx, msisdn, pin, source, lambda tx, customer: customer, write=False)


class NeedsKdf(Exception):
    """The PIN is not one this process has verified: checking it takes the slow KDF, which
    must not run here (the event loop). Raised before anything is written; retry on a thread."""


def with_pin(
    ctx: Context,
    msisdn: str,
    pin: str,
    source: str | None,
    then: Callable[[Tx, Customer], T],
    *,
    write: bool = True,
    kdf: bool = True,
) -> T:
    """Check the PIN and run `then` in the same transaction (A-39): one transaction reads the
    wallet, the address's tries and whatever `then` decides. A wrong PIN is counted and
    committed, then raised. The slow KDF never runs inside a transaction: a PIN this process
    has not verified before leaves the first transaction unwritten and decides in a second,
    on the customer's locked row, as does one that clears earlier wrong tries. With
    `write=False` the first transaction only reads; with `kdf=False` that case raises
    `NeedsKdf` instead."""
    now = ctx.now()
    with ctx.store.transaction(write=write) as tx:
        customer = tx.customer_by_msisdn(normalise_msisdn(msisdn))
        if customer is None:
            raise errors.UnknownCustomer()
        if pin_guard.refused(ctx, tx, source, customer.subscriber_key, now):
            raise errors.SourceLocked()  # before the wallet: the guess reaches nobody's counter
        if _still_locked(customer, now, ctx.config.pin_cooldown):
            raise errors.PinLocked()
        known = ctx.pins.known(customer.subscriber_key, customer.pin_hash, pin)
        if known and not customer.pin_failures:
            return then(tx, customer)  # the usual case: nothing to count or forgive
        if not kdf:
            raise NeedsKdf()
    # The locks, not the hash cost, are what protect a 4-digit PIN.
    correct = known or ctx.pins.verify(customer.subscriber_key, customer.pin_hash, pin)
    with ctx.store.transaction() as tx:
        # Decide on the locked row: concurrent guesses must not outrun the three-try limit.
        fresh = tx.lock_customer(customer.subscriber_key) or customer
        if _still_locked(fresh, now, ctx.config.pin_cooldown):
            raise errors.PinLocked()
        if correct:
            return then(tx, _forgive(tx, fresh, source))
        fresh = _count_wrong_pin(ctx, tx, fresh, source, now)
    if fresh.locked:
        raise errors.PinLockedNow()
    raise errors.WrongPin(f"wrong PIN; {MAX_PIN_FAILURES - fresh.pin_failures} tries left")


def _forgive(tx: Tx, customer: Customer, source: str | None) -> Customer:
    """A correct PIN clears the wallet's wrong tries and the address's for this wallet."""
    if not customer.pin_failures:
        return customer
    customer = replace(customer, pin_failures=0, pin_locked_at=None)
    tx.update_customer(customer)
    pin_guard.forget(tx, source, customer.subscriber_key)
    return customer


def _still_locked(customer: Customer, now: datetime, cooldown: timedelta) -> bool:
    """A lock from before cool-downs existed (no time recorded) waits for an operator."""
    locked_at = customer.pin_locked_at
    return customer.locked and (locked_at is None or now < locked_at + cooldown)


def _count_wrong_pin(
    ctx: Context, tx: Tx, customer: Customer, source: str | None, now: datetime
) -> Customer:
    """One more wrong PIN, on the customer's locked row; the customer is told in the app."""
    from_source = pin_guard.count_wrong_pin(ctx, tx, source, customer.subscriber_key, now)
    if from_source is None:
        raise errors.SourceLocked()  # refused meanwhile: this guess counts for nobody
    failures = 1 if customer.locked else customer.pin_failures + 1  # a lock that cooled down
    customer = replace(customer, pin_failures=failures, pin_locked_at=None)
    until = ctx.local(now + ctx.config.pin_cooldown).strftime("%H:%M")
    text = None
    if customer.locked:
        customer = replace(customer, pin_locked_at=now)
        text = f"Your wallet was locked after {MAX_PIN_FAILURES} wrong PINs; it unlocks at {until}."
    if from_source == ctx.config.source_pin_tries:
        text = text or (
            f"Wrong PINs were entered for your wallet from one address; it is refused until {until}."
        )
    if text is not None:
        tx.insert_message(CustomerMessage(customer.subscriber_key, text, now))
    tx.update_customer(customer)
    return customer


def scan(
    ctx: Context, text: str, customer: Customer | None, *, confirm_identity: bool = True
) -> InvoiceView | Waiting | ServiceOpened:
    """Resolve whatever the app read: invoice QR or deep link, terminal sticker, service QR.

    `confirm_identity=False` opens a service session IN_PROGRESS (62 until the app confirms)."""
    try:
        code = urls.parse_code(text)
    except urls.InvalidCode as exc:
        raise errors.NotPayable(f"Not a valid SEQR code: {exc.reason}") from None
    if isinstance(code, (urls.InvoiceCode, urls.PaymentTrigger)):
        return view_invoice(ctx, code.reference, customer)
    if isinstance(code, urls.TerminalCode):
        return _terminal_code(ctx, code.seqr_id, customer)
    if isinstance(code, urls.ServiceCode):
        if customer is None:
            raise errors.UnknownCustomer("sign in to open a service")
        session, service = open_session(
            ctx, code.service_id, code.params, customer, confirmed=confirm_identity
        )
        return ServiceOpened(service, session, urls.order_url(service.order_url, session.token))
    raise errors.NotPayable("this code is handled by the app itself")


def _terminal_code(ctx: Context, seqr_id: str, customer: Customer | None) -> InvoiceView | Waiting:
    with ctx.store.transaction(write=False) as tx:
        terminal = tx.terminal_by_seqr_id(seqr_id)
        live = tx.live_invoices(terminal.terminal_id) if terminal else []
    if terminal is None:
        raise errors.NotPayable("unknown SEQR ID")
    current = [i for i in live if i.state in (*LIVE, State.PAYING)]
    if not current:
        return Waiting(terminal.name, seqr_id)
    return view_invoice(ctx, current[-1].reference, customer)


def view_invoice(ctx: Context, reference: str, customer: Customer | None) -> InvoiceView:
    """T2: fetching binds the payer (and may ask the merchant to acknowledge, T3)."""
    with ctx.store.transaction() as tx:
        inv = tx.lock_invoice(reference)
        if inv is None:
            raise errors.InvoiceNotFound()
        terminal = _terminal(tx, inv)
        if customer is not None and inv.state in LIVE:
            inv = persist(ctx, tx, inv, machine.view(inv, customer, ctx.now()), terminal)
    return InvoiceView(inv, terminal.name)


def _terminal(tx: Tx, inv: Invoice) -> Terminal:
    terminal = tx.get_terminal(inv.terminal_id)
    assert terminal is not None, "an invoice always has its terminal"
    return terminal


@dataclass(frozen=True, slots=True)
class _Attempt:
    """What the payment transaction decided; raised or finished after it commits."""

    invoice: Invoice  # as written
    terminal: Terminal
    mode: ProviderMode
    notify: bool | None = None  # None: the slow provider still has to answer


@dataclass(frozen=True, slots=True)
class _Refused:
    """Refused after the PIN was accepted: raised once the transaction has committed."""

    error: errors.DomainError


def pay(
    ctx: Context,
    reference: str,
    msisdn: str,
    pin: str,
    shown_version: int | None = None,
    *,
    source: str | None = None,
    opened_by: str | None = None,
    kdf: bool = True,
) -> InvoiceView:
    """T6 then T7/T8/T9. Exactly one of many concurrent attempts wins the compare-and-set.

    The PIN check, the provider switch and the decision share one transaction, and the invoice
    row is written once (A-39): with an instant account provider (the sandbox's) view, attempt
    and outcome are one decision, so nothing can observe the `paying` state. With a slow
    provider (`provider_latency`) the `paying` step commits first, so cancel and update answer
    51/48 meanwhile and a crash leaves a row the paying timeout recovers (A-01).

    `source` is the client's address (A-22). `opened_by` is the subscriber key of an
    authenticated app session that opened the invoice: only then does the PIN that locks the
    wallet also FAIL the invoice (D-46b); a wrong PIN never changes anybody else's invoice.
    `kdf=False`: raise `NeedsKdf` rather than run the KDF (the caller is the event loop).
    """
    instant = not ctx.config.provider_latency
    outbox: list[Owned] = []

    def attempt(tx: Tx, customer: Customer) -> _Attempt | _Refused:
        return _attempt(ctx, tx, reference, customer, shown_version, instant, outbox)

    try:
        done = with_pin(ctx, msisdn, pin, source, attempt, kdf=kdf)
    except errors.PinLockedNow:
        if opened_by is not None:
            _fail_on_lock(ctx, reference, opened_by)
        raise
    if isinstance(done, _Refused):
        raise done.error
    if done.notify is None:
        time.sleep(ctx.config.provider_latency)  # runs in a worker thread, never the event loop
        done = _slow_outcome(ctx, done, outbox)
    if done.mode is ProviderMode.UNAVAILABLE:
        raise errors.ProviderUnavailable()
    if done.notify:
        publish(ctx, outbox)
    return InvoiceView(done.invoice, done.terminal.name)


def _attempt(
    ctx: Context,
    tx: Tx,
    reference: str,
    customer: Customer,
    shown_version: int | None,
    instant: bool,
    outbox: list[Owned],
) -> _Attempt | _Refused:
    """In the PIN's transaction: view (a deep link pays without a fetch), attempt and, with an
    instant provider, its outcome, composed in the core and written once. A refusal is
    returned, not raised, so the view (T3 must reach the merchant) and a PIN reset commit."""
    inv = tx.lock_invoice(reference)
    if inv is None:
        return _Refused(errors.InvoiceNotFound())
    terminal = _terminal(tx, inv)
    mode = mode_for(tx, customer)
    now = ctx.now()
    viewed = machine.view(inv, customer, now) if inv.state is State.ISSUED else None
    try:
        start = machine.start_payment(
            viewed.invoice if viewed else inv, customer, shown_version, now, ctx.policy
        )
    except errors.DomainError as exc:
        if viewed is not None:
            persist(ctx, tx, inv, viewed, terminal)
        return _Refused(exc)
    steps = [(inv, viewed)] if viewed is not None else []
    steps.append((viewed.invoice if viewed else inv, start))
    decision = machine.then(viewed, start)
    if instant:
        outcome = _outcome(ctx, tx, start.invoice, terminal, mode, now)
        steps.append((start.invoice, outcome))
        decision = machine.then(decision, outcome)
    written = persist(ctx, tx, inv, decision, terminal, outbox, steps=steps)
    return _Attempt(written, terminal, mode, decision.notify if instant else None)


def _slow_outcome(ctx: Context, paying: _Attempt, outbox: list[Owned]) -> _Attempt:
    """The slow provider answered: its outcome, if the `paying` row is still ours."""
    with ctx.store.transaction() as tx:
        current = tx.lock_invoice(paying.invoice.reference)
        if (
            current is None
            or current.rev != paying.invoice.rev
            or current.state is not State.PAYING
        ):
            raise errors.PaymentInProgress("the payment was interrupted; check its status")
        outcome = _outcome(ctx, tx, current, paying.terminal, paying.mode, ctx.now())
        written = persist(ctx, tx, current, outcome, paying.terminal, outbox)
    return _Attempt(written, paying.terminal, paying.mode, outcome.notify)


def _outcome(
    ctx: Context, tx: Tx, paying: Invoice, terminal: Terminal, mode: ProviderMode, now: datetime
) -> machine.Decision:
    """T7/T8/T9: decided on the customer's locked balance."""
    assert paying.payer is not None
    available = tx.lock_balance(customer_account(paying.payer), paying.currency)
    return machine.provider_outcome(
        paying,
        mode,
        available,
        ids.ers_reference(ctx.local(now)),
        now,
        ctx.policy,
        terminal.kind is TerminalKind.CASH_REGISTER,
    )


def _fail_on_lock(ctx: Context, reference: str, opened_by: str) -> None:
    """The invoice the locked-out customer opened in their own session fails (D-46b)."""
    with ctx.store.transaction() as tx:
        inv = tx.lock_invoice(reference)
        if inv is not None and inv.payer == opened_by and allows(inv.state, Event.PIN_LOCKED):
            persist(ctx, tx, inv, machine.pin_locked(inv, ctx.now()), _terminal(tx, inv))


def cancel(
    ctx: Context, reference: str, msisdn: str, pin: str, source: str | None = None
) -> InvoiceView:
    """T14: the customer pressed cancel in the app (D-28); the PIN proves who they are."""
    return cancel_for(ctx, reference, verify_pin(ctx, msisdn, pin, source))


def cancel_for(ctx: Context, reference: str, customer: Customer) -> InvoiceView:
    """T14 for a customer whose identity is already proven (PIN, or a signed app session)."""
    with ctx.store.transaction() as tx:
        inv = tx.lock_invoice(reference)
        if inv is None:
            raise errors.InvoiceNotFound()
        if inv.payer not in (None, customer.subscriber_key):
            raise errors.NotPayable("another customer is paying this invoice")
        terminal = _terminal(tx, inv)
        inv = persist(ctx, tx, inv, machine.user_cancel(inv, ctx.now()), terminal)
    return InvoiceView(inv, terminal.name)


@dataclass(frozen=True, slots=True)
class Wallet:
    customer: Customer
    balances: dict[str, str]
    invoices: list[Invoice]
    messages: list[CustomerMessage]
    merchant_names: dict[str, str]  # terminal id -> name shown to the customer


def wallet(
    ctx: Context, customer: Customer, currencies: tuple[str, ...] = ("SEK", "EUR", "USD")
) -> Wallet:
    with ctx.store.transaction(write=False) as tx:
        account = customer_account(customer.subscriber_key)
        balances = {c: str(tx.balance(account, c)) for c in currencies}
        invoices = tx.invoices_of_customer(customer.subscriber_key, 50)
        messages = tx.messages_of(customer.subscriber_key)
        names: dict[str, str] = {}
        for inv in invoices:
            if inv.terminal_id not in names:
                terminal = tx.get_terminal(inv.terminal_id)
                names[inv.terminal_id] = terminal.name if terminal else ""
    return Wallet(customer, balances, invoices, messages, names)


def get_customer(ctx: Context, subscriber_key: str) -> Customer | None:
    with ctx.store.transaction(write=False) as tx:
        return tx.get_customer(subscriber_key)


@dataclass(frozen=True, slots=True)
class PaymentReceipt:
    invoice: Invoice
    merchant_name: str
    documents: list[ReceiptDocument]


def receipt(ctx: Context, customer: Customer, reference: str) -> PaymentReceipt:
    """The customer's receipt with the documents the merchant attached (D-24)."""
    with ctx.store.transaction(write=False) as tx:
        inv = tx.get_invoice(reference)
        if inv is None or inv.payer != customer.subscriber_key:
            raise errors.InvoiceNotFound()
        terminal = tx.get_terminal(inv.terminal_id)
        docs = tx.receipt_documents(inv.ers_reference) if inv.ers_reference else []
    return PaymentReceipt(inv, terminal.name if terminal else "", docs)


def shared_secret(ctx: Context, name: str) -> bytes:
    """A random key kept in the database so that every server process signs alike."""
    with ctx.store.transaction() as tx:
        value = tx.get_switch(name)
        if value is None:
            value = secrets.token_hex(32)
            tx.set_switch(name, value)
    return bytes.fromhex(value)
