"""Console operator accounts (`openseqr operator …`) and console sign-in (A-56).

Operators are people who run the platform; merchants sign in to the same console with their
SOAP `RESELLERUSER` credentials (`service.auth`). Passwords are Argon2 hashes (`security`);
sign-in runs the KDF in the bounded pool and meets the failed-login throttle of A-29 under the
key `O:<name>`, so a guesser is refused before the KDF and the operator's usual address is not.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import replace
from functools import cache

from ..core import errors
from ..core.console import Operator
from ..core.ports import DuplicateKey
from .admin import AdminError
from .auth import authenticate_async
from .context import Context
from .security import hash_secret

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")  # never "/": "id/user" is a merchant
DEMO_OPERATOR = ("demo", "demo-operator")  # sandbox only; shown on the sandbox login page


@cache
def _dummy_hash() -> str:
    """Checked when the name is unknown: an unknown name costs the time of a wrong password."""
    return hash_secret(secrets.token_urlsafe(16))


class OperatorError(AdminError):
    """An operator account command cannot be carried out."""


def add_operator(ctx: Context, name: str, password: str | None = None) -> tuple[Operator, str]:
    """Create an active operator; returns it and the password (generated when None)."""
    if not NAME.fullmatch(name):
        raise OperatorError("an operator name is 1-64 letters, digits and . _ @ - (no /)")
    password = password or secrets.token_urlsafe(15)
    if len(password) < 8:
        raise OperatorError("an operator password has at least 8 characters")
    operator = Operator(name, hash_secret(password), True, ctx.now())
    try:
        with ctx.store.transaction() as tx:
            tx.insert_operator(operator)
    except DuplicateKey:
        raise OperatorError(f"operator {name!r} already exists") from None
    return operator, password


def list_operators(ctx: Context) -> list[Operator]:
    with ctx.store.transaction(write=False) as tx:
        return tx.list_operators()


def set_operator_active(ctx: Context, name: str, active: bool) -> Operator:
    with ctx.store.transaction() as tx:
        operator = tx.get_operator(name)
        if operator is None:
            raise OperatorError(f"no operator {name!r}")
        operator = replace(operator, active=active)
        tx.update_operator(operator)
    return operator


def remove_operator(ctx: Context, name: str) -> None:
    with ctx.store.transaction() as tx:
        if not tx.delete_operator(name):
            raise OperatorError(f"no operator {name!r}")


def get_operator(ctx: Context, name: str) -> Operator | None:
    with ctx.store.transaction(write=False) as tx:
        return tx.get_operator(name)


def seed_demo_operator(ctx: Context) -> None:
    """The sandbox's demo operator (idempotent, safe when several processes start at once)."""
    name, password = DEMO_OPERATOR
    if get_operator(ctx, name) is None:
        try:
            add_operator(ctx, name, password)
        except OperatorError:
            pass  # another process created it first


async def sign_in_operator(ctx: Context, name: str, password: str, source: str) -> Operator:
    """The active operator `name`, or AuthenticationFailed (throttled per A-29)."""
    key = "O:" + name[:64]
    refusal = ctx.throttle.refusal(source, key)
    if refusal is not None:
        raise errors.AuthenticationFailed(refusal)
    operator = get_operator(ctx, name) if NAME.fullmatch(name) else None
    stored = operator.password_hash if operator is not None else _dummy_hash()
    correct = await ctx.kdf.check(stored, password)
    if operator is None or not correct or not operator.active:
        ctx.throttle.failed(source, key)
        raise errors.AuthenticationFailed()
    ctx.throttle.succeeded(source, key)
    return operator


async def sign_in_merchant(ctx: Context, login: str, password: str, source: str) -> str:
    """A merchant signs in as `resellerId/userId` with its RESELLERUSER password; its id."""
    reseller_id, _, user_id = login.rpartition("/")
    caller = await authenticate_async(ctx, "RESELLERUSER", reseller_id, user_id, password, source)
    return caller.reseller.reseller_id
