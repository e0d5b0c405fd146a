"""Validation of merchant-supplied URLs and the operator's destination policy (sans-I/O).

* ``notificationUrl`` (D-44, U12): absolute ``http://``/``https://`` with a host, no fragment,
  at most 2048 characters, only RFC 3986 URL characters (so no whitespace, control characters,
  backslashes or raw non-ASCII: percent-encode, punycode the host). Returned unchanged, query kept.
* ``backURL`` (U11): absolute URL of any scheme except the script-capable ``javascript:``,
  ``vbscript:`` and ``data:``; same character rules; ``http(s)`` ones need a host.
* :class:`DestinationPolicy` judges where the server may POST notifications. It only looks at
  IP literals (and the ``localhost`` names); for host names the caller resolves them and judges
  every resulting address with :meth:`DestinationPolicy.check_ip` just before connecting
  (this also covers odd IPv4 spellings such as ``127.1`` or ``2130706433``, which resolve).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

__all__ = [
    "MAX_URL_LENGTH",
    "InvalidUrl",
    "InvalidNotificationUrl",
    "InvalidBackUrl",
    "validate_notification_url",
    "validate_back_url",
    "DestinationPolicy",
]

MAX_URL_LENGTH = 2048
_SCHEME_RE = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_BAD_CHAR_RE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_URL_CHARS_RE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
_FORBIDDEN_BACK_SCHEMES = frozenset({"javascript", "vbscript", "data"})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class InvalidUrl(ValueError):
    """A merchant-supplied URL is unacceptable; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidNotificationUrl(InvalidUrl):
    """``invoice.notificationUrl`` fails D-44 (the server answers result code 64)."""


class InvalidBackUrl(InvalidUrl):
    """``invoice.backURL`` is not an acceptable absolute URL."""


def _split(url: object, max_length: int, error: type[InvalidUrl]) -> tuple[str, SplitResult]:
    if not isinstance(url, str):
        raise error("URL must be a string")
    if not url:
        raise error("URL is empty")
    if len(url) > max_length:
        raise error(f"URL is longer than {max_length} characters")
    if _BAD_CHAR_RE.search(url):
        raise error("URL contains whitespace or control characters")
    if not _URL_CHARS_RE.fullmatch(url):
        bad = sorted({c for c in url if not _URL_CHARS_RE.fullmatch(c)})
        raise error(f"URL contains characters not allowed in a URL: {''.join(bad)!r}")
    m = _SCHEME_RE.match(url)
    if m is None:
        raise error("not an absolute URL (no scheme)")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise error(f"malformed URL: {exc}") from None
    return m.group(1).lower(), parts


def validate_notification_url(url: str, *, max_length: int = MAX_URL_LENGTH) -> str:
    """Check a ``notificationUrl`` (D-44) and return it unchanged."""
    scheme, parts = _split(url, max_length, InvalidNotificationUrl)
    if scheme not in ("http", "https"):
        raise InvalidNotificationUrl("not starting with http:// or https://")
    if not url[len(scheme) + 1 :].startswith("//") or not parts.hostname:
        raise InvalidNotificationUrl("URL has no host")
    if "#" in url:
        raise InvalidNotificationUrl("URL must not have a fragment")
    return url


def validate_back_url(url: str, *, max_length: int = MAX_URL_LENGTH) -> str:
    """Check a ``backURL`` (any absolute URL, e.g. ``https://shop/done`` or ``myapp://paid``)."""
    scheme, parts = _split(url, max_length, InvalidBackUrl)
    if scheme in _FORBIDDEN_BACK_SCHEMES:
        raise InvalidBackUrl(f"the {scheme}: scheme is not allowed")
    if scheme in ("http", "https") and (
        not url[len(scheme) + 1 :].startswith("//") or not parts.hostname
    ):
        raise InvalidBackUrl("URL has no host")
    return url


def _is_localhost_name(host: str) -> bool:
    host = host.rstrip(".")
    return host == "localhost" or host.endswith(".localhost")


@dataclass(frozen=True)
class DestinationPolicy:
    """Which notification destinations the operator allows (defaults: public addresses only).

    Always denied: multicast, broadcast and other reserved addresses. ``0.0.0.0``/``::`` count
    as loopback (connecting to them reaches the local host). IPv4-mapped (``::ffff:a.b.c.d``)
    and NAT64 (``64:ff9b::/96``) addresses are judged by their embedded IPv4 address.
    "Private" covers RFC 1918, unique-local ``fc00::/7``, site-local, CGNAT ``100.64/10``,
    documentation ranges and anything else that ``ipaddress`` does not call global.
    """

    allow_loopback: bool = False
    allow_private: bool = False
    allow_link_local: bool = False

    @classmethod
    def sandbox(cls) -> DestinationPolicy:
        """Sandbox: merchants on the same host or network; link-local (cloud metadata) denied."""
        return cls(allow_loopback=True, allow_private=True, allow_link_local=False)

    @classmethod
    def production(cls) -> DestinationPolicy:
        return cls(allow_loopback=False, allow_private=False, allow_link_local=False)

    def check(self, url: str) -> str | None:
        """``None`` if ``url``'s host is acceptable as far as can be told without DNS, else why not.

        Host names (other than ``localhost``) return ``None``: resolve them, then
        :meth:`check_ip` every address.
        """
        try:
            host = urlsplit(url).hostname
        except ValueError:
            return "malformed URL"
        if not host:
            return "URL has no host"
        if _is_localhost_name(host):
            return None if self.allow_loopback else f"loopback host {host!r} is not allowed"
        try:
            addr = ipaddress.ip_address(host.split("%", 1)[0])
        except ValueError:
            if ":" in host:
                return f"malformed IPv6 literal {host!r}"
            return None
        return self.check_ip(addr)

    def check_ip(self, ip: str | IPAddress) -> str | None:
        """``None`` if a (resolved) address is an allowed destination, else the reason.

        Raises ``ValueError`` if ``ip`` is not an IP address.
        """
        addr: IPAddress
        if isinstance(ip, ipaddress.IPv4Address | ipaddress.IPv6Address):
            addr = ip
        else:
            addr = ipaddress.ip_address(str(ip).split("%", 1)[0])
        if isinstance(addr, ipaddress.IPv6Address):
            if addr.ipv4_mapped is not None:
                addr = addr.ipv4_mapped
            elif addr in _NAT64:
                addr = ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF)
        if addr.is_multicast:
            return f"multicast address {addr} is not allowed"
        if addr.is_loopback or addr.is_unspecified:
            return None if self.allow_loopback else f"loopback address {addr} is not allowed"
        if addr.is_link_local:
            return None if self.allow_link_local else f"link-local address {addr} is not allowed"
        if addr.is_reserved:
            return f"reserved address {addr} is not allowed"
        site_local = isinstance(addr, ipaddress.IPv6Address) and addr.is_site_local
        if addr.is_private or site_local or not addr.is_global:
            return None if self.allow_private else f"private address {addr} is not allowed"
        return None
