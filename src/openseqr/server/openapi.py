"""The OpenAPI 3.1 document of the app JSON API, generated from its `Operation`s and models.

Served at `/api/app/v1/openapi.json`. Nothing here is written by hand but the titles: paths,
methods, parameters, bodies, answers and error statuses all come from the same `Operation`
objects the routes are made from (`app_http.Operation`), and the schemas from `app_models`.
"""

from __future__ import annotations

from typing import Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode

from . import app_models as m
from .app_http import PATH_PARAMS, Operation

REF = "#/components/schemas/{model}"
DESCRIPTION = (
    "What the SEQR app asks the server: resolve a scanned code, show an invoice, pay it with "
    "the PIN, cancel, see the wallet. Errors are RFC 9457 problem details."
)


class _Schemas:
    """Collects component schemas; each model once, referenced everywhere else."""

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}

    def ref(self, model: Any, mode: JsonSchemaMode) -> dict[str, Any]:
        schema = TypeAdapter(model).json_schema(
            ref_template=REF,
            mode=mode,
            schema_generator=GenerateJsonSchema,
        )
        self.components.update(schema.pop("$defs", {}))
        name = getattr(model, "__name__", None)
        if name and isinstance(model, type):
            self.components[name] = schema
            return {"$ref": REF.format(model=name)}
        return schema


def _parameters(op: Operation) -> list[dict[str, Any]]:
    params = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "pattern": f"^{PATH_PARAMS[name][0].pattern}$"},
        }
        for name in op.path_params
    ]
    params += [
        {
            "name": q.name,
            "in": "query",
            "required": q.required,
            "description": q.description,
            "schema": q.schema,
        }
        for q in op.query
    ]
    return params


def _operation(op: Operation, schemas: _Schemas) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": "OK"}
    if op.answer is not None:
        ok["content"] = {op.media_type: {"schema": schemas.ref(op.answer, "serialization")}}
    else:
        ok["content"] = {op.media_type: {}}
    problem = {"application/problem+json": {"schema": schemas.ref(m.Problem, "serialization")}}
    doc: dict[str, Any] = {
        "summary": " ".join(op.summary.strip().split("\n\n")[0].split()),
        "operationId": op.handler.__module__.rsplit(".", 1)[-1] + "." + op.handler.__name__,
        "responses": {
            "200": ok,
            **{str(s): {"description": "problem", "content": problem} for s in op.errors},
        },
    }
    if op.path_params or op.query:
        doc["parameters"] = _parameters(op)
    if op.body is not None:
        doc["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": schemas.ref(op.body, "validation")}},
        }
    if op.signed_in or op.token_optional:
        doc["security"] = [{"appSession": []}] + ([{}] if op.token_optional else [])
    return doc


def document(operations: list[Operation]) -> dict[str, Any]:
    schemas = _Schemas()
    paths: dict[str, dict[str, Any]] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": "openseqr app API", "version": "1", "description": DESCRIPTION},
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.components.items())),
            "securitySchemes": {
                "appSession": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "token from POST /api/app/v1/login (30 minutes)",
                }
            },
        },
    }


__all__ = ["document"]
