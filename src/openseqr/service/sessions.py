"""External Service sessions: the TOKEN behind `getClientSessionInfo` (spec 7.2; D-05, D-06, D-09)."""

from __future__ import annotations

from dataclasses import replace

from ..core import errors
from ..core.ports import DuplicateKey
from ..core.records import ClientSession, Customer, PrincipalStatus, Service, SessionState
from ..protocol import urls
from .auth import Caller
from .context import Context

RESERVED_KEYS = ("msisdn", "subscriberKey", "authKey")


def open_session(
    ctx: Context,
    service_id: str,
    params: tuple[tuple[str, str], ...],
    customer: Customer,
    *,
    confirmed: bool = True,
) -> tuple[ClientSession, Service]:
    """ES-2: the app resolved a service QR; a token binds customer, service and parameters."""
    with ctx.store.transaction(write=False) as tx:
        service = tx.get_service(service_id)
        terminal = tx.get_terminal(service.terminal_id) if service else None
    if service is None or not service.active:
        raise errors.NotPayable("Not a valid SEQR code: unknown or inactive service")
    if terminal is None or terminal.status is not PrincipalStatus.ACTIVE:
        raise errors.NotPayable("this service cannot take payments right now")
    now = ctx.now()
    state = SessionState.ACTIVE if confirmed else SessionState.IN_PROGRESS
    for _ in range(5):
        session = ClientSession(
            token=urls.new_session_token(),
            service_id=service.service_id,
            terminal_id=service.terminal_id,
            subscriber_key=customer.subscriber_key,
            params=params,
            state=state,
            created_at=now,
            expires_at=now + ctx.config.session_lifetime,
        )
        try:
            with ctx.store.transaction() as tx:
                tx.insert_session(session)
            return session, service
        except DuplicateKey:
            continue
    raise errors.DomainError("could not allocate a session token")


def set_session_state(
    ctx: Context, token: str, state: SessionState, customer: Customer | None = None
) -> ClientSession:
    """With `customer`, only that customer's own session: anyone else's is unknown to them."""
    with ctx.store.transaction() as tx:
        session = tx.get_session(token)
        if session is None or (customer and session.subscriber_key != customer.subscriber_key):
            raise errors.UnknownSession()
        if session.state in (SessionState.ACTIVE, SessionState.IN_PROGRESS):
            session = replace(session, state=state)
            tx.update_session(session)
    return session


def client_session_info(ctx: Context, caller: Caller, key: str | None) -> list[tuple[str, str]]:
    """Only the service's own terminal may resolve its tokens; unknown or foreign → 63."""
    terminal = caller.require_terminal()
    now = ctx.now()
    with ctx.store.transaction() as tx:
        session = tx.get_session(key or "")
        if session is None or session.terminal_id != terminal.terminal_id:
            raise errors.UnknownSession()
        if session.state is SessionState.ACTIVE and session.expires_at <= now:
            session = replace(session, state=SessionState.EXPIRED)
            tx.update_session(session)
        if session.state is SessionState.EXPIRED:
            raise errors.SessionExpired()
        if session.state is SessionState.CANCELLED:
            raise errors.SessionCancelled()
        if session.state is SessionState.IN_PROGRESS:
            raise errors.SessionInProgress()
        tx.update_session(replace(session, expires_at=now + ctx.config.session_lifetime))
        customer = tx.get_customer(session.subscriber_key)
    assert customer is not None
    pairs = [
        ("msisdn", customer.msisdn),
        ("subscriberKey", customer.subscriber_key),
        ("authKey", session.token),
    ]
    params = dict(session.params)  # duplicates: last wins (D-55)
    pairs += [(k, v) for k, v in params.items() if k not in RESERVED_KEYS]
    return pairs
