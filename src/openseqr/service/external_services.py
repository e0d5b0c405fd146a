"""The External Service registry (D-46a): what the operator registers so the app can open a service.

A service definition is a `serviceId` (case-sensitive, `[A-Za-z0-9_-]{1,32}`, not `ups` or
`invoice`, which the URL grammar reserves for other SEQR services, D-55), a display name, the
four URLs the app opens (spec 3.4; absolute http/https, no fragment: the app appends `#TOKEN`),
the terminal whose credentials the service backend uses for its SOAP calls, and an active flag.
An inactive service's QR resolves to "Not a valid SEQR code" in the app.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from urllib.parse import urlsplit

from ..core import errors
from ..core.ports import Tx
from ..core.records import PrincipalStatus, Service
from ..protocol import urls
from .context import Context

SERVICE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
URL_FIELDS = ("order_url", "success_url", "failure_url", "cancel_url")
MAX_NAME_LENGTH = 255  # D-45
MAX_URL_LENGTH = 2048
_BAD_URL_CHAR = re.compile(r"[\s\x00-\x1f\x7f]")


class InvalidService(errors.DomainError):
    """The service definition is not valid."""


class ServiceExists(errors.DomainError):
    """A service with this id already exists."""


class UnknownService(errors.DomainError):
    """No service with this id."""


def service_qr(service_id: str) -> str:
    """The service's QR content `HTTP://SEQR.SE/000/<id>` (U5); the operator prints it."""
    return urls.format_code(urls.ServiceCode(service_id))


def validate_service_id(service_id: object) -> str:
    if not isinstance(service_id, str) or not SERVICE_ID_RE.fullmatch(service_id):
        raise InvalidService(
            f"service id {service_id!r} must be 1-32 characters of A-Z a-z 0-9 _ -"
        )
    if service_id in urls.RESERVED_SERVICE_IDS:
        raise InvalidService(
            f"service id {service_id!r} is reserved by the URL grammar (000/ups, 000/invoice)"
        )
    return service_id


def validate_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise InvalidService("the display name must not be empty")
    name = name.strip()
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidService(f"the display name is longer than {MAX_NAME_LENGTH} characters")
    return name


def validate_url(what: str, url: object) -> str:
    """Absolute http(s) URL with a host; no fragment (the app appends `#TOKEN`)."""
    label = what.replace("_", " ")
    if not isinstance(url, str) or not url:
        raise InvalidService(f"{label} is required")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidService(f"{label} is longer than {MAX_URL_LENGTH} characters")
    if _BAD_URL_CHAR.search(url):
        raise InvalidService(f"{label} contains whitespace or control characters: {url!r}")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise InvalidService(f"{label} is not a valid URL: {url!r} ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise InvalidService(f"{label} must be an absolute http:// or https:// URL: {url!r}")
    if not parts.hostname:
        raise InvalidService(f"{label} has no host: {url!r}")
    if "#" in url:
        raise InvalidService(
            f"{label} must not contain a fragment; the app appends #TOKEN itself: {url!r}"
        )
    return url


def _check_terminal(tx: Tx, terminal_id: object) -> str:
    if not isinstance(terminal_id, str) or not terminal_id:
        raise InvalidService("the service's terminal is required")
    terminal = tx.get_terminal(terminal_id)
    if terminal is None:
        raise InvalidService(f"terminal {terminal_id!r} does not exist")
    if terminal.status is not PrincipalStatus.ACTIVE:
        raise InvalidService(f"terminal {terminal_id!r} is {terminal.status.value.lower()}")
    return terminal_id


def _validated(service: Service) -> Service:
    service_id = validate_service_id(service.service_id)
    name = validate_name(service.name)
    fields: dict[str, Any] = {f: validate_url(f, getattr(service, f)) for f in URL_FIELDS}
    return replace(service, service_id=service_id, name=name, **fields)


def add_service(
    ctx: Context,
    service_id: str,
    name: str,
    terminal_id: str,
    *,
    order_url: str,
    success_url: str,
    failure_url: str,
    cancel_url: str,
    active: bool = True,
) -> Service:
    """Register a new service; `ServiceExists` if the id is taken (ids are case-sensitive)."""
    service = _validated(
        Service(
            service_id=service_id,
            name=name,
            terminal_id=terminal_id,
            order_url=order_url,
            success_url=success_url,
            failure_url=failure_url,
            cancel_url=cancel_url,
            active=bool(active),
            created_at=ctx.now(),
        )
    )
    with ctx.store.transaction() as tx:
        _check_terminal(tx, service.terminal_id)
        if tx.get_service(service.service_id) is not None:
            raise ServiceExists(f"service {service.service_id!r} already exists")
        tx.upsert_service(service)
    return service


def update_service(
    ctx: Context,
    service_id: str,
    *,
    name: str | None = None,
    terminal_id: str | None = None,
    order_url: str | None = None,
    success_url: str | None = None,
    failure_url: str | None = None,
    cancel_url: str | None = None,
    active: bool | None = None,
) -> Service:
    """Change the given fields (None = keep). Re-validates the whole definition."""
    changes: dict[str, Any] = {
        k: v
        for k, v in dict(
            name=name,
            terminal_id=terminal_id,
            order_url=order_url,
            success_url=success_url,
            failure_url=failure_url,
            cancel_url=cancel_url,
            active=active,
        ).items()
        if v is not None
    }
    with ctx.store.transaction() as tx:
        current = tx.get_service(service_id)
        if current is None:
            raise UnknownService(f"no service {service_id!r}")
        updated = _validated(replace(current, **changes))
        if "terminal_id" in changes or (active is True and not current.active):
            _check_terminal(tx, updated.terminal_id)
        if updated != current:
            tx.upsert_service(updated)
    return updated


def disable_service(ctx: Context, service_id: str) -> Service:
    """Inactive: its QR no longer opens; existing tokens keep working until they expire."""
    return update_service(ctx, service_id, active=False)


def enable_service(ctx: Context, service_id: str) -> Service:
    """Active again; its terminal must still exist and be active."""
    return update_service(ctx, service_id, active=True)


def get_service(ctx: Context, service_id: str) -> Service:
    with ctx.store.transaction(write=False) as tx:
        service = tx.get_service(service_id)
    if service is None:
        raise UnknownService(f"no service {service_id!r}")
    return service


def list_services(ctx: Context) -> list[Service]:
    with ctx.store.transaction(write=False) as tx:
        return tx.list_services()


__all__ = [
    "InvalidService",
    "ServiceExists",
    "UnknownService",
    "add_service",
    "update_service",
    "disable_service",
    "enable_service",
    "get_service",
    "list_services",
    "service_qr",
    "validate_service_id",
    "validate_url",
    "validate_name",
]
