"""A small, seeded generator of hostile SOAP requests: valid requests of every operation, mutated.

Each input starts from a valid request (real invoice and ers references where the operation needs
one) and gets one to three mutations: a field's text replaced by a wrong type, a huge, negative or
out-of-range number, an impossible date, a very long or odd Unicode string; an element removed,
duplicated, renamed, moved to another namespace or nested deeply; or the serialized bytes broken
(invalid UTF-8, surrogate and NUL character references, a wrong encoding declaration).

The `context` (principal and password) is only mutated after swapping in a principal that does not
exist or a terminal registered for the purpose, so wrong passwords never throttle the real
terminal and the fuzz keeps reaching the use cases instead of the authentication check.
"""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from lxml import etree

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
TNS = "http://external.interfaces.ers.seamless.com/"
TERMINAL = ("public_test_shop_terminal", "TERMINALID", "12345678", None)
RESELLER = ("public_test_shop", "RESELLERUSER", "1234", "9900")
MODES = (
    "IMMEDIATE_DEBIT",
    "RESERVATION_DESIRED",
    "RESERVATION_REQUIRED",
    "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
)

#: replacement texts: wrong types, edges of every range, odd Unicode (all valid XML characters)
HOSTILE_TEXTS = (
    "",
    " ",
    "abc",
    "-1",
    "0",
    "-0",
    "1",
    "2147483647",
    "2147483648",
    "-2147483649",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "99999999999999",
    "9" * 40,
    "-" + "9" * 40,
    "1e5",
    "NaN",
    "Infinity",
    "0x10",
    "1,5",
    "10.001",
    "0.00000000000000000000001",
    "1" + "0" * 30 + ".00",
    "0001-01-01T00:00:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:59:59-14:00",
    "1969-12-31T23:59:59Z",
    "2015-13-45T25:61:61",
    "2015-02-29T00:00:00",
    "2015-12-25T12:34:56+15:00",
    "2015-12-25T12:34:56.123456789+01:00",
    "2015-12-25",
    "SEK",
    "sek",
    "XXX",
    "SSEK",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox",
    "http://",
    "http://127.0.0.1:1/notify",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:1/x",
    "https://merchant.example/notify?a=1#frag",
    "myapp://paid",
    "IMMEDIATE_DEBIT",
    "RESERVATION_DESIRED",
    "RESERVATION_REQUIRED",
    "RESERVATION_REQUIRED_PRELIMINARY_AMOUNT",
    "NO_ACKNOWLEDGMENT",
    "REQUIRE_ACKNOWLEDGMENT",
    "TERMINALID",
    "RESELLERUSER",
    "\u202eevil\u202c",
    "\u00e5\u00e4\u00f6 \u20ac \U0001f600",
    "\U0001f600" * 300,
    "\ufeff",
    "\u0301" * 50,
    "a" * 256,
    "a" * 5000,
    "x" * 100_000,
    "<not>markup</not>",
    "&amp;&lt;",
    "'; DROP TABLE invoices; --",
    "%00%ff",
    "\t\n\r",
)

NUMBERS = tuple(t for t in HOSTILE_TEXTS[:24] if t.strip())
DATES = tuple(t for t in HOSTILE_TEXTS if t[:1].isdigit() and "T" in t) + ("2015-12-25",)
URLS = tuple(t for t in HOSTILE_TEXTS if ":" in t and not t[:1].isdigit()) + ("", "x" * 3000)
#: fields with a type or a range of their own, and the values at their edges
TYPED_FIELDS: dict[str, tuple[str, ...]] = {
    "issueDate": DATES,
    "commitReservationTimeout": NUMBERS,
    "invoiceVersion": NUMBERS,
    "clientRequestTimeout": NUMBERS,
    "status": NUMBERS,
    "value": NUMBERS,
    "itemQuantity": NUMBERS,
    "itemTaxRate": NUMBERS,
    "currency": ("SEK", "sek", "XXX", "SSEK", "JPY", "BHD", "", "S" * 300),
    "paymentMode": MODES + ("", "NONE", "immediate_debit"),
    "acknowledgmentMode": ("NO_ACKNOWLEDGMENT", "REQUIRE_ACKNOWLEDGMENT", "", "x"),
    "backURL": URLS,
    "notificationUrl": URLS,
    "receiptData": ("", "====", "aGVsbG8", "a" * 4001, "\u00e5"),
}

#: byte-level breakage (applied to the serialized request)
BYTE_BREAKS = (
    b"\xff\xfe",
    b"\xc0\xaf",  # overlong encoding
    b"\xed\xa0\x80",  # an encoded surrogate
    b"&#xD800;",
    b"&#x0;",
    b"&#xFFFE;",
    b"\x00",
    b"&undefined;",
    b"]]>",
)


@dataclass
class Pools:
    """Real identifiers the server knows, so mutated requests reach the use cases."""

    invoices: list[str] = field(default_factory=list)
    ers: list[str] = field(default_factory=list)
    spare_terminals: list[tuple[str, str, str]] = field(default_factory=list)
    victim: str | None = None  # a terminal whose context may be mutated (and throttled)

    def pick(self, rng: random.Random, kind: str) -> str:
        pool = getattr(self, kind)
        if pool and rng.random() < 0.9:
            return rng.choice(pool)
        return rng.choice(("", "12345678901234567", "0", "x" * 300))


def _ctx(principal: tuple[str, str, str, str | None]) -> str:
    pid, kind, password, user = principal
    user_el = f"<userId>{user}</userId>" if user else ""
    return (
        "<context><channel>fuzz</channel><clientRequestTimeout>0</clientRequestTimeout>"
        f"<initiatorPrincipalId><id>{pid}</id><type>{kind}</type>{user_el}"
        f"</initiatorPrincipalId><password>{password}</password></context>"
    )


def _amount(tag: str, value: str, currency: str = "SEK") -> str:
    return f"<{tag}><currency>{currency}</currency><value>{value}</value></{tag}>"


def _invoice(rng: random.Random) -> str:
    rows = "".join(
        "<invoiceRow><itemDescription>item</itemDescription>"
        f"{_amount('itemDiscount', '0.00')}<itemEAN>7310865004703</itemEAN>"
        "<itemQuantity>2</itemQuantity><itemSKU>sku</itemSKU><itemTaxRate>0.25</itemTaxRate>"
        f"{_amount('itemTotalAmount', '5.00')}<itemUnit>st</itemUnit>"
        f"{_amount('itemUnitPrice', '2.50')}</invoiceRow>"
        for _ in range(rng.randint(0, 2))
    )
    timeout = "<commitReservationTimeout>3600</commitReservationTimeout>"
    return (
        f"<invoice><paymentMode>{rng.choice(MODES)}</paymentMode>"
        "<acknowledgmentMode>NO_ACKNOWLEDGMENT</acknowledgmentMode>"
        "<issueDate>2015-12-25T12:34:56</issueDate><title>fuzz</title>"
        f"<clientInvoiceId>fuzz-{rng.randrange(10**6)}</clientInvoiceId>"
        f"<invoiceRows>{rows}</invoiceRows>{_amount('totalAmount', '10.00')}"
        "<cashierId>Eve</cashierId><footer>thanks</footer>"
        "<backURL>https://merchant.example/done</backURL>"
        "<notificationUrl>http://127.0.0.1:9/notify?order=1</notificationUrl>"
        f"{timeout if rng.random() < 0.5 else ''}</invoice>"
    )


def _tokens() -> str:
    return (
        "<tokens><description>card</description><id>X_CARD</id><status>0</status>"
        "<value>2610411111110</value></tokens>"
    )


def _params() -> str:
    return (
        "<parameters><parameter><entry><key>from</key><value>2015-12-25T00:00:00</value>"
        "</entry></parameter></parameters>"
    )


Body = Callable[[random.Random, Pools], tuple[tuple[str, str, str, str | None], str]]

OPERATIONS: dict[str, tuple[float, Body]] = {
    # operation: (weight, body builder returning (principal, inner XML)); registering and
    # unregistering pay for the password KDF, so they are rarer
    "sendInvoice": (
        8,
        lambda r, p: (TERMINAL, _invoice(r) + (_tokens() if r.random() < 0.3 else "")),
    ),
    "updateInvoice": (
        4,
        lambda r, p: (
            TERMINAL,
            f"<invoiceReference>{p.pick(r, 'invoices')}</invoiceReference>{_invoice(r)}{_tokens()}",
        ),
    ),
    "getPaymentStatus": (
        5,
        lambda r, p: (
            TERMINAL,
            f"<invoiceReference>{p.pick(r, 'invoices')}</invoiceReference>"
            f"<invoiceVersion>{r.randint(0, 3)}</invoiceVersion>",
        ),
    ),
    "cancelInvoice": (
        2,
        lambda r, p: (TERMINAL, f"<invoiceReference>{p.pick(r, 'invoices')}</invoiceReference>"),
    ),
    "commitReservation": (
        3,
        lambda r, p: (
            TERMINAL,
            f"{_amount('amount', '5.00')}<invoiceReference>{p.pick(r, 'invoices')}"
            "</invoiceReference>",
        ),
    ),
    "submitPaymentReceipt": (
        2,
        lambda r, p: (
            TERMINAL,
            f"<ersReference>{p.pick(r, 'ers')}</ersReference><receiptDocument>"
            "<mimeType>text/plain</mimeType><receiptData>aGVsbG8=</receiptData>"
            "<receiptType>RECEIPT</receiptType></receiptDocument>",
        ),
    ),
    "refundPayment": (
        3,
        lambda r, p: (TERMINAL, f"<ersReference>{p.pick(r, 'ers')}</ersReference>{_invoice(r)}"),
    ),
    "registerTerminal": (
        0.2,
        lambda r, p: (
            RESELLER,
            "<externalTerminalId>fuzz</externalTerminalId><password>fuzzpass</password>"
            "<name>fuzz till</name>",
        ),
    ),
    "unregisterTerminal": (
        0.3,
        lambda r, p: (
            (*p.spare_terminals.pop(), None)
            if p.spare_terminals and r.random() < 0.5
            else ("not-a-terminal", "TERMINALID", "x", None),
            "",
        ),
    ),
    "assignSeqrId": (2, lambda r, p: (TERMINAL, f"<seqrId>fuzz{r.randrange(1000)}</seqrId>")),
    "markTransactionPeriod": (1, lambda r, p: (r.choice((TERMINAL, RESELLER)), _params())),
    "executeReport": (
        1,
        lambda r, p: (
            r.choice((TERMINAL, RESELLER)),
            f"<reportId>{r.choice(('STD_RECON_001', 'Terminal', 'Shop', 'nope'))}</reportId>"
            f"<language>en</language>{_params()}",
        ),
    ),
    "getClientSessionInfo": (2, lambda r, p: (TERMINAL, "<key>1234567890-12345678</key>")),
    "benchmarkingNop": (1, lambda r, p: (TERMINAL, "")),
    "requestTopup": (1, lambda r, p: (TERMINAL, "")),
}


def _envelope(op: str, principal: tuple[str, str, str, str | None], inner: str) -> bytes:
    ctx = _ctx(principal) if op != "benchmarkingNop" else ""
    return (
        f'<soapenv:Envelope xmlns:soapenv="{SOAP_NS}" xmlns:ext="{TNS}"><soapenv:Header/>'
        f"<soapenv:Body><ext:{op}>{ctx}{inner}</ext:{op}></soapenv:Body></soapenv:Envelope>"
    ).encode()


# ----------------------------------------------------------------------------- tree mutations


def _targets(op_el: etree._Element, with_context: bool) -> list[etree._Element]:
    """Elements a mutation may hit: the operation's children and below, at most 300 deep."""
    out: list[etree._Element] = []
    stack = [(c, 1) for c in op_el if isinstance(c.tag, str)]
    while stack:
        el, depth = stack.pop()
        if el.tag == "context" and not with_context:
            continue
        out.append(el)
        if depth < 300:
            stack.extend((c, depth + 1) for c in el if isinstance(c.tag, str))
    return out


def _set_text(rng: random.Random, el: etree._Element) -> None:
    for child in list(el):
        el.remove(child)
    el.text = rng.choice(HOSTILE_TEXTS)


def _typed(rng: random.Random, el: etree._Element) -> None:
    """An edge value of the field's own type (only applied to a field in TYPED_FIELDS)."""
    el.text = rng.choice(TYPED_FIELDS[etree.QName(el).localname])


def _remove(rng: random.Random, el: etree._Element) -> None:
    parent = el.getparent()
    if parent is not None:
        parent.remove(el)


def _duplicate(rng: random.Random, el: etree._Element) -> None:
    parent = el.getparent()
    if parent is not None:
        for _ in range(rng.choice((1, 1, 2, 50))):
            twin = copy.deepcopy(el)
            if rng.random() < 0.5:
                _set_text(rng, twin)
            parent.insert(parent.index(el) + 1, twin)


def _namespace(rng: random.Random, el: etree._Element) -> None:
    local = etree.QName(el).localname
    ns = rng.choice((TNS, "urn:wrong", SOAP_NS, None))
    el.tag = f"{{{ns}}}{local}" if ns else local


def _rename(rng: random.Random, el: etree._Element) -> None:
    el.tag = rng.choice(("invoice", "totalAmount", "value", "entry", "parameters", "x", "amount"))


_HUGE = etree.XMLParser(huge_tree=True)


def _nest(rng: random.Random, el: etree._Element) -> None:
    depth = rng.choice((3, 50, 200, 255, 300, 2000))
    tag = rng.choice(("invoice", "invoiceRows", "invoiceRow", "x", etree.QName(el).localname))
    xml = f"<{tag}>" * depth + "1" + f"</{tag}>" * depth
    el.append(etree.fromstring(xml, _HUGE))


def _attribute(rng: random.Random, el: etree._Element) -> None:
    el.set(f"{{http://www.w3.org/2001/XMLSchema-instance}}{rng.choice(('nil', 'type'))}", "true")


TREE_MUTATIONS = (
    (_typed, 10),
    (_set_text, 10),
    (_remove, 3),
    (_duplicate, 3),
    (_namespace, 2),
    (_rename, 2),
    (_nest, 2),
    (_attribute, 1),
)


def _break_bytes(rng: random.Random, data: bytes) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:  # a broken sequence inside a text node
        i = data.rfind(b"</", 0, rng.randrange(len(data)) + 1)
        return data[:i] + rng.choice(BYTE_BREAKS) + data[i:] if i > 0 else data
    if kind == 1:
        return (
            b'<?xml version="1.0" encoding="'
            + rng.choice((b"UTF-16", b"bogus", b"latin1"))
            + (b'"?>' + data)
        )
    if kind == 2:
        return data[: rng.randrange(len(data))]  # truncated
    return data.replace(SOAP_NS.encode(), b"http://www.w3.org/2003/05/soap-envelope")


def _with_other_principal(rng: random.Random, op_el: etree._Element, pools: Pools) -> None:
    for el in op_el.iter("id"):
        if el.getparent() is not None and el.getparent().tag == "initiatorPrincipalId":
            victim = pools.victim if rng.random() < 0.7 else None
            el.text = victim or f"fuzz-nobody-{rng.randrange(100)}"


def mutated_request(rng: random.Random, pools: Pools) -> tuple[str, bytes]:
    """One hostile request: (operation, body bytes)."""
    names = list(OPERATIONS)
    op = rng.choices(names, weights=[OPERATIONS[n][0] for n in names])[0]
    principal, inner = OPERATIONS[op][1](rng, pools)
    data = _envelope(op, principal, inner)
    roll = rng.random()
    if roll < 0.05:
        return op, data  # valid: keeps the pools and the state machine moving
    if roll < 0.15:
        return op, _break_bytes(rng, data)
    root = etree.fromstring(data)
    op_el = root[1][0]
    with_context = rng.random() < 0.1
    if with_context:
        _with_other_principal(rng, op_el, pools)
    mutations, weights = zip(*TREE_MUTATIONS, strict=True)
    for _ in range(rng.choice((1, 1, 2, 3))):
        mutation = rng.choices(mutations, weights=weights)[0]
        targets = _targets(op_el, with_context)
        if mutation is _typed:
            targets = [t for t in targets if etree.QName(t).localname in TYPED_FIELDS]
        if targets:
            mutation(rng, rng.choice(targets))
    return op, etree.tostring(root)
