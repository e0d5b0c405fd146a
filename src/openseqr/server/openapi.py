"""OpenAPI 3.1 description of the app-side JSON API, served at /api/app/v1/openapi.json."""

from __future__ import annotations

from typing import Any

_MONEY = {
    "type": "object",
    "properties": {
        "value": {"type": "string", "example": "500.00"},
        "currency": {"type": "string", "example": "SEK"},
    },
}
_ERROR = {
    "type": "object",
    "required": ["error", "message"],
    "properties": {"error": {"type": "string"}, "message": {"type": "string"}},
}
_INVOICE = {
    "type": "object",
    "properties": {
        "reference": {"type": "string"},
        "status": {
            "type": "string",
            "enum": [
                "ISSUED",
                "PENDING_ISSUER_ACKNOWLEDGE",
                "RESERVED",
                "PAID",
                "CANCELED",
                "FAILED",
            ],
        },
        "version": {"type": "integer"},
        "merchant": {"type": "string"},
        "title": {"type": ["string", "null"]},
        "total": _MONEY,
        "rows": {"type": "array", "items": {"type": "object"}},
        "footer": {"type": ["string", "null"]},
        "back_url": {"type": ["string", "null"]},
        "awaiting_merchant": {"type": "boolean"},
        "ers_reference": {"type": ["string", "null"]},
        "reason": {"type": ["string", "null"]},
    },
}
_SESSION = {
    "type": "object",
    "properties": {
        "token": {"type": "string"},
        "service_id": {"type": "string"},
        "state": {"type": "string", "enum": ["IN_PROGRESS", "ACTIVE", "CANCELLED", "EXPIRED"]},
        "expires_at": {"type": "string", "format": "date-time"},
    },
}
_CREDENTIALS: dict[str, Any] = {
    "type": "object",
    "required": ["msisdn", "pin"],
    "properties": {
        "msisdn": {"type": "string", "example": "46700000001"},
        "pin": {"type": "string", "example": "1111"},
    },
}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": "error", **_json(_ERROR)} for c in codes}


OPENAPI: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {
        "title": "openseqr app API",
        "version": "1",
        "description": "What the SEQR app asks the server: resolve a scanned code, show an "
        "invoice, pay it with the PIN, cancel, see the wallet.",
    },
    "paths": {
        "/api/app/v1/scan": {
            "post": {
                "summary": "Resolve a scanned QR or opened link (invoice, terminal sticker, service)",
                "requestBody": _json(
                    {
                        "type": "object",
                        "required": ["code"],
                        "properties": {
                            "code": {
                                "type": "string",
                                "example": "HTTP://SEQR.SE/R20260115123456789",
                            },
                            "msisdn": {"type": "string"},
                            "confirm_identity": {
                                "type": "boolean",
                                "default": True,
                                "description": "service codes only: false opens the session IN_PROGRESS; "
                                "getClientSessionInfo answers 62 AUTHORIZATION_IN_PROGRESS "
                                "until POST /sessions/{token}/confirm",
                            },
                        },
                    }
                ),
                "responses": {
                    "200": {
                        "description": "invoice, waiting or service",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "kind": {"enum": ["invoice", "waiting", "service"]},
                                    "invoice": _INVOICE,
                                    "session": _SESSION,
                                },
                            }
                        ),
                    },
                    **_errors(400, 404, 409),
                },
            }
        },
        "/api/app/v1/codes/parse": {
            "post": {
                "summary": "Classify a code without side effects",
                "requestBody": _json(
                    {
                        "type": "object",
                        "required": ["code"],
                        "properties": {"code": {"type": "string"}},
                    }
                ),
                "responses": {"200": {"description": "the kind of code"}, **_errors(400)},
            }
        },
        "/api/app/v1/invoices/{reference}": {
            "get": {
                "summary": "Show an invoice; with msisdn the customer is bound as payer",
                "parameters": [
                    {
                        "name": "reference",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    },
                    {"name": "msisdn", "in": "query", "schema": {"type": "string"}},
                ],
                "responses": {
                    "200": {"description": "the invoice", **_json(_INVOICE)},
                    **_errors(404),
                },
            }
        },
        "/api/app/v1/invoices/{reference}/pay": {
            "post": {
                "summary": "Pay with the PIN; version = the invoice version the app showed",
                "parameters": [
                    {
                        "name": "reference",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": _json(
                    {
                        **_CREDENTIALS,
                        "properties": {
                            **_CREDENTIALS["properties"],
                            "version": {"type": "integer"},
                        },
                    }
                ),
                "responses": {
                    "200": {"description": "PAID, RESERVED or FAILED", **_json(_INVOICE)},
                    **_errors(400, 401, 404, 409, 423, 503),
                },
            }
        },
        "/api/app/v1/invoices/{reference}/cancel": {
            "post": {
                "summary": "The customer cancels the payment",
                "parameters": [
                    {
                        "name": "reference",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string"},
                    }
                ],
                "requestBody": _json(_CREDENTIALS),
                "responses": {
                    "200": {"description": "CANCELED", **_json(_INVOICE)},
                    **_errors(400, 401, 404, 409, 423),
                },
            }
        },
        "/api/app/v1/wallet": {
            "post": {
                "summary": "Balances, history and messages of a customer",
                "requestBody": _json(_CREDENTIALS),
                "responses": {"200": {"description": "the wallet"}, **_errors(400, 401, 404, 423)},
            }
        },
        "/api/app/v1/sessions/{token}/cancel": {
            "post": {
                "summary": "Leave an External Service (SEQR-ACTION://WIZARD/CANCEL)",
                "parameters": [
                    {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {"200": {"description": "the session"}, **_errors(404)},
            }
        },
        "/api/app/v1/sessions/{token}/confirm": {
            "post": {
                "summary": "Confirm the user's identity for a session opened with "
                "confirm_identity=false (IN_PROGRESS → ACTIVE)",
                "parameters": [
                    {"name": "token", "in": "path", "required": True, "schema": {"type": "string"}}
                ],
                "responses": {
                    "200": {"description": "the session, state ACTIVE", **_json(_SESSION)},
                    **_errors(404, 409),
                },
            }
        },
    },
}

# -- signed-in sessions of the wallet web app (server/app_session.py) ---------------------------
_BEARER: list[dict[str, list[str]]] = [{"appSession": []}]
_REF = [{"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}]
OPENAPI.setdefault("components", {}).setdefault("securitySchemes", {})["appSession"] = {
    "type": "http",
    "scheme": "bearer",
    "description": "token from POST /api/app/v1/login (30 minutes; paying still needs the PIN)",
}
OPENAPI["paths"].update(
    {
        "/api/app/v1/login": {
            "post": {
                "summary": "Sign in with msisdn + PIN; a wrong PIN counts towards the lock (D-46b)",
                "requestBody": _json(_CREDENTIALS),
                "responses": {
                    "200": {
                        "description": "a session token",
                        **_json(
                            {
                                "type": "object",
                                "properties": {
                                    "token": {"type": "string"},
                                    "expires_at": {"type": "string", "format": "date-time"},
                                    "msisdn": {"type": "string"},
                                    "name": {"type": "string"},
                                },
                            }
                        ),
                    },
                    **_errors(400, 401, 404, 423),
                },
            }
        },
        "/api/app/v1/me": {
            "get": {
                "summary": "The signed-in customer's wallet: balances, history (with merchant names), "
                "messages",
                "security": _BEARER,
                "responses": {"200": {"description": "the wallet"}, **_errors(401, 423)},
            }
        },
        "/api/app/v1/me/invoices/{reference}/receipt": {
            "get": {
                "summary": "Receipt of one of the customer's payments, with the documents the merchant "
                "sent with submitPaymentReceipt (text inline, other types base64)",
                "security": _BEARER,
                "parameters": _REF,
                "responses": {
                    "200": {"description": "invoice + receipt"},
                    **_errors(401, 404, 423),
                },
            }
        },
        "/api/app/v1/me/invoices/{reference}/cancel": {
            "post": {
                "summary": "The signed-in customer presses Cancel (T14, D-28): CANCELED",
                "security": _BEARER,
                "parameters": _REF,
                "responses": {
                    "200": {"description": "CANCELED", **_json(_INVOICE)},
                    **_errors(401, 404, 409, 423),
                },
            }
        },
        "/qr.png": {
            "get": {
                "summary": "PNG image of a SEQR code (spec 3.1: level M, quiet zone 2)",
                "parameters": [
                    {
                        "name": "code",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "maxLength": 512},
                    },
                    {
                        "name": "scale",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 32, "default": 6},
                    },
                ],
                "responses": {"200": {"description": "image/png"}, **_errors(400)},
            }
        },
        "/qr.svg": {
            "get": {
                "summary": "SVG image of a SEQR code",
                "parameters": [
                    {
                        "name": "code",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "maxLength": 512},
                    },
                    {
                        "name": "scale",
                        "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 32, "default": 6},
                    },
                ],
                "responses": {"200": {"description": "image/svg+xml"}, **_errors(400)},
            }
        },
    }
)
