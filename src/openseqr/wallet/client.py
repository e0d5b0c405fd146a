"""The app JSON API (D-46) as the SEQR app uses it: typed answers, one exception per error kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from . import errors as we

API_PREFIX = "/api/app/v1"
USER_AGENT = "openseqr-headless-wallet/0.1 (SEQR app)"


@dataclass(frozen=True)
class Invoice:
    """What the app shows before the PIN ("get invoice brief")."""

    reference: str
    status: str  # wire status: ISSUED, PAID, PENDING_ISSUER_ACKNOWLEDGE, CANCELED, FAILED, RESERVED
    version: int | None
    merchant: str
    title: str | None
    amount: Decimal | None
    currency: str | None
    footer: str | None = None
    back_url: str | None = None
    ers_reference: str | None = None
    reason: str | None = None
    awaiting_merchant: bool = False
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Invoice:
        total = data.get("total") or {}
        value = total.get("value")
        return cls(
            reference=str(data["reference"]),
            status=str(data["status"]),
            version=data.get("version"),
            merchant=data.get("merchant") or "",
            title=data.get("title"),
            amount=Decimal(value) if value is not None else None,
            currency=total.get("currency"),
            footer=data.get("footer"),
            back_url=data.get("back_url"),
            ers_reference=data.get("ers_reference"),
            reason=data.get("reason"),
            awaiting_merchant=bool(data.get("awaiting_merchant")),
            raw=data,
        )

    def describe(self) -> str:
        amount = f"{self.amount:.2f} {self.currency}" if self.amount is not None else "?"
        title = f" '{self.title}'" if self.title else ""
        return f"R{self.reference} {amount} to {self.merchant or '?'}{title} [{self.status}]"


@dataclass(frozen=True)
class Waiting:
    """A terminal sticker with no invoice yet ("waiting for amount...")."""

    terminal: str
    seqr_id: str


@dataclass(frozen=True)
class ServiceSession:
    """ES-2: the resolved service QR: four URLs and the TOKEN."""

    service_id: str
    name: str
    token: str
    state: str
    order_url: str  # already carries #TOKEN (U6)
    success_url: str
    failure_url: str
    cancel_url: str
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ServiceSession:
        session, service = data["session"], data["service"]
        return cls(
            service_id=service["id"],
            name=service.get("name") or "",
            token=session["token"],
            state=session.get("state") or "",
            order_url=data["order_url"],
            success_url=data["success_url"],
            failure_url=data["failure_url"],
            cancel_url=data["cancel_url"],
            raw=data,
        )


ScanResult = Invoice | Waiting | ServiceSession

_BY_STATUS: dict[int, type[we.WalletError]] = {
    400: we.BadRequest,
    413: we.BadRequest,
    422: we.BadRequest,
    401: we.WrongPin,
    404: we.NotFound,
    423: we.PinLocked,
    503: we.ProviderUnavailable,
}


def _error(response: httpx.Response) -> we.WalletError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    name = body.get("error") if isinstance(body, dict) else None
    message = (body.get("message") if isinstance(body, dict) else None) or response.text[:200]
    status = response.status_code
    if status == 401 and name == "NotSignedIn":
        return we.NotSignedIn(message or "sign in", status_code=status, error=name)
    if status == 409:
        cls: type[we.WalletError] = we.InvoiceChanged if name == "InvoiceChanged" else we.NotPayable
        if name == "NotPayable" and "Not a valid SEQR code" in (message or ""):
            cls = we.InvalidCode
    elif status == 503 and name != "ProviderUnavailable":
        cls = we.ServerUnreachable  # Busy
    else:
        cls = _BY_STATUS.get(status, we.WalletError)
    return cls(message or f"HTTP {status}", status_code=status, error=name)


class AppClient:
    """Thin typed client of `/api/app/v1` on `server_url`, over an `httpx.Client`.

    `login` keeps the session token; calls that act for the customer send it (A-15)."""

    def __init__(self, server_url: str, http: httpx.Client) -> None:
        self.server_url = server_url.rstrip("/")
        self.http = http
        self.token: str | None = None

    def _call(self, method: str, path: str, *, signed: bool = False, **kw: Any) -> Any:
        url = self.server_url + API_PREFIX + path
        if signed:
            if self.token is None:
                raise we.NotSignedIn("sign in first")
            kw["headers"] = {"Authorization": f"Bearer {self.token}"}
        try:
            response = self.http.request(method, url, follow_redirects=False, **kw)
        except httpx.HTTPError as exc:
            raise we.ServerUnreachable(f"{method} {url}: {exc}") from exc
        if response.status_code >= 400:
            raise _error(response)
        try:
            return response.json()
        except ValueError:
            raise we.WalletError(
                f"{method} {url}: not JSON (HTTP {response.status_code})",
                status_code=response.status_code,
            ) from None

    def login(self, msisdn: str, pin: str) -> dict[str, Any]:
        """`POST /login`: the PIN once, then the token for everything but paying."""
        result: dict[str, Any] = self._call("POST", "/login", json={"msisdn": msisdn, "pin": pin})
        self.token = str(result["token"])
        return result

    def scan(self, code: str) -> ScanResult:
        data = self._call("POST", "/scan", json={"code": code}, signed=True)
        kind = data.get("kind")
        if kind == "invoice":
            return Invoice.from_json(data["invoice"])
        if kind == "waiting":
            return Waiting(terminal=data.get("terminal") or "", seqr_id=data.get("seqr_id") or "")
        if kind == "service":
            return ServiceSession.from_json(data)
        raise we.WalletError(f"unexpected scan answer: {data!r}")

    def invoice(self, reference: str, *, as_customer: bool = True) -> Invoice:
        """As the customer: binds them as payer (T2) and attaches their stored tokens; else
        only shows the invoice."""
        return Invoice.from_json(self._call("GET", f"/invoices/{reference}", signed=as_customer))

    def pay(self, reference: str, msisdn: str, pin: str, version: int | None) -> Invoice:
        body: dict[str, Any] = {"msisdn": msisdn, "pin": pin}
        if version is not None:
            body["version"] = version
        return Invoice.from_json(self._call("POST", f"/invoices/{reference}/pay", json=body))

    def cancel(self, reference: str, msisdn: str, pin: str) -> Invoice:
        return Invoice.from_json(
            self._call("POST", f"/invoices/{reference}/cancel", json={"msisdn": msisdn, "pin": pin})
        )

    def cancel_session(self, token: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call(
            "POST", f"/sessions/{token}/cancel", json={}, signed=True
        )
        return result

    def confirm_session(self, token: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", f"/sessions/{token}/confirm", signed=True)
        return result

    def wallet(self, msisdn: str, pin: str) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "/wallet", json={"msisdn": msisdn, "pin": pin})
        return result


__all__ = ["AppClient", "Invoice", "Waiting", "ServiceSession", "ScanResult", "USER_AGENT"]
