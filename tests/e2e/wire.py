"""Raw SOAP over HTTP for the e2e tests: envelope strings in, (code, description, element) out.

Deliberately independent of openseqr.protocol, so the server is checked by a second codec.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from lxml import etree

from tests.fixtures_server import RunningServer

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "http://external.interfaces.ers.seamless.com/"
ALICE = {"msisdn": "46700000001", "pin": "1111"}


def context(principal: str, kind: str, password: str | None, user_id: str | None = None) -> str:
    user = f"<userId>{escape(user_id)}</userId>" if user_id is not None else ""
    pw = f"<password>{escape(password)}</password>" if password is not None else ""
    return (
        f"<context><clientRequestTimeout>0</clientRequestTimeout><initiatorPrincipalId>"
        f"<id>{escape(principal)}</id><type>{kind}</type>{user}</initiatorPrincipalId>{pw}"
        "</context>"
    )


TERMINAL = context("public_test_shop_terminal", "TERMINALID", "12345678")
RESELLER = context("public_test_shop", "RESELLERUSER", "1234", "9900")


def terminal(terminal_id: str, password: str) -> str:
    return context(terminal_id, "TERMINALID", password)


def envelope(op: str, inner: str = "", ctx: str | None = TERMINAL) -> str:
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns:ext="{TNS}"><soapenv:Header/>'
        f"<soapenv:Body><ext:{op}>{ctx or ''}{inner}</ext:{op}></soapenv:Body>"
        "</soapenv:Envelope>"
    )


def amount(value: str, currency: str = "SEK", tag: str = "totalAmount") -> str:
    return f"<{tag}><currency>{currency}</currency><value>{value}</value></{tag}>"


def invoice(
    total: str = "10.00", currency: str = "SEK", extra: str = "", mode: str = "IMMEDIATE_DEBIT"
) -> str:
    return (
        f"<invoice><paymentMode>{mode}</paymentMode><title>e2e</title>"
        f"<clientInvoiceId>e2e-{secrets.token_hex(3)}</clientInvoiceId>"
        f"{amount(total, currency)}<cashierId>Eve</cashierId>{extra}</invoice>"
    )


@dataclass
class Result:
    code: int
    description: str
    ret: Any  # the <return> element

    def text(self, name: str) -> str | None:
        return self.ret.findtext(name)


def call(
    server: RunningServer,
    op: str,
    inner: str = "",
    ctx: str | None = TERMINAL,
    headers: dict[str, str] | None = None,
) -> Result:
    r = server.client.post(
        "/soap/merchant/cashregister-2",
        content=envelope(op, inner, ctx),
        headers={"Content-Type": "text/xml; charset=utf-8", **(headers or {})},
    )
    return parse(r.status_code, r.content, op)


def parse(status: int, content: bytes, op: str) -> Result:
    assert status == 200, content[:500]
    body = etree.fromstring(content).find(f"{{{SOAP_NS}}}Body")
    resp = body[0]
    assert resp.tag == f"{{{TNS}}}{op}Response", resp.tag
    ret = resp.find("return")
    return Result(int(ret.findtext("resultCode")), ret.findtext("resultDescription") or "", ret)


def ok(result: Result) -> Result:
    assert (result.code, result.description) == (0, "SUCCESS"), (result.code, result.description)
    return result


def send(server: RunningServer, total: str = "10.00", ctx: str = TERMINAL, **kw: Any) -> str:
    ref = ok(call(server, "sendInvoice", invoice(total, **kw), ctx)).text("invoiceReference")
    assert ref
    return ref


def status(server: RunningServer, ref: str, ctx: str = TERMINAL) -> Result:
    inner = f"<invoiceReference>{ref}</invoiceReference><invoiceVersion>0</invoiceVersion>"
    return call(server, "getPaymentStatus", inner, ctx)


def pay(server: RunningServer, ref: str, who: dict[str, str] = ALICE) -> dict[str, Any]:
    r = server.app("POST", f"/invoices/{ref}/pay", json=who)
    assert r.status_code == 200, r.text
    return r.json()


def paid(server: RunningServer, total: str = "10.00") -> tuple[str, str]:
    """A PAID, acknowledged invoice: (invoiceReference, ersReference)."""
    ref = send(server, total)
    assert pay(server, ref)["status"] == "PAID"
    st = ok(status(server, ref))
    assert st.text("status") == "PAID"
    ers = st.text("ersReference")
    assert ers
    return ref, ers


def new_terminal(server: RunningServer) -> tuple[str, str]:
    password = secrets.token_urlsafe(10)
    res = ok(
        call(
            server,
            "registerTerminal",
            f"<externalTerminalId>e2e</externalTerminalId><password>{password}</password>"
            "<name>e2e till</name>",
            RESELLER,
        )
    )
    tid = res.text("terminalId")
    assert tid
    return tid, terminal(tid, password)
