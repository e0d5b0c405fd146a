"""The request id rule and the two shapes of a request line."""

from __future__ import annotations

import json
import re

import pytest

from openseqr.observability.requests import RequestLog, request_id

MADE = re.compile(r"[0-9a-f]{32}")


@pytest.mark.parametrize(
    "given", [b"a", b"4711", b"3f0c9a1e-5b7d-4c2f-8e6a-0b1c2d3e4f50", b"shop.till:7/x+y=z@q_-"]
)
def test_a_safe_request_id_is_kept(given: bytes) -> None:
    assert request_id([(b"x-request-id", given)]) == given.decode()


@pytest.mark.parametrize(
    "given",
    [b"", b"x" * 129, b"-leading", b"a b", b"a\tb", b"<b>", b'a"b', "\u00e9".encode(), b"a\\b"],
)
def test_any_other_request_id_is_replaced(given: bytes) -> None:
    assert MADE.fullmatch(request_id([(b"x-request-id", given)]))


def test_without_a_request_id_each_request_gets_its_own() -> None:
    assert request_id([]) != request_id([])


FIELDS = {"request_id": "r1", "method": "GET", "route": "/health", "status": 200}


def test_a_json_line_has_the_shape_of_the_other_log_lines(capsys) -> None:  # type: ignore[no-untyped-def]
    RequestLog("json").write(FIELDS)
    line = capsys.readouterr().err
    assert line.endswith("\n") and line.count("\n") == 1
    record = json.loads(line)
    assert record["logger"] == "openseqr.request" and record["level"] == "INFO"
    assert {k: record[k] for k in FIELDS} == FIELDS
    assert isinstance(record["pid"], int) and record["timestamp"]


def test_a_text_line_names_each_field(capsys) -> None:  # type: ignore[no-untyped-def]
    RequestLog("text").write(FIELDS)
    line = capsys.readouterr().err
    assert " INFO openseqr.request request_id=r1 method=GET route=/health status=200\n" in line
