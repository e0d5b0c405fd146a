"""The merchant SOAP endpoint: bytes → protocol → use case → protocol → bytes.

Business errors are result codes with HTTP 200; a SOAP Fault (HTTP 500) only for what cannot be
bound at all: unparsable or hostile XML, an unknown operation, a wrong method (D-43).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from lxml import etree
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import Scope, Send

from ..core import errors
from ..observability.metrics import LOAD_SHED
from ..observability.requests import annotate
from ..protocol import codec
from ..protocol import messages as m
from ..protocol.envelope import local_name, parse_body_element
from ..protocol.errors import InvalidValue, MalformedRequest, UnknownOperation
from ..protocol.result_codes import ResultCode
from ..protocol.types import Report
from ..protocol.wsdl import render_wsdl
from ..service import merchant, reports, sessions
from ..service.auth import Caller, authenticate_async, source_of
from ..service.context import Context
from . import soap_mapping
from .errors import result_code

log = logging.getLogger("openseqr.soap")
MAX_BODY = 1024 * 1024
XML = "text/xml; charset=utf-8"

RESPONSES: dict[str, type[m.ErsResponse]] = {
    cls.OPERATION: cls
    for cls in vars(m).values()
    if isinstance(cls, type) and issubclass(cls, m.ErsResponse) and cls.OPERATION
}


def _ok(op: str, **fields: Any) -> m.ErsResponse:
    return RESPONSES[op].of(ResultCode.SUCCESS, **fields)


def send_invoice(ctx: Context, caller: Caller, req: m.SendInvoiceRequest) -> m.ErsResponse:
    sent = merchant.send_invoice(
        ctx, caller, soap_mapping.invoice_draft(req.invoice), soap_mapping.tokens_in(req.tokens)
    )
    return _ok(req.OPERATION, invoice_qr_code=sent.qr_code, invoice_reference=sent.reference)


def get_payment_status(
    ctx: Context, caller: Caller, req: m.GetPaymentStatusRequest
) -> m.ErsResponse:
    inv = merchant.get_payment_status(ctx, caller, req.invoice_reference, req.invoice_version)
    paid = inv.status.value == "PAID"
    terminal = caller.require_terminal()
    return _ok(
        req.OPERATION,
        ers_reference=inv.ers_reference if paid else None,
        status=inv.status.value,
        receipt=soap_mapping.receipt(inv, terminal.name, ctx.config.zone) if paid else None,
        customer_tokens=soap_mapping.tokens_out(inv.tokens),
        version=inv.version,
    )


def update_invoice(ctx: Context, caller: Caller, req: m.UpdateInvoiceRequest) -> m.ErsResponse:
    merchant.update_invoice(
        ctx,
        caller,
        req.invoice_reference,
        soap_mapping.invoice_draft(req.invoice),
        soap_mapping.tokens_in(req.tokens) if req.tokens else None,
    )
    return _ok(req.OPERATION)


def cancel_invoice(ctx: Context, caller: Caller, req: m.CancelInvoiceRequest) -> m.ErsResponse:
    merchant.cancel_invoice(ctx, caller, req.invoice_reference)
    return _ok(req.OPERATION)


def commit_reservation(
    ctx: Context, caller: Caller, req: m.CommitReservationRequest
) -> m.ErsResponse:
    merchant.commit_reservation(
        ctx, caller, req.invoice_reference, soap_mapping.amount_draft(req.amount)
    )
    return _ok(req.OPERATION)


def submit_payment_receipt(
    ctx: Context, caller: Caller, req: m.SubmitPaymentReceiptRequest
) -> m.ErsResponse:
    doc = req.receipt_document
    merchant.submit_payment_receipt(
        ctx,
        caller,
        req.ers_reference,
        doc.mime_type if doc else None,
        doc.receipt_data if doc else None,
        doc.receipt_type if doc else None,
    )
    return _ok(req.OPERATION)


def refund_payment(ctx: Context, caller: Caller, req: m.RefundPaymentRequest) -> m.ErsResponse:
    refund = merchant.refund_payment(
        ctx, caller, req.ers_reference, soap_mapping.invoice_draft(req.invoice)
    )
    return _ok(req.OPERATION, ers_reference=refund.ers_reference)  # D-22


def register_terminal(
    ctx: Context, caller: Caller, req: m.RegisterTerminalRequest
) -> m.ErsResponse:
    terminal = merchant.register_terminal(
        ctx, caller, req.external_terminal_id, req.password, req.name
    )
    return _ok(req.OPERATION, terminal_id=terminal.terminal_id)


def unregister_terminal(
    ctx: Context, caller: Caller, req: m.UnregisterTerminalRequest
) -> m.ErsResponse:
    merchant.unregister_terminal(ctx, caller)
    return _ok(req.OPERATION)


def assign_seqr_id(ctx: Context, caller: Caller, req: m.AssignSeqrIdRequest) -> m.ErsResponse:
    merchant.assign_seqr_id(ctx, caller, req.seqr_id)
    return _ok(req.OPERATION)


def mark_transaction_period(
    ctx: Context, caller: Caller, req: m.MarkTransactionPeriodRequest
) -> m.ErsResponse:
    period = reports.mark_transaction_period(ctx, caller, req.parameters)
    return _ok(req.OPERATION, transaction_period_id=period.period_id)


def execute_report(ctx: Context, caller: Caller, req: m.ExecuteReportRequest) -> m.ErsResponse:
    doc = reports.execute_report(ctx, caller, req.report_id, req.parameters)
    report = Report(doc.title, doc.mime_type, doc.content, doc.content_string)
    return _ok(req.OPERATION, report=report)


def get_client_session_info(
    ctx: Context, caller: Caller, req: m.GetClientSessionInfoRequest
) -> m.ErsResponse:
    pairs = sessions.client_session_info(ctx, caller, req.key)
    return _ok(req.OPERATION, parameters=tuple(pairs))


def benchmarking_nop(
    ctx: Context, caller: Caller | None, req: m.BenchmarkingNopRequest
) -> m.ErsResponse:
    return _ok(req.OPERATION)


def unsupported(ctx: Context, caller: Caller, req: m.UnsupportedRequest) -> m.ErsResponse:
    # D-43e: only reached after authentication
    raise errors.Unsupported(f"{req.operation} is not supported by this service")


Handler = Callable[[Context, Any, Any], m.ErsResponse]
HANDLERS: dict[type, Handler] = {
    m.SendInvoiceRequest: send_invoice,
    m.GetPaymentStatusRequest: get_payment_status,
    m.UpdateInvoiceRequest: update_invoice,
    m.CancelInvoiceRequest: cancel_invoice,
    m.CommitReservationRequest: commit_reservation,
    m.SubmitPaymentReceiptRequest: submit_payment_receipt,
    m.RefundPaymentRequest: refund_payment,
    m.RegisterTerminalRequest: register_terminal,
    m.UnregisterTerminalRequest: unregister_terminal,
    m.AssignSeqrIdRequest: assign_seqr_id,
    m.MarkTransactionPeriodRequest: mark_transaction_period,
    m.ExecuteReportRequest: execute_report,
    m.GetClientSessionInfoRequest: get_client_session_info,
    m.BenchmarkingNopRequest: benchmarking_nop,
    m.UnsupportedRequest: unsupported,
}
# Operations that always pay for the KDF or build documents run off the event loop.
THREADED = {m.RegisterTerminalRequest, m.ExecuteReportRequest}
UNAUTHENTICATED = {m.BenchmarkingNopRequest}


def failure(op: str, code: ResultCode) -> m.ErsResponse:
    cls = RESPONSES.get(op)
    return cls.of(code) if cls else m.UnsupportedResponse.of(code, operation=op)


def _operation(req: Any) -> str:
    return req.operation if isinstance(req, m.UnsupportedRequest) else req.OPERATION


async def _authenticate(ctx: Context, req: Any, source: str) -> Caller | None:
    if type(req) in UNAUTHENTICATED:
        return None
    c = req.context
    p = c.initiator if c else None
    return await authenticate_async(
        ctx,
        p.type if p else None,
        p.id if p else None,
        p.user_id if p else None,
        c.password if c else None,
        source,
    )


async def handle(ctx: Context, req: Any, source: str, compat_2015: bool = False) -> m.ErsResponse:
    """Authenticate (the KDF off the loop), then run the operation; errors become codes."""
    op = _operation(req)
    try:
        caller = await _authenticate(ctx, req, source)
        if type(req) in THREADED:
            return await run_in_threadpool(HANDLERS[type(req)], ctx, caller, req)
        return HANDLERS[type(req)](ctx, caller, req)
    except errors.DomainError as exc:
        return failure(op, result_code(exc, compat_2015))
    except Exception:
        log.exception("unexpected error in %s", op)
        return failure(op, ResultCode.SYSTEM_ERROR)


Answer = tuple[int, bytes]  # HTTP status and SOAP envelope
_FAULT = 500


def fault(code: str, message: str) -> Response:
    status, payload = _fault(code, message)
    return Response(payload, status_code=status, media_type=XML)


def _fault(code: str, message: str) -> Answer:
    return _FAULT, codec.encode_fault(code, message)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise MalformedRequest("request body too large")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise MalformedRequest("request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


def _decode(body: bytes) -> Any:
    try:
        return codec.decode_request(body, max_bytes=MAX_BODY)
    except InvalidValue as exc:
        if exc.operation != "getPaymentStatus" or exc.path != "invoiceVersion":
            raise
    # D-13: an invalid invoiceVersion counts as absent (0). Rare path: drop it and decode again.
    op = parse_body_element(body, max_bytes=MAX_BODY)
    for child in list(op):
        if local_name(child.tag) == "invoiceVersion":
            op.remove(child)
    return codec.decode_request(etree.tostring(op.getroottree()), max_bytes=MAX_BODY)


_XML_HEADER = (b"content-type", XML.encode())
_COMPAT = b"x-openseqr-compat"


class SoapEndpoint:
    """The SOAP endpoint, twice: `post` for a POST whose body the edge has read (the hot path,
    A-66) and the Starlette endpoint (`endpoint`) for `GET ?wsdl` and the rest.

    Load shedding: at most `max_inflight` POSTs of this process are being worked on (from the
    complete body to the response); one more is answered with its operation's response carrying
    93 SYSTEM_BUSY. A client still sending its body holds no slot (A-28): the edge bounds how
    long it may take. The counter lives on the event loop's thread (an int, no lock).
    `max_inflight` <= 0 disables shedding."""

    def __init__(self, ctx: Context, max_inflight: int = 512) -> None:
        self.ctx, self.max_inflight = ctx, max_inflight
        self.inflight = 0

    async def post(
        self, scope: Scope, body: bytes, send: Send, headers: list[tuple[bytes, bytes]]
    ) -> int:
        """Answer a complete POST body on `send`, with `headers` added; the HTTP status."""
        if len(body) > MAX_BODY:
            status, payload = _fault("Client", "request body too large")
        else:
            status, payload = await self.answer(scope, body)
        length = (b"content-length", str(len(payload)).encode())
        await send(
            {"type": "http.response.start", "status": status,
             "headers": [length, _XML_HEADER, *headers]}
        )  # fmt: skip
        await send({"type": "http.response.body", "body": payload})
        return status

    async def endpoint(self, request: Request) -> Response:
        if request.method == "GET":
            return _get(request)
        try:
            body = await _read_body(request)
        except MalformedRequest as exc:
            return fault("Client", str(exc))
        except ClientDisconnect:
            return fault("Client", "the client went away before the request was complete")
        status, payload = await self.answer(request.scope, body)
        return Response(payload, status_code=status, media_type=XML)

    async def answer(self, scope: Scope, body: bytes) -> Answer:
        self.inflight += 1
        try:
            busy = self.max_inflight > 0 and self.inflight > self.max_inflight
            return await self._serve(scope, body, busy)
        except Exception:  # a bug: logged with its traceback, never shown to the client
            log.exception("unexpected error serving a SOAP request")
            return _fault("Server", "internal error")
        finally:
            self.inflight -= 1

    async def _serve(self, scope: Scope, body: bytes, busy: bool) -> Answer:
        try:
            req = _decode(body)
        except (MalformedRequest, UnknownOperation) as exc:
            return _fault("Client", str(exc))
        except InvalidValue as exc:
            # invoice fields → 49; anything else that cannot be converted → 90 (spec 11.1)
            code = (
                ResultCode.INVALID_INVOICE_DATA
                if exc.path.split("/", 1)[0] in ("invoice", "tokens", "amount")
                else ResultCode.SYSTEM_ERROR
            )
            return _answer(scope, failure(exc.operation or "benchmarkingNop", code))
        if busy:
            LOAD_SHED.inc()
            return _answer(scope, failure(_operation(req), ResultCode.SYSTEM_BUSY))
        compat = _header(scope, _COMPAT) == b"2015"
        client = scope.get("client")
        resp = await handle(self.ctx, req, source_of(client[0] if client else None), compat)
        return _answer(scope, resp)


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


def _answer(scope: Scope, resp: m.ErsResponse) -> Answer:
    op = resp.OPERATION if resp.OPERATION in RESPONSES else "unsupported"  # bounded label
    annotate(scope, soap_operation=op, soap_result_code=resp.result_code)
    return 200, codec.encode_response(resp)


def _get(request: Request) -> Response:
    query = {k.lower(): v for k, v in request.query_params.items()}
    if "wsdl" in query:
        variant = "2.6" if query.get("v") == "2.6" else "extended"
        address = str(request.url.replace(query=""))
        return Response(render_wsdl(address, variant), media_type=XML)
    return fault("Client", "POST a SOAP 1.1 envelope, or GET ?wsdl")
