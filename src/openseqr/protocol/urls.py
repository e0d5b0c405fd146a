"""SEQR URL grammar (spec 3.2), sans-I/O and stdlib-only; shared by server, SDK and wallet.

Grammar (``ci`` = matched case-insensitively, everything else case-sensitively)::

    code      = seqr-url | trigger | "SEQR-ACTION://WIZARD/CANCEL"(ci)                 ; U10
    seqr-url  = ("HTTP" | "HTTPS")(ci) "://" "SEQR.SE"(ci) "/" path
    path      = "R" ref                                                              ; U1
              | "Q" seqr-id                                                          ; U4
              | "000/" service-id ["?" query]                                        ; U5
    trigger   = ("seqr" | "seqr-demo" | "seqr-debug")(ci) "://" "SEQR.SE"(ci) "/R" ref  ; U2/U3
    ref = [0-9]{1,32}    seqr-id = [A-Za-z0-9]{1,32} (D-53)
    service-id = [A-Za-z0-9_-]{1,32}, not "ups"/"invoice" (D-46a, D-55)
    query = name=value pairs joined by "&", "+" and %XX decoded as UTF-8, order kept (D-55)

* Formatting always emits ``HTTP://SEQR.SE/`` and ``<lower-case scheme>://SEQR.SE/R`` (D-26, D-27).
* ``HTTPS://SEQR.SE/...`` is accepted on input as the same code (links may have been upgraded by a
  browser or typed by hand) but never emitted: QR content stays the upper-case ``HTTP://`` form.
* Not codes: ``000/ups`` and ``000/invoice`` (U16/U17, out of scope), ``S...`` (D-45), lower-case
  prefixes (``r123``), fragments, ports, trailing data; they raise :class:`InvalidCode`.
* Service-page fragments (D-04): Order/Failure/Cancel ``<url>#TOKEN``, Success
  ``<url>#TOKEN_<invoiceReference>``. Session tokens (D-05): ``NNNNNNNNNN-NNNNNNNN``.
* URL validation for ``notificationUrl`` (D-44) / ``backURL`` and the operator's destination
  policy live in :mod:`openseqr.protocol.url_checks` and are re-exported here.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import quote_plus, unquote_plus, urlencode

# Re-exported: callers get the whole URL vocabulary from this module.
from openseqr.protocol.url_checks import DestinationPolicy as DestinationPolicy
from openseqr.protocol.url_checks import InvalidBackUrl as InvalidBackUrl
from openseqr.protocol.url_checks import InvalidNotificationUrl as InvalidNotificationUrl
from openseqr.protocol.url_checks import InvalidUrl as InvalidUrl
from openseqr.protocol.url_checks import validate_back_url as validate_back_url
from openseqr.protocol.url_checks import validate_notification_url as validate_notification_url

SEQR_URL_PREFIX = "HTTP://SEQR.SE/"
SERVICE_ROUTING_KEY = "000"
#: Ids under ``000/`` that belong to other (out-of-scope) SEQR services, U16/U17.
RESERVED_SERVICE_IDS = frozenset({"ups", "invoice"})
#: Deep-link schemes the app registers (D-26); the first one is the production app.
TRIGGER_SCHEMES = ("seqr", "seqr-demo", "seqr-debug")
WIZARD_CANCEL = "SEQR-ACTION://WIZARD/CANCEL"
#: Upper bound for any text handed to :func:`parse_code` (guards the query parser).
MAX_CODE_LENGTH = 2048

_REF_RE = re.compile(r"[0-9]{1,32}")
_SEQR_ID_RE = re.compile(r"[A-Za-z0-9]{1,32}")
_SERVICE_ID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):(.*)", re.S)
_AUTHORITY_RE = re.compile(r"//([^/?#]*)(.*)", re.S)
_HOST_RE = re.compile(r"seqr\.se", re.I | re.A)
_WIZARD_CANCEL_RE = re.compile(r"seqr-action://wizard/cancel", re.I | re.A)
_BAD_CHAR_RE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
# Fragment tokens: RFC 3986 "unreserved" minus "_" (the D-04 separator).
_FRAGMENT_TOKEN_RE = re.compile(r"[A-Za-z0-9.~-]{1,128}")
_SESSION_TOKEN_RE = re.compile(r"[0-9]{10}-[0-9]{8}")


class InvalidCode(ValueError):
    """The text is not a SEQR code ("Not a valid SEQR code" in the app)."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(f"Not a valid SEQR code ({reason}): {text!r}")
        self.text = text
        self.reason = reason


class InvalidFragment(ValueError):
    """A service-page fragment (or a token/reference for one) is malformed."""


def _check(pattern: re.Pattern[str], value: object, what: str) -> None:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"invalid {what}: {value!r} (must match {pattern.pattern})")


@dataclass(frozen=True)
class InvoiceCode:
    """U1 ``HTTP://SEQR.SE/R<invoiceReference>``."""

    reference: str

    def __post_init__(self) -> None:
        _check(_REF_RE, self.reference, "invoice reference")


@dataclass(frozen=True)
class TerminalCode:
    """U4 ``HTTP://SEQR.SE/Q<seqrId>`` (static sticker of a point-of-sale terminal)."""

    seqr_id: str

    def __post_init__(self) -> None:
        _check(_SEQR_ID_RE, self.seqr_id, "seqrId")


@dataclass(frozen=True)
class ServiceCode:
    """U5 ``HTTP://SEQR.SE/000/<SERVICE_ID>?p=v&...``; params keep their order and duplicates."""

    service_id: str
    params: tuple[tuple[str, str], ...] = field(default=())

    def __post_init__(self) -> None:
        _check(_SERVICE_ID_RE, self.service_id, "service id")
        if self.service_id in RESERVED_SERVICE_IDS:
            raise ValueError(f"service id {self.service_id!r} is reserved (out-of-scope service)")
        raw: Iterable[object] = (
            self.params.items() if isinstance(self.params, Mapping) else self.params
        )
        pairs = []
        for pair in raw:
            if not (isinstance(pair, tuple | list) and len(pair) == 2):
                raise ValueError(f"parameter must be a (name, value) pair: {pair!r}")
            name, value = pair
            if not isinstance(name, str) or not isinstance(value, str):
                raise ValueError(f"parameter name and value must be str: {pair!r}")
            if not name:
                raise ValueError("empty parameter name")
            try:
                (name + value).encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError(f"parameter not encodable as UTF-8: {pair!r}") from exc
            pairs.append((name, value))
        object.__setattr__(self, "params", tuple(pairs))

    def params_dict(self) -> dict[str, str]:
        """Parameters as a dict; for duplicate names the last value wins (D-55)."""
        return dict(self.params)


@dataclass(frozen=True)
class PaymentTrigger:
    """U2/U3 deep link ``<scheme>://SEQR.SE/R<invoiceReference>``; scheme stored lower-case."""

    reference: str
    scheme: str = "seqr"

    def __post_init__(self) -> None:
        _check(_REF_RE, self.reference, "invoice reference")
        raw = self.scheme
        scheme = raw.lower() if isinstance(raw, str) and raw.isascii() else None
        if scheme not in TRIGGER_SCHEMES:
            raise ValueError(f"unsupported deep-link scheme {self.scheme!r}; use {TRIGGER_SCHEMES}")
        object.__setattr__(self, "scheme", scheme)


@dataclass(frozen=True)
class WizardCancel:
    """U10 ``SEQR-ACTION://WIZARD/CANCEL``: leave the external service, back to the app."""


SeqrCode = InvoiceCode | TerminalCode | ServiceCode | PaymentTrigger | WizardCancel


# ----------------------------------------------------------------------------------- parsing


def _parse_query(text: str, query: str) -> tuple[tuple[str, str], ...]:
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        raw_name, _, raw_value = piece.partition("=")
        try:
            name = unquote_plus(raw_name, encoding="utf-8", errors="strict")
            value = unquote_plus(raw_value, encoding="utf-8", errors="strict")
        except UnicodeDecodeError:
            raise InvalidCode(text, f"parameter {piece!r} is not valid UTF-8") from None
        if not name:
            raise InvalidCode(text, f"parameter {piece!r} has an empty name")
        pairs.append((name, value))
    return tuple(pairs)


def _split_seqr_se(text: str, rest: str) -> str:
    """``rest`` is what follows ``scheme:``; return the path after ``SEQR.SE/``."""
    m = _AUTHORITY_RE.fullmatch(rest)
    if m is None:
        raise InvalidCode(text, "expected '//SEQR.SE/' after the scheme")
    host, path = m.groups()
    if not _HOST_RE.fullmatch(host):
        raise InvalidCode(text, f"host must be SEQR.SE, not {host!r}")
    if not path.startswith("/") or len(path) == 1:
        raise InvalidCode(text, "nothing after 'SEQR.SE/'")
    if "#" in path:
        raise InvalidCode(text, "SEQR codes carry no fragment")
    return path[1:]


def _parse_seqr_path(text: str, path: str) -> InvoiceCode | TerminalCode | ServiceCode:
    key = SERVICE_ROUTING_KEY + "/"
    if path.startswith(key):
        service_id, sep, query = path[len(key) :].partition("?")
        if not _SERVICE_ID_RE.fullmatch(service_id):
            raise InvalidCode(text, f"service id {service_id!r} must be 1-32 of A-Z a-z 0-9 _ -")
        if service_id in RESERVED_SERVICE_IDS:
            raise InvalidCode(text, f"the '000/{service_id}' service is not supported")
        return ServiceCode(service_id, _parse_query(text, query) if sep else ())
    if path == SERVICE_ROUTING_KEY or path.startswith(SERVICE_ROUTING_KEY + "?"):
        raise InvalidCode(text, "missing service id after '000/'")
    prefix, body = path[0], path[1:]
    if prefix in "RQ" and "?" in body:
        raise InvalidCode(text, f"a {prefix} code takes no query")
    if prefix == "R":
        if not _REF_RE.fullmatch(body):
            raise InvalidCode(text, "invoice reference must be 1-32 digits")
        return InvoiceCode(body)
    if prefix == "Q":
        if not _SEQR_ID_RE.fullmatch(body):
            raise InvalidCode(text, "seqrId must be 1-32 letters or digits")
        return TerminalCode(body)
    if prefix == "S":
        raise InvalidCode(text, "'S'-prefixed codes are not supported (D-45)")
    if prefix in "rqs":
        raise InvalidCode(text, f"path prefix is case-sensitive, {prefix!r} != {prefix.upper()!r}")
    raise InvalidCode(text, f"unknown code type {path[:4]!r}")


def parse_code(text: str) -> SeqrCode:
    """Parse a scanned or linked SEQR code (surrounding whitespace ignored).

    Raises :class:`InvalidCode` with a human-readable ``reason`` for anything else.
    """
    if not isinstance(text, str):
        raise TypeError(f"code must be str, not {type(text).__name__}")
    original, text = text, text.strip()
    if not text:
        raise InvalidCode(original, "empty")
    if len(text) > MAX_CODE_LENGTH:
        raise InvalidCode(text[:64] + "...", f"longer than {MAX_CODE_LENGTH} characters")
    if _BAD_CHAR_RE.search(text):
        raise InvalidCode(text, "contains whitespace or control characters")
    m = _SCHEME_RE.fullmatch(text)
    if m is None:
        raise InvalidCode(text, "not a URL (no scheme)")
    scheme, rest = m.group(1).lower(), m.group(2)
    if scheme in ("http", "https"):
        return _parse_seqr_path(text, _split_seqr_se(text, rest))
    if scheme in TRIGGER_SCHEMES:
        path = _split_seqr_se(text, rest) if rest not in ("", "//") else ""
        if not path.startswith("R") or not _REF_RE.fullmatch(path[1:]):
            raise InvalidCode(text, "a payment link must be <scheme>://SEQR.SE/R<digits>")
        return PaymentTrigger(path[1:], scheme)
    if scheme == "seqr-action":
        if _WIZARD_CANCEL_RE.fullmatch(text):
            return WizardCancel()
        raise InvalidCode(text, "unknown SEQR-ACTION (only SEQR-ACTION://WIZARD/CANCEL)")
    raise InvalidCode(text, f"unsupported scheme {m.group(1)!r}")


def format_code(code: SeqrCode) -> str:
    """The canonical text of a code (upper-case ``HTTP://SEQR.SE/``; lower-case link schemes)."""
    match code:
        case InvoiceCode(reference=ref):
            return f"{SEQR_URL_PREFIX}R{ref}"
        case TerminalCode(seqr_id=seqr_id):
            return f"{SEQR_URL_PREFIX}Q{seqr_id}"
        case ServiceCode(service_id=sid, params=params):
            query = "?" + urlencode(params, quote_via=quote_plus) if params else ""
            return f"{SEQR_URL_PREFIX}{SERVICE_ROUTING_KEY}/{sid}{query}"
        case PaymentTrigger(reference=ref, scheme=scheme):
            return f"{scheme}://SEQR.SE/R{ref}"
        case WizardCancel():
            return WIZARD_CANCEL
    raise TypeError(f"not a SEQR code object: {code!r}")


def invoice_qr(reference: str) -> str:
    """The ``invoiceQRCode`` for an invoice: ``HTTP://SEQR.SE/R<reference>`` (U1)."""
    return format_code(InvoiceCode(reference))


def to_deep_link(invoice_qr: str, scheme: str = "seqr") -> str:
    """U1 -> U2/U3: ``HTTP://SEQR.SE/R1`` -> ``seqr://SEQR.SE/R1`` (the plugin's ``HTTP:`` swap).

    Unlike the plugin, any case of ``http:`` is accepted; non-invoice codes raise InvalidCode.
    """
    code = parse_code(invoice_qr)
    if not isinstance(code, InvoiceCode):
        raise InvalidCode(invoice_qr, "only an invoice code (R) has a payment deep link")
    return format_code(PaymentTrigger(code.reference, scheme))


# ------------------------------------------------------------- service URLs (D-04) and tokens


def _with_fragment(base: str, fragment: str) -> str:
    if not isinstance(base, str) or not base:
        raise ValueError("service URL must be a non-empty string")
    return base.split("#", 1)[0] + "#" + fragment


def _check_fragment_token(token: object) -> str:
    if not isinstance(token, str) or not _FRAGMENT_TOKEN_RE.fullmatch(token):
        raise InvalidFragment(f"invalid token {token!r} (must match {_FRAGMENT_TOKEN_RE.pattern})")
    return token


def order_url(base: str, token: str) -> str:
    """U6 ``<Order URL>#TOKEN``; an existing fragment on ``base`` is replaced."""
    return _with_fragment(base, _check_fragment_token(token))


def success_url(base: str, token: str, reference: str) -> str:
    """U7 ``<Success URL>#TOKEN_<invoiceReference>`` (D-04)."""
    if not isinstance(reference, str) or not _REF_RE.fullmatch(reference):
        raise InvalidFragment(f"invalid invoice reference {reference!r}")
    return _with_fragment(base, f"{_check_fragment_token(token)}_{reference}")


def failure_url(base: str, token: str) -> str:
    """U8 ``<Failure URL>#TOKEN``."""
    return _with_fragment(base, _check_fragment_token(token))


def cancel_url(base: str, token: str) -> str:
    """U9 ``<Cancel URL>#TOKEN``."""
    return _with_fragment(base, _check_fragment_token(token))


def parse_service_fragment(fragment: str) -> tuple[str, str | None]:
    """``TOKEN`` or ``TOKEN_<invoiceReference>`` -> ``(token, reference | None)``.

    Splits at the last ``_`` (D-04); one leading ``#`` (as in ``location.hash``) is ignored.
    Raises :class:`InvalidFragment` if the token or reference is malformed.
    """
    if not isinstance(fragment, str):
        raise InvalidFragment(f"fragment must be str: {fragment!r}")
    text = fragment[1:] if fragment.startswith("#") else fragment
    token, sep, reference = text.rpartition("_")
    if not sep:
        return _check_fragment_token(text), None
    if not _REF_RE.fullmatch(reference):
        raise InvalidFragment(f"invalid invoice reference in fragment {fragment!r}")
    return _check_fragment_token(token), reference


class _RandRange(Protocol):
    def randrange(self, stop: int, /) -> int: ...


_SYSTEM_RANDOM = secrets.SystemRandom()


def new_session_token(rng: _RandRange | None = None) -> str:
    """A fresh External Service TOKEN ``NNNNNNNNNN-NNNNNNNN`` (D-05, ~60 bits).

    ``rng`` is anything with ``randrange`` (``random.Random`` in tests); the default is the
    OS CSPRNG. Uniqueness is the caller's job (the server checks its store).
    """
    r = rng if rng is not None else _SYSTEM_RANDOM
    return f"{r.randrange(10**10):010d}-{r.randrange(10**8):08d}"


def is_session_token(s: object) -> bool:
    """True if ``s`` has the shape of a token made by :func:`new_session_token`."""
    return isinstance(s, str) and _SESSION_TOKEN_RE.fullmatch(s) is not None
