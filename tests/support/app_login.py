"""Sign in to the app API as the wallet does (A-15): `POST /login` with msisdn + PIN, then send
the token as `Authorization: Bearer …` on every call that acts for the customer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

API = "/api/app/v1"


def bearer_of(login: httpx.Response) -> dict[str, str]:
    """The headers a signed-in call carries, from the answer to `POST /login`."""
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['token']}"}


def login_headers(http: httpx.Client, who: Mapping[str, Any], api: str = API) -> dict[str, str]:
    """Sign `who` ({msisdn, pin}) in through `http` (its base URL + `api` is the app API)."""
    return bearer_of(http.post(f"{api}/login", json={"msisdn": who["msisdn"], "pin": who["pin"]}))


def scan_as(
    http: httpx.Client, who: Mapping[str, Any], body: Mapping[str, Any], api: str = API
) -> httpx.Response:
    """`who` signs in and scans (`body`: {code, confirm_identity?}), as the phone would."""
    return http.post(f"{api}/scan", json=dict(body), headers=login_headers(http, who, api))
