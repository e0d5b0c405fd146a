"""Tests for openseqr.protocol.urls (spec 3.2, D-04, D-05, D-26, D-27, D-44, D-45, D-53, D-55)."""

from __future__ import annotations

import ipaddress
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openseqr.protocol.urls import (
    DestinationPolicy,
    InvalidBackUrl,
    InvalidCode,
    InvalidFragment,
    InvalidNotificationUrl,
    InvoiceCode,
    PaymentTrigger,
    ServiceCode,
    TerminalCode,
    WizardCancel,
    cancel_url,
    failure_url,
    format_code,
    invoice_qr,
    is_session_token,
    new_session_token,
    order_url,
    parse_code,
    parse_service_fragment,
    success_url,
    to_deep_link,
    validate_back_url,
    validate_notification_url,
)

# --------------------------------------------------------------------- spec literal examples


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("HTTP://SEQR.SE/R1397222701693", InvoiceCode("1397222701693")),
        ("HTTP://SEQR.SE/Q0039394857311223", TerminalCode("0039394857311223")),
        (
            "HTTP://SEQR.SE/000/EXTERNAL_SERVICE_ID?parameter1=value1&parameter2=value2",
            ServiceCode(
                "EXTERNAL_SERVICE_ID", (("parameter1", "value1"), ("parameter2", "value2"))
            ),
        ),
        ("HTTP://SEQR.SE/000/EXTERNAL_SERVICE_ID", ServiceCode("EXTERNAL_SERVICE_ID")),
        ("seqr://SEQR.SE/R1397222701693", PaymentTrigger("1397222701693", "seqr")),
        ("seqr-demo://SEQR.SE/R12345", PaymentTrigger("12345", "seqr-demo")),
        ("SEQR-ACTION://WIZARD/CANCEL", WizardCancel()),
    ],
)
def test_spec_examples_parse_and_format_back(text, expected):
    code = parse_code(text)
    assert code == expected
    assert type(code) is type(expected)
    assert format_code(code) == text


def test_spec_success_url_example():
    url = "http://service-host/success-page#123456-789013_1234567890"
    base, _, fragment = url.partition("#")
    assert parse_service_fragment(fragment) == ("123456-789013", "1234567890")
    assert parse_service_fragment("#" + fragment) == ("123456-789013", "1234567890")
    assert success_url(base, "123456-789013", "1234567890") == url


def test_service_urls_with_fragments():
    assert order_url("http://service-host/order-page", "123456-789013") == (
        "http://service-host/order-page#123456-789013"
    )
    assert failure_url("http://url/failure", "0000002012-63506374") == (
        "http://url/failure#0000002012-63506374"
    )
    assert cancel_url("http://url/cancel?x=1", "T") == "http://url/cancel?x=1#T"
    # an existing fragment is replaced, not appended to
    assert order_url("http://url/order#old_1", "NEW") == "http://url/order#NEW"
    assert success_url("http://url/ok#", "A-1", "42") == "http://url/ok#A-1_42"


def test_parse_service_fragment_without_reference_and_errors():
    assert parse_service_fragment("0000002010-51702372") == ("0000002010-51702372", None)
    assert parse_service_fragment("#TOKEN") == ("TOKEN", None)
    for bad in ["", "#", "_123", "TOKEN_", "TOKEN_12a", "a#b", "to ken", "x_y_1"]:
        with pytest.raises(InvalidFragment):
            parse_service_fragment(bad)


@pytest.mark.parametrize("bad_token", ["", "a_b", "a#b", "a&b", "a b", "é"])
def test_service_url_rejects_bad_tokens(bad_token):
    with pytest.raises(InvalidFragment):
        order_url("http://url/order", bad_token)


def test_success_url_rejects_bad_reference():
    with pytest.raises(InvalidFragment):
        success_url("http://url/s", "T", "12_3")


# -------------------------------------------------------------------------- variants, case


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("http://seqr.se/R123", InvoiceCode("123")),
        ("Http://Seqr.Se/Q abc".replace(" ", ""), TerminalCode("abc")),
        ("HTTPS://SEQR.SE/R123", InvoiceCode("123")),
        ("https://seqr.se/000/svc?a=1", ServiceCode("svc", (("a", "1"),))),
        ("  HTTP://SEQR.SE/R123\n", InvoiceCode("123")),
        ("SEQR://seqr.se/R9", PaymentTrigger("9", "seqr")),
        ("SEQR-DEMO://SEQR.SE/R9", PaymentTrigger("9", "seqr-demo")),
        ("SEQR-DEBUG://SEQR.SE/R9", PaymentTrigger("9", "seqr-debug")),
        ("seqr-action://wizard/cancel", WizardCancel()),
        ("Seqr-Action://Wizard/Cancel", WizardCancel()),
        ("HTTP://SEQR.SE/000/svc?", ServiceCode("svc")),
        (
            "HTTP://SEQR.SE/000/svc?a&b=&&c=%3D",
            ServiceCode("svc", (("a", ""), ("b", ""), ("c", "="))),
        ),
    ],
)
def test_accepted_variants(text, expected):
    assert parse_code(text) == expected


def test_format_is_canonical_upper_case():
    assert format_code(parse_code("http://seqr.se/R123")) == "HTTP://SEQR.SE/R123"
    assert format_code(parse_code("https://seqr.se/Qab1")) == "HTTP://SEQR.SE/Qab1"
    assert format_code(parse_code("SEQR-DEMO://seqr.se/R1")) == "seqr-demo://SEQR.SE/R1"
    assert format_code(PaymentTrigger("1", "SEQR-Debug")) == "seqr-debug://SEQR.SE/R1"
    assert format_code(parse_code("seqr-action://wizard/cancel")) == "SEQR-ACTION://WIZARD/CANCEL"


def test_service_id_is_case_sensitive():
    assert parse_code("HTTP://SEQR.SE/000/Parking") != parse_code("HTTP://SEQR.SE/000/parking")
    assert parse_code("HTTP://SEQR.SE/000/Parking").service_id == "Parking"


def test_params_decoding_order_and_last_wins():
    code = parse_code("HTTP://SEQR.SE/000/svc?zone=1&name=a+b%20c&zone=2&u=%C3%A5%E2%82%AC")
    assert code.params == (("zone", "1"), ("name", "a b c"), ("zone", "2"), ("u", "å€"))
    assert code.params_dict() == {"zone": "2", "name": "a b c", "u": "å€"}
    assert list(code.params_dict()) == ["zone", "name", "u"]


def test_params_encoding():
    code = ServiceCode("svc", [("a b", "x&y=z%"), ("k", "å")])
    assert code.params == (("a b", "x&y=z%"), ("k", "å"))
    assert format_code(code) == "HTTP://SEQR.SE/000/svc?a+b=x%26y%3Dz%25&k=%C3%A5"
    assert ServiceCode("svc", {"a": "1"}).params == (("a", "1"),)


@pytest.mark.parametrize(
    ("text", "reason_part"),
    [
        ("HTTP://SEQR.SE/r123", "case-sensitive"),
        ("HTTP://SEQR.SE/q123", "case-sensitive"),
        ("HTTP://SEQR.SE/S123?adfsd,2300", "D-45"),
        ("HTTP://SEQR.SE/000/ups?w=1&t=2", "not supported"),
        ("HTTP://SEQR.SE/000/invoice?j=abc", "not supported"),
        ("HTTP://SEQR.SE/000/", "service id"),
        ("HTTP://SEQR.SE/000", "missing service id"),
        ("HTTP://SEQR.SE/000?a=1", "missing service id"),
        ("HTTP://SEQR.SE/000/a.b", "service id"),
        ("HTTP://SEQR.SE/000/" + "x" * 33, "service id"),
        ("HTTP://SEQR.SE/000/svc/extra", "service id"),
        ("HTTP://SEQR.SE/000/svc?=v", "empty name"),
        ("HTTP://SEQR.SE/000/svc?a=%FF", "UTF-8"),
        ("HTTP://SEQR.SE/000/svc#frag", "fragment"),
        ("HTTP://SEQR.SE/R", "1-32 digits"),
        ("HTTP://SEQR.SE/R12a", "1-32 digits"),
        ("HTTP://SEQR.SE/R" + "1" * 33, "1-32 digits"),
        ("HTTP://SEQR.SE/R123?x=1", "no query"),
        ("HTTP://SEQR.SE/R123/", "1-32 digits"),
        ("HTTP://SEQR.SE/R١٢٣", "1-32 digits"),  # non-ASCII digits
        ("HTTP://SEQR.SE/Qmy_qr_code_string", "seqrId"),
        ("HTTP://SEQR.SE/Q", "seqrId"),
        ("HTTP://SEQR.SE/X1", "unknown code type"),
        ("HTTP://SEQR.SE/", "nothing after"),
        ("HTTP://SEQR.SE", "nothing after"),
        ("HTTP://EXAMPLE.COM/R123", "host"),
        ("HTTP://SEQR.SE:80/R123", "host"),
        ("HTTP://WWW.SEQR.SE/R123", "host"),
        ("HTTP:SEQR.SE/R123", "//SEQR.SE/"),
        ("HTTP://SEQR.SE/R1 23", "whitespace"),
        ("FTP://SEQR.SE/R123", "unsupported scheme"),
        ("open:com.seamless.seqr", "unsupported scheme"),
        ("seqr://", "payment link"),
        ("seqr://SEQR.SE/Q123", "payment link"),
        ("seqr://SEQR.SE/r123", "payment link"),
        ("seqr-test://SEQR.SE/R1", "unsupported scheme"),
        ("SEQR-ACTION://WIZARD/CANCEL/", "SEQR-ACTION"),
        ("SEQR-ACTION://WIZARD/DONE", "SEQR-ACTION"),
        ("R123", "no scheme"),
        ("", "empty"),
        ("   ", "empty"),
        ("HTTP://SEQR.SE/000/svc?a=" + "x" * 3000, "longer than"),
    ],
)
def test_invalid_codes(text, reason_part):
    with pytest.raises(InvalidCode) as info:
        parse_code(text)
    assert reason_part in info.value.reason
    assert "Not a valid SEQR code" in str(info.value)


def test_unicode_case_folding_does_not_sneak_in():
    # U+017F LATIN SMALL LETTER LONG S upper-cases to "S"; must not be taken for SEQR.SE
    with pytest.raises(InvalidCode):
        parse_code("HTTP://\u017fEQR.SE/R1")
    with pytest.raises(InvalidCode):
        parse_code("\u017fEQR-ACTION://WIZARD/CANCEL")


@pytest.mark.parametrize(
    "build",
    [
        lambda: InvoiceCode("12a"),
        lambda: InvoiceCode(""),
        lambda: TerminalCode("my_qr"),
        lambda: TerminalCode("x" * 33),
        lambda: ServiceCode("ups"),
        lambda: ServiceCode("invoice"),
        lambda: ServiceCode("a/b"),
        lambda: ServiceCode("svc", (("", "v"),)),
        lambda: ServiceCode("svc", (("a", 1),)),
        lambda: ServiceCode("svc", (("a", "\ud800"),)),
        lambda: PaymentTrigger("1", "http"),
        lambda: PaymentTrigger("x"),
    ],
)
def test_constructors_validate(build):
    with pytest.raises(ValueError):
        build()


def test_format_code_rejects_other_objects():
    with pytest.raises(TypeError):
        format_code("HTTP://SEQR.SE/R1")  # type: ignore[arg-type]


def test_invoice_qr_and_deep_link():
    assert invoice_qr("20151029186719114") == "HTTP://SEQR.SE/R20151029186719114"
    assert to_deep_link("HTTP://SEQR.SE/R1397222701693") == "seqr://SEQR.SE/R1397222701693"
    assert to_deep_link("http://seqr.se/R1", scheme="seqr-demo") == "seqr-demo://SEQR.SE/R1"
    assert to_deep_link("HTTP://SEQR.SE/R1", scheme="SEQR-DEBUG") == "seqr-debug://SEQR.SE/R1"
    with pytest.raises(InvalidCode):
        to_deep_link("HTTP://SEQR.SE/Q123")
    with pytest.raises(ValueError):
        to_deep_link("HTTP://SEQR.SE/R1", scheme="https")
    with pytest.raises(ValueError):
        invoice_qr("R123")


# ------------------------------------------------------------------------- property tests

refs = st.from_regex(r"\A[0-9]{1,32}\Z")
seqr_ids = st.from_regex(r"\A[A-Za-z0-9]{1,32}\Z")
service_ids = st.from_regex(r"\A[A-Za-z0-9_-]{1,32}\Z").filter(
    lambda s: s not in {"ups", "invoice"}
)
param_text = st.text(
    st.one_of(st.sampled_from(" &=%+#?/;\u00e5\u20ac\U0001f600"), st.characters(codec="utf-8")),
    max_size=12,
)
params = st.lists(st.tuples(param_text.filter(bool), param_text), max_size=5).map(tuple)

codes = st.one_of(
    st.builds(InvoiceCode, refs),
    st.builds(TerminalCode, seqr_ids),
    st.builds(ServiceCode, service_ids, params),
    st.builds(PaymentTrigger, refs, st.sampled_from(["seqr", "seqr-demo", "seqr-debug"])),
    st.just(WizardCancel()),
)


@given(codes)
def test_parse_format_round_trip(code):
    text = format_code(code)
    assert parse_code(text) == code
    assert parse_code(f" {text} ") == code
    if not isinstance(code, PaymentTrigger):
        assert text.startswith(("HTTP://SEQR.SE/", "SEQR-ACTION://"))
    # the canonical text is pure ASCII without whitespace (params are percent-encoded)
    assert text.isascii() and not any(c.isspace() for c in text)


@given(st.builds(ServiceCode, service_ids, params))
def test_service_params_round_trip_keeps_order_and_duplicates(code):
    parsed = parse_code(format_code(code))
    assert parsed.params == code.params
    assert parsed.params_dict() == {k: v for k, v in code.params}


@given(codes)
def test_lower_case_scheme_and_host_parse_the_same(code):
    text = format_code(code)
    scheme, sep, rest = text.partition("://")
    host, slash, path = rest.partition("/")
    assert parse_code(scheme.lower() + sep + host.lower() + slash + path) == code


fragment_tokens = st.from_regex(r"\A[A-Za-z0-9.~-]{1,40}\Z")


@given(
    fragment_tokens, st.one_of(st.none(), refs), st.sampled_from(["http://h/p", "http://h/p#x_1"])
)
def test_fragment_round_trip(token, reference, base):
    url = success_url(base, token, reference) if reference else order_url(base, token)
    assert url.count("#") == 1
    assert url.startswith("http://h/p#")
    assert parse_service_fragment(url.partition("#")[2]) == (token, reference)


@given(st.randoms(use_true_random=False))
def test_session_tokens_have_the_d05_shape(rnd):
    token = new_session_token(rnd)
    assert is_session_token(token)
    assert len(token) == 19 and token[10] == "-"
    assert not set(token) & set("_#&")
    assert parse_service_fragment(token) == (token, None)


def test_session_tokens_default_rng_and_shape_check():
    tokens = {new_session_token() for _ in range(200)}
    assert len(tokens) == 200
    assert all(is_session_token(t) for t in tokens)
    assert new_session_token(random.Random(1)) == new_session_token(random.Random(1))
    for bad in [
        "123456-789013",
        "0000002012-6350637",
        "00000020120-63506374",
        "0000002012-63506374\n",
        "０000002012-63506374",
        "0000002012_63506374",
        None,
    ]:
        assert not is_session_token(bad)
    assert is_session_token("0000002012-63506374")


# ------------------------------------------------------------- notification and back URLs


@pytest.mark.parametrize(
    "url",
    [
        "http://thirdparty.com/paymentStateChanged?parameter1=value1&parameter2=value2",
        "https://shop.example/seqr/notify",
        "HTTPS://SHOP.EXAMPLE:8443/n?x=%20y",
        "http://127.0.0.1:8080/n",
        "http://[::1]/n",
        "http://user:pw@shop.example/n",
        "http://h/" + "a" * (2048 - len("http://h/")),
    ],
)
def test_valid_notification_urls(url):
    assert validate_notification_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason_part"),
    [
        ("ftp://shop.example/n", "http"),
        ("/relative/path", "absolute"),
        ("shop.example/n", "absolute"),
        ("http://shop.example/n#frag", "fragment"),
        ("http://shop.example/n#", "fragment"),
        ("http://h/" + "a" * 2048, "longer than 2048"),
        ("http://shop.example/a b", "whitespace"),
        (" http://shop.example/n", "whitespace"),
        ("http://shop.example/n\t", "whitespace"),
        ("http://shop.example/\x00", "control"),
        ("http://", "no host"),
        ("http:///path", "no host"),
        ("http:/shop.example/n", "no host"),
        ("http://:80/n", "no host"),
        ("http://shop.example:99999/n", "malformed"),
        ("http://[::1/n", "malformed"),
        ("http://127.0.0.1\\@evil.example/", "not allowed"),
        ("http://bücher.example/n", "not allowed"),
        ("", "empty"),
        ("javascript:alert(1)", "http"),
    ],
)
def test_invalid_notification_urls(url, reason_part):
    with pytest.raises(InvalidNotificationUrl) as info:
        validate_notification_url(url)
    assert reason_part in info.value.reason


def test_notification_url_custom_max_length():
    with pytest.raises(InvalidNotificationUrl):
        validate_notification_url("http://h/abcdef", max_length=10)
    assert validate_notification_url("http://h/a", max_length=10) == "http://h/a"


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/done",
        "myapp://paid?order=1",
        "market://details?id=com.x",
        "open:com.seamless.seqr",
        "http://shop.example/back#section",
    ],
)
def test_valid_back_urls(url):
    assert validate_back_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        "/done",
        "done.html",
        "",
        "http://",
        "https:///x",
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,x",
        "myapp://a b",
        "https://x/" + "a" * 2048,
    ],
)
def test_invalid_back_urls(url):
    with pytest.raises(InvalidBackUrl):
        validate_back_url(url)


# ---------------------------------------------------------------------- destination policy

LOOP = DestinationPolicy(allow_loopback=True, allow_private=False, allow_link_local=False)
PRIV = DestinationPolicy(allow_loopback=False, allow_private=True, allow_link_local=False)
LINK = DestinationPolicy(allow_loopback=False, allow_private=False, allow_link_local=True)
NONE = DestinationPolicy(allow_loopback=False, allow_private=False, allow_link_local=False)


@pytest.mark.parametrize(
    ("url", "allowed_by"),
    [
        ("http://127.0.0.1:8080/n", {LOOP}),
        ("http://127.9.9.9/n", {LOOP}),
        ("http://[::1]/n", {LOOP}),
        ("http://0.0.0.0/n", {LOOP}),
        ("http://[::ffff:127.0.0.1]/n", {LOOP}),
        ("http://localhost:8000/n", {LOOP}),
        ("http://LOCALHOST./n", {LOOP}),
        ("http://app.localhost/n", {LOOP}),
        ("http://10.0.0.1/n", {PRIV}),
        ("http://192.168.1.1/n", {PRIV}),
        ("http://172.16.5.4/n", {PRIV}),
        ("http://100.64.0.1/n", {PRIV}),
        ("http://[fd00::1]/n", {PRIV}),
        ("http://[::ffff:10.1.2.3]/n", {PRIV}),
        ("http://169.254.169.254/latest/meta-data", {LINK}),
        ("http://169.254.0.1/n", {LINK}),
        ("http://[fe80::1]/n", {LINK}),
        ("http://224.0.0.1/n", set()),
        ("http://255.255.255.255/n", set()),
        ("http://240.0.0.1/n", set()),
        ("http://8.8.8.8/n", {LOOP, PRIV, LINK, NONE}),
        ("http://[2606:4700:4700::1111]/n", {LOOP, PRIV, LINK, NONE}),
        ("http://shop.example/n", {LOOP, PRIV, LINK, NONE}),  # judged after resolution
    ],
)
def test_destination_policy_check(url, allowed_by):
    for policy in (LOOP, PRIV, LINK, NONE):
        reason = policy.check(url)
        if policy in allowed_by:
            assert reason is None, (policy, url, reason)
        else:
            assert isinstance(reason, str) and reason, (policy, url)


def test_destination_policy_check_ip_and_presets():
    assert NONE.check_ip("127.0.0.1") is not None
    assert "loopback" in NONE.check_ip("127.0.0.1")
    assert "private" in NONE.check_ip("10.0.0.1")
    assert "link-local" in NONE.check_ip("169.254.1.1")
    assert LOOP.check_ip(ipaddress.ip_address("::1")) is None
    assert LINK.check_ip("fe80::1%eth0") is None
    assert NONE.check_ip("64:ff9b::7f00:1") is not None  # NAT64 of 127.0.0.1
    assert NONE.check_ip("93.184.216.34") is None
    with pytest.raises(ValueError):
        NONE.check_ip("shop.example")
    assert DestinationPolicy().check_ip("127.0.0.1") is not None
    sandbox = DestinationPolicy.sandbox()
    assert sandbox.check("http://127.0.0.1/n") is None
    assert sandbox.check("http://192.168.1.1/n") is None
    assert sandbox.check("http://169.254.169.254/") is not None
    prod = DestinationPolicy.production()
    assert prod.check("http://127.0.0.1/n") is not None
    assert NONE.check("http:///n") is not None
    assert NONE.check("http://[::1/") is not None
