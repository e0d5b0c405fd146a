"""A tiny External Service (spec 4.1) for the wallet tests, served by uvicorn in a thread.

Variants (path prefix = how the payment is triggered):

* ``link``       order page creates the invoice on GET and shows ``<a href="seqr://…">``
* ``redirect``   order page answers ``302 Location: seqr-demo://SEQR.SE/R…``
* ``form``       order page has ``<form data-seqr-order>``; its POST calls getClientSessionInfo
                 and sendInvoice, then answers ``303 Location: seqr://…``
* ``formpage``   same, the POST answers a page with a trigger link
* ``formmeta``   same, the POST answers a page with ``<meta http-equiv=refresh … seqr://…>``
* ``formjson``   same, the POST answers JSON ``{"trigger": "seqr://…"}`` (fetch()-style pages)
* ``wizard``     the order form's POST answers ``303 Location: SEQR-ACTION://WIZARD/CANCEL``

Its SOAP calls use ``openseqr.protocol.codec`` over httpx (no SDK). Notifications are answered
with getPaymentStatus (ES-12), which also acknowledges the payment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from openseqr.protocol import codec
from openseqr.protocol import messages as m
from openseqr.protocol.types import Amount, ClientContext, Invoice, PrincipalId

TERMINAL_ID, TERMINAL_PASSWORD = "public_test_shop_terminal", "12345678"
SOAP_PATH = "/soap/merchant/cashregister-2"
VARIANTS = ("link", "redirect", "form", "formpage", "formmeta", "formjson", "wizard")

ORDER_FORM = """<!doctype html>
<html><head><title>Parking</title></head><body>
<h1>City parking</h1>
<form data-seqr-order method="post" action="/{variant}/order">
  <input type="hidden" name="token">
  <select name="hours"><option value="1">1 hour</option>
    <option value="2" selected>2 hours</option></select>
  <button type="submit">Pay with SEQR</button>
</form>
<a href="SEQR-ACTION://WIZARD/CANCEL">Back to SEQR</a>
<script>
  var form = document.querySelector('form[data-seqr-order]');
  form.token.value = location.hash.slice(1).split('_')[0];
</script>
</body></html>"""


@dataclass
class FakeService:
    server_url: str
    url: str = ""
    log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    session_info: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    invoices: list[str] = field(default_factory=list)
    notifications: list[dict[str, str]] = field(default_factory=list)
    statuses: list[tuple[str, str | None]] = field(default_factory=list)
    _http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=15))

    # -- SOAP -----------------------------------------------------------------------------
    @staticmethod
    def context() -> ClientContext:
        return ClientContext(
            channel="WS",
            client_id="fake external service",
            client_request_timeout=0,
            initiator=PrincipalId(id=TERMINAL_ID, type="TERMINALID"),
            password=TERMINAL_PASSWORD,
        )

    def soap(self, request: Any) -> Any:
        response = self._http.post(
            self.server_url + SOAP_PATH,
            content=codec.encode_request(request),
            headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
        )
        return codec.decode_response(response.content, request)

    def client_session_info(self, token: str) -> tuple[int, dict[str, str]]:
        resp = self.soap(m.GetClientSessionInfoRequest(context=self.context(), key=token))
        result = (resp.result_code, dict(resp.parameters))
        self.session_info.append(result)
        return result

    def send_invoice(self, amount: str, title: str) -> str:
        resp = self.soap(
            m.SendInvoiceRequest(
                context=self.context(),
                invoice=Invoice(
                    title=title,
                    client_invoice_id=f"parking-{len(self.invoices) + 1}",
                    total_amount=Amount("SEK", Decimal(amount)),
                    notification_url=self.url + "/notify?shop=fake",
                ),
            )
        )
        assert resp.result_code == 0, resp
        self.invoices.append(resp.invoice_reference)
        return str(resp.invoice_reference)

    def payment_status(self, reference: str) -> str | None:
        resp = self.soap(
            m.GetPaymentStatusRequest(
                context=self.context(), invoice_reference=reference, invoice_version=0
            )
        )
        self.statuses.append((reference, resp.status))
        return resp.status

    # -- web ------------------------------------------------------------------------------
    async def _record(self, request: Request) -> dict[str, str]:
        form = dict(await request.form()) if request.method == "POST" else {}
        self.log.append((request.method, str(request.url), {k: str(v) for k, v in form.items()}))
        return {k: str(v) for k, v in form.items()}

    def app(self) -> Starlette:
        async def order_get(request: Request) -> Response:
            await self._record(request)
            variant = request.path_params["variant"]
            if variant == "link":
                ref = await _thread(self.send_invoice, "20.00", "Parking 1 h")
                return HTMLResponse(
                    f'<html><body><h1>Parking</h1><a href="/link/help">Help</a>'
                    f'<a href="seqr://SEQR.SE/R{ref}">Pay 20 kr</a>'
                    f'<a href="SEQR-ACTION://WIZARD/CANCEL">Back</a></body></html>'
                )
            if variant == "redirect":
                ref = await _thread(self.send_invoice, "20.00", "Parking 1 h")
                return RedirectResponse(f"seqr-demo://SEQR.SE/R{ref}", status_code=302)
            return HTMLResponse(ORDER_FORM.format(variant=variant))

        async def order_post(request: Request) -> Response:
            form = await self._record(request)
            variant = request.path_params["variant"]
            code, info = await _thread(self.client_session_info, form.get("token", ""))
            if code != 0:
                return HTMLResponse(f"<h1>session invalid ({code})</h1>", status_code=403)
            if variant == "wizard":
                return RedirectResponse("SEQR-ACTION://WIZARD/CANCEL", status_code=303)
            hours = int(form.get("hours", "1"))
            ref = await _thread(
                self.send_invoice,
                f"{20 * hours}.00",
                f"Parking {hours} h zone {info.get('zone', '?')}",
            )
            trigger = f"seqr://SEQR.SE/R{ref}"
            if variant == "formpage":
                return HTMLResponse(f'<p>Order placed.</p><a href="{trigger}">Pay now</a>')
            if variant == "formmeta":
                return HTMLResponse(
                    f'<html><head><meta http-equiv="Refresh" content="0; URL=\'{trigger}\'">'
                    f"</head><body>Redirecting…</body></html>"
                )
            if variant == "formjson":
                return JSONResponse({"invoiceReference": ref, "trigger": trigger})
            return RedirectResponse(trigger, status_code=303)

        async def result_page(request: Request) -> Response:
            await self._record(request)
            page = request.path_params["page"]
            return HTMLResponse(f"<html><body><h1 id='result'>{page}</h1></body></html>")

        async def notify(request: Request) -> Response:
            form = await self._record(request)
            self.notifications.append(form)
            await _thread(self.payment_status, form["invoiceReference"])  # ES-12
            return Response("OK")

        return Starlette(
            routes=[
                Route("/notify", notify, methods=["POST"]),
                Route("/{variant}/order", order_get, methods=["GET"]),
                Route("/{variant}/order", order_post, methods=["POST"]),
                Route("/{variant}/{page}", result_page, methods=["GET"]),
            ]
        )

    def urls(self, variant: str) -> dict[str, str]:
        base = f"{self.url}/{variant}"
        return {
            "order": f"{base}/order",
            "success": f"{base}/success",
            "failure": f"{base}/failure",
            "cancel": f"{base}/cancel",
        }

    def wait_for(self, what: str, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while not getattr(self, what):
            if time.monotonic() > deadline:
                raise AssertionError(f"fake service: no {what} within {timeout}s")
            time.sleep(0.05)


async def _thread(fn: Any, *args: Any) -> Any:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(fn, *args)
