"""Golden wire test: the SOAP requests of the spec examples (spec section 7), sent over real
HTTP to an `openseqr serve` process on 127.0.0.1, must answer byte-identical responses.

Each step's response (status line, content type and body bytes) is compared with
``tests/golden/soap/<NN>-<step>.txt``. Values that are random or time-dependent are replaced
before the comparison by :func:`normalise`, and only those: the text of the elements in
``_REFERENCE_TAGS`` (ids the server draws at random) becomes ``{tag#n}`` (n counts distinct
values, so "the same reference as before" is still checked), the text of ``_TIME_TAGS``
becomes ``{time}``, and the decoded report (base64 ``<content>``) is normalised the same way.
Every other byte must match.

Regenerate the golden files (after a deliberate wire change, reviewed in the diff) with::

    OPENSEQR_REGENERATE_GOLDEN=1 ./scripts/test tests/golden -q

The requests are the spec's own (imported from the spec-example unit test); where a spec
example elides a part (``<context>...</context>``) or names a reference that cannot exist on a
fresh server, the step substitutes the sandbox credentials or the reference an earlier step
received. Steps run in order against one server: the numbering is the scenario.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.fixtures_server import SOAP_PATH, RunningServer
from tests.support.servers import backend_server
from tests.unit.protocol import test_soap_spec_examples as spec

pytestmark = pytest.mark.slow

GOLDEN_DIR = Path(__file__).parent / "soap"
REGENERATE = os.environ.get("OPENSEQR_REGENERATE_GOLDEN", "").strip() not in {"", "0"}

TERMINAL_CTX = (
    "<context><clientRequestTimeout>0</clientRequestTimeout><initiatorPrincipalId>"
    "<id>public_test_shop_terminal</id><type>TERMINALID</type></initiatorPrincipalId>"
    "<password>12345678</password></context>"
)
RESELLER_CTX = (
    "<context><clientRequestTimeout>0</clientRequestTimeout><initiatorPrincipalId>"
    "<id>public_test_shop</id><type>RESELLERUSER</type><userId>9900</userId>"
    "</initiatorPrincipalId><password>1234</password></context>"
)
SPEC_INVOICE_REF = "20151225123456789"
SPEC_ERS_REF = "2015122512351234501000123"
SPEC_TERMINAL_ID = "2469e0bf14214797880cafb0eda1b535"
SPEC_PERIOD_ID = "2012102916093771801000146"
ALICE = {"msisdn": "46700000001", "pin": "1111"}

# ------------------------------------------------------------------------- normalisation

#: Elements whose text the server draws at random. Each distinct value becomes ``{tag#n}``
#: wherever it occurs afterwards (also inside the QR URL, a report title or a report).
_RANDOM_TAGS = (
    "invoiceReference",
    "ersReference",
    "paymentReference",
    "terminalId",
    "payerTerminalId",
    "transactionPeriodId",
)
#: Timestamps (ISO or the reports' "YYYY-MM-DD HH:MM"); only those within a day of the run
#: are replaced, so fixed dates echoed from a request (the spec's 2015 dates) stay verbatim.
_TIME_RE = re.compile(
    rb"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?"
)
_REPORT_RE = re.compile(rb"<content>([A-Za-z0-9+/=\s]+)</content>")


class Normaliser:
    """Replaces random ids by numbered placeholders and current times by ``{time}``."""

    def __init__(self) -> None:
        self.placeholders: dict[bytes, bytes] = {}
        self.today = datetime.now(UTC).date()

    def learn(self, body: bytes) -> None:
        for tag in _RANDOM_TAGS:
            for value in re.findall(rb"<%s>([^<{]+)</%s>" % (tag.encode(), tag.encode()), body):
                if value not in self.placeholders:
                    n = 1 + sum(
                        p.startswith(b"{%s#" % tag.encode()) for p in self.placeholders.values()
                    )
                    self.placeholders[value] = b"{%s#%d}" % (tag.encode(), n)

    def _is_now(self, m: re.Match[bytes]) -> bytes:
        day = datetime.strptime(m[0][:10].decode(), "%Y-%m-%d").date()
        return b"{time}" if abs((day - self.today).days) <= 1 else m[0]

    def text(self, body: bytes) -> bytes:
        for value, placeholder in sorted(self.placeholders.items(), key=lambda kv: -len(kv[0])):
            body = body.replace(value, placeholder)
        return _TIME_RE.sub(self._is_now, body)

    def __call__(self, body: bytes) -> bytes:
        """The normalised body; a base64 report is decoded and appended after a marker line."""
        self.learn(body)
        report = _REPORT_RE.search(body)
        if report is None:
            return self.text(body)
        decoded = base64.b64decode(report[1])
        self.learn(decoded)
        body = body.replace(report[1], b"{base64 of the report below}")
        return self.text(body) + b"\n\n--- <content>, base64-decoded ---\n" + self.text(decoded)


# ------------------------------------------------------------------------------ scenario


def reference(response: bytes, tag: str) -> str:
    m = re.search(rb"<%s>([^<]+)</%s>" % (tag.encode(), tag.encode()), response)
    assert m, f"no <{tag}> in {response[:400]!r}"
    return m[1].decode()


@dataclass
class Step:
    name: str
    request: Callable[[dict[str, str]], bytes]  # from the references received so far
    keep: tuple[str, ...] = ()  # response element texts to remember for later steps
    before: Callable[[RunningServer, dict[str, str]], None] | None = None


def _wrap(op_xml: str, **subst: str) -> Callable[[dict[str, str]], bytes]:
    """A spec example with its elided context filled in and ``subst`` values swapped in."""

    def build(refs: dict[str, str]) -> bytes:
        xml = op_xml.replace("<context>...RESELLERUSER context...</context>", RESELLER_CTX)
        xml = xml.replace("<context>...</context>", TERMINAL_CTX)
        for old, key in subst.items():
            xml = xml.replace(_SPEC_VALUES[old], refs[key])
        return spec.wrap_request(xml)

    return build


_SPEC_VALUES = {
    "invoice": SPEC_INVOICE_REF,
    "ers": SPEC_ERS_REF,
    "terminal": SPEC_TERMINAL_ID,
    "period": SPEC_PERIOD_ID,
}


def _verbatim(request: bytes) -> Callable[[dict[str, str]], bytes]:
    return lambda refs: request


def _gps(refs: dict[str, str], key: str) -> bytes:
    return spec.GPS_REQUEST.replace(SPEC_INVOICE_REF.encode(), refs[key].encode())


def _reservation_invoice(refs: dict[str, str]) -> bytes:
    return spec.SEND_INVOICE.replace(b"IMMEDIATE_DEBIT", b"RESERVATION_REQUIRED")


def _pay(key: str) -> Callable[[RunningServer, dict[str, str]], None]:
    def pay(server: RunningServer, refs: dict[str, str]) -> None:
        r = server.app("POST", f"/invoices/{refs[key]}/pay", json=ALICE)
        assert r.status_code == 200, r.text

    return pay


def _unregister(refs: dict[str, str]) -> bytes:
    return spec.wrap_request(spec.UNREGISTER.replace("87e791f9e24148a6892c52aa85bb0331", refs["T"]))


_SMALL_INVOICE = (
    "<invoice><paymentMode>IMMEDIATE_DEBIT</paymentMode><title>Tokens</title>"
    "<clientInvoiceId>tok-1</clientInvoiceId>"
    "<totalAmount><currency>SEK</currency><value>20.00</value></totalAmount>"
    "<cashierId>Bob</cashierId></invoice>"
)

STEPS: list[Step] = [
    Step("benchmarkingNop", _verbatim(spec.wrap_request("<ext:benchmarkingNop/>"))),
    Step("getClientSessionInfo-unknown-key", _verbatim(spec.GCSI_REQUEST)),
    Step("sendInvoice", _verbatim(spec.SEND_INVOICE), keep=("invoiceReference:A",)),
    Step(
        "sendInvoice-tokens",
        lambda refs: spec.wrap_request(
            spec.SEND_INVOICE_TOKENS.replace("<context>...</context>", TERMINAL_CTX).replace(
                "<invoice>...</invoice>", _SMALL_INVOICE
            )
        ),
        keep=("invoiceReference:B",),
    ),
    Step("getPaymentStatus-unknown", _verbatim(spec.GPS_REQUEST)),
    Step("getPaymentStatus-issued", lambda refs: _gps(refs, "A")),
    Step("updateInvoice", _wrap(spec.UPDATE, invoice="A")),
    Step(
        "getPaymentStatus-paid",
        lambda refs: _gps(refs, "A"),
        before=_pay("A"),
        keep=("ersReference:E",),
    ),
    Step("getPaymentStatus-paid-again", lambda refs: _gps(refs, "A")),
    Step("refundPayment", _wrap(spec.REFUND, ers="E"), keep=("ersReference:R",)),
    Step("refundPayment-unknown-ers", _wrap(spec.REFUND)),
    Step("submitPaymentReceipt", _wrap(spec.RECEIPT, ers="E")),
    Step("submitPaymentReceipt-unknown-ers", _wrap(spec.RECEIPT)),
    Step("cancelInvoice-paid", _wrap(spec.CANCEL, invoice="A")),
    Step("cancelInvoice", _wrap(spec.CANCEL, invoice="B")),
    Step("getPaymentStatus-canceled", lambda refs: _gps(refs, "B")),
    Step("cancelInvoice-unknown", _wrap(spec.CANCEL)),
    Step("sendInvoice-reservation", _reservation_invoice, keep=("invoiceReference:C",)),
    Step("getPaymentStatus-reserved", lambda refs: _gps(refs, "C"), before=_pay("C")),
    Step("commitReservation", _wrap(spec.COMMIT, invoice="C")),
    Step("getPaymentStatus-committed", lambda refs: _gps(refs, "C")),
    Step("commitReservation-unknown", _wrap(spec.COMMIT)),
    Step("registerTerminal", _verbatim(spec.wrap_request(spec.REGISTER)), keep=("terminalId:T",)),
    Step(
        "assignSeqrId",
        lambda refs: spec.wrap_request(
            spec.ASSIGN.replace(
                "<context>...</context>",
                TERMINAL_CTX.replace("public_test_shop_terminal", refs["T"]).replace(
                    "12345678", "Xq3vT9mLk2PzR7a"
                ),
            )
        ),
    ),
    Step("markTransactionPeriod", _wrap(spec.MARK, terminal="T"), keep=("transactionPeriodId:P",)),
    Step("executeReport", _wrap(spec.EXECUTE, terminal="T", period="P")),
    Step(
        "unregisterTerminal",
        _unregister,
    ),
    Step(
        "unregisterTerminal-again",
        _unregister,
    ),
    Step("markTransactionPeriod-unknown-terminal", _wrap(spec.MARK)),
    Step("executeReport-unknown-period", _wrap(spec.EXECUTE)),
    Step(
        "getPaymentStatus-wrong-password",
        _verbatim(spec.GPS_REQUEST.replace(b"12345678", b"wrong-password")),
    ),
    Step("malformed-xml", _verbatim(b"<soapenv:Envelope><not-closed>")),
    Step(
        "unknown-operation",
        _verbatim(spec.wrap_request(f"<ext:noSuchOperation>{TERMINAL_CTX}</ext:noSuchOperation>")),
    ),
]


# No worker: the spec's sendInvoice names https://service.example as its notification URL,
# which must never be called, and no deadline may fire between steps. Both backends answer the
# same bytes.
golden_server = backend_server({"OPENSEQR_WORKER": "false"})


def _render(response: httpx.Response, normalise: Normaliser) -> bytes:
    head = f"HTTP {response.status_code} {response.headers.get('content-type')}\n\n"
    return head.encode() + normalise(response.content)


def test_spec_examples_answer_the_golden_bytes(golden_server: RunningServer) -> None:
    normalise = Normaliser()
    refs: dict[str, str] = {}
    mismatches: list[str] = []
    names = []
    for number, step in enumerate(STEPS, start=1):
        if step.before:
            step.before(golden_server, refs)
        response = golden_server.soap(step.request(refs), SOAP_PATH)
        for item in step.keep:
            tag, key = item.split(":")
            refs[key] = reference(response.content, tag)
        actual = _render(response, normalise)
        path = GOLDEN_DIR / f"{number:02d}-{step.name}.txt"
        names.append(path.name)
        if REGENERATE:
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(actual)
        elif not path.exists() or path.read_bytes() != actual:
            mismatches.append(f"{path.name}:\n{actual.decode(errors='replace')}")
    stale = sorted({p.name for p in GOLDEN_DIR.glob("*.txt")} - set(names))
    if REGENERATE:  # (each backend writes the same files)
        for name in stale:
            (GOLDEN_DIR / name).unlink()
        stale = []
    assert not stale, f"golden files no step produces (delete them or regenerate): {stale}"
    assert not mismatches, "responses differ from the golden files:\n\n" + "\n\n".join(mismatches)
