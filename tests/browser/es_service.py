"""A small External Service (spec 4.1) for the browser tests: real pages that include the SEQR
bridge (`/app/static/seqr-bridge.js` of the SEQR server) and a backend that uses the SDK.

Order-page modes (the `mode` query parameter of the registered Order URL), one per way a page
hands the trigger to the wallet:

* ``form``      `<form data-seqr-order>`; the bridge submits it with fetch and follows the
                JSON answer `{"trigger": "seqr://…"}`
* ``link``      the page's own JS asks its backend for the invoice, then shows a plain
                `<a href="seqr://…">` link (the bridge catches the click)
* ``location``  the page's own JS sets `location.href = "seqr://…"` (Navigation API) — falls
                back to `SEQR.go()` when the browser has no Navigation API

Every page has "Leave" = `<a href="SEQR-ACTION://WIZARD/CANCEL">`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from decimal import Decimal

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from openseqr.sdk import InvoiceRow, SeqrClient
from openseqr.sdk.errors import SeqrError

TERMINAL_ID, TERMINAL_PASSWORD = "public_test_shop_terminal", "12345678"

STYLE = """
body{font-family:system-ui,"DejaVu Sans",sans-serif;margin:0;background:#fff8ee;color:#222}
header{background:#c75000;color:#fff;padding:12px 16px;font-weight:700}
main{padding:16px}h1{font-size:1.3rem;margin:0 0 8px}
label{display:block;margin:8px 0 4px;font-weight:600}
select,button,.btn{display:block;width:100%;box-sizing:border-box;font:inherit;padding:12px;
 border-radius:10px;margin:8px 0;text-align:center;text-decoration:none}
button,.btn.pay{background:#c75000;color:#fff;border:0;font-weight:700}
.btn.leave{border:1px solid #c75000;color:#c75000;background:#fff}
.muted{color:#666;font-size:.9rem;overflow-wrap:anywhere}
"""


def _page(seqr_url: str, title: str, body: str, script: str = "") -> HTMLResponse:
    return HTMLResponse(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title><style>{STYLE}</style>
<script src="{html.escape(seqr_url)}/app/static/seqr-bridge.js"></script>
</head><body><header>Test parking</header><main>{body}</main>
<script>{script}</script></body></html>""",
        headers={"Cache-Control": "no-store"},
    )


LEAVE = '<a class="btn leave" id="leave" href="SEQR-ACTION://WIZARD/CANCEL">Leave</a>'


@dataclass
class EsService:
    seqr_url: str
    url: str = ""
    invoices: list[str] = field(default_factory=list)
    notified: list[str] = field(default_factory=list)
    statuses: dict[str, str] = field(default_factory=dict)
    sessions: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.client = SeqrClient(self.seqr_url, TERMINAL_ID, TERMINAL_PASSWORD, timeout=15)

    def urls(self, mode: str) -> dict[str, str]:
        return {
            "order": f"{self.url}/order?mode={mode}",
            "success": f"{self.url}/success",
            "failure": f"{self.url}/failure",
            "cancel": f"{self.url}/cancel",
        }

    # -- backend -----------------------------------------------------------------------------
    def create_order(self, token: str, hours: int) -> dict[str, str]:
        info = self.client.get_client_session_info(token)
        self.sessions.append(info)
        price = Decimal(15) * hours
        sent = self.client.send_invoice(
            price,
            "SEK",
            title=f"Parking zone {info.get('zone', '?')}, {hours} h",
            rows=[InvoiceRow(f"Parking {hours} h", quantity=hours, unit_price=Decimal(15))],
            client_invoice_id=f"park-{len(self.invoices) + 1}",
            notification_url=f"{self.url}/notify",
            footer="Ticket code: on this receipt.",
        )
        self.invoices.append(sent.reference)
        return {"trigger": sent.deep_link, "invoiceReference": sent.reference}

    def app(self) -> Starlette:
        seqr = self.seqr_url

        async def order(request: Request) -> Response:
            mode = request.query_params.get("mode", "form")
            if mode == "form":
                body = f"""<h1>Zone 5 &middot; City centre</h1>
<form data-seqr-order method="post" action="/api/order">
  <input type="hidden" name="token">
  <label for="hours">How long?</label>
  <select id="hours" name="hours"><option value="1">1 hour &ndash; 15 kr</option>
    <option value="2" selected>2 hours &ndash; 30 kr</option></select>
  <button type="submit" id="pay">Pay with SEQR</button>
</form>{LEAVE}<p class="muted" id="token"></p>"""
                script = (
                    "document.getElementById('token').textContent='Session '+SEQR.token();"
                    "document.querySelector('form').token.value=SEQR.token();"
                )
                return _page(seqr, "Order", body, script)
            body = f"""<h1>Zone 5 &middot; City centre</h1>
<p>1 hour &ndash; 15 kr</p><button type="button" id="order">Order 1 hour</button>
<a class="btn pay" id="paylink" hidden>Open SEQR to pay</a>{LEAVE}
<p class="muted" id="token"></p>"""
            script = """
document.getElementById('token').textContent = 'Session ' + SEQR.token();
document.getElementById('order').onclick = function () {
  fetch('/api/order', {method: 'POST', headers: {'Accept': 'application/json',
    'Content-Type': 'application/x-www-form-urlencoded'},
    body: 'hours=1&token=' + encodeURIComponent(SEQR.token())})
  .then(function (r) { return r.json(); }).then(function (d) {
    var a = document.getElementById('paylink'); a.href = d.trigger; a.hidden = false;
    if (MODE === 'location') {
      if (window.navigation) location.href = d.trigger; else SEQR.go(d.trigger);
    }
  });
};"""
            return _page(seqr, "Order", body, f"var MODE={mode!r};" + script)

        async def api_order(request: Request) -> Response:
            form = await request.form()
            try:
                result = await run_in_threadpool(
                    self.create_order, str(form.get("token", "")), int(str(form.get("hours", 1)))
                )
            except SeqrError as exc:
                return JSONResponse({"error": type(exc).__name__, "message": str(exc)}, 409)
            return JSONResponse(result)

        async def status(request: Request) -> Response:
            ref = request.query_params.get("ref", "")
            st = await run_in_threadpool(self.client.get_payment_status, ref)
            self.statuses[ref] = st.status.value
            return JSONResponse({"status": st.status.value, "ers": st.ers_reference})

        async def notify(request: Request) -> Response:
            # ES-11/ES-12: whatever the body's format, acknowledge with getPaymentStatus.
            await request.body()
            self.notified.append(request.url.query)
            for ref in list(self.invoices):
                if self.statuses.get(ref) not in ("PAID", "CANCELED", "FAILED"):
                    st = await run_in_threadpool(self.client.get_payment_status, ref)
                    self.statuses[ref] = st.status.value
            return Response("OK")

        async def success(request: Request) -> Response:
            body = """<h1>Thank you!</h1><p id="state">Checking your payment&hellip;</p>
<p class="muted" id="frag"></p><a class="btn leave" href="SEQR-ACTION://WIZARD/CANCEL">Done</a>"""
            script = """
var f = SEQR.fragment();
document.getElementById('frag').textContent = 'Session ' + f.token + ' · invoice ' + f.reference;
fetch('/api/status?ref=' + encodeURIComponent(f.reference)).then(function (r) { return r.json(); })
 .then(function (d) { document.getElementById('state').textContent =
   d.status === 'PAID' ? 'Your parking is paid. Ticket ' + d.ers : 'Status: ' + d.status; });"""
            return _page(seqr, "Paid", body, script)

        async def ending(request: Request) -> Response:
            what = request.url.path.strip("/")
            body = (
                f"<h1 id='ending'>{'Payment failed' if what == 'failure' else 'Cancelled'}</h1>"
                f"<p class='muted' id='frag'></p>{LEAVE}"
            )
            script = "document.getElementById('frag').textContent='Session '+SEQR.token();"
            return _page(seqr, what, body, script)

        async def probe(request: Request) -> Response:
            return Response("ok")

        return Starlette(
            routes=[
                Route("/order", order),
                Route("/api/order", api_order, methods=["POST"]),
                Route("/api/status", status),
                Route("/notify", notify, methods=["GET", "POST"]),
                Route("/success", success),
                Route("/failure", ending),
                Route("/cancel", ending),
                Route("/probe", probe),
            ]
        )
