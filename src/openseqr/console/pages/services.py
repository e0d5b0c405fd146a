"""External Services: add, edit, enable/disable, and the service QR to download -- what
`openseqr service …` does (A-60). Operators only."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ...core import errors
from ...core.records import Service
from ...service import external_services as use
from ..framework import OPERATOR, Section, audit, ctx_of, form, not_found, render, require
from .params import form_text, path_id
from .qr_download import qr_file


def _values(data: Mapping[str, Any]) -> dict[str, str]:
    return {name: form_text(data, name) for name in ("name", "terminal_id", *use.URL_FIELDS)}


def _service(request: Request) -> Service:
    try:
        return use.get_service(ctx_of(request), path_id(request, "service_id", "service"))
    except use.UnknownService:
        raise not_found("service") from None


async def list_services(request: Request) -> Response:
    await require(request, OPERATOR)
    return render(request, "services.html", active="services",
                  services=use.list_services(ctx_of(request)), form={}, error=None)  # fmt: skip


async def add_service(request: Request) -> Response:
    await require(request, OPERATOR)
    data = await form(request)
    service_id = form_text(data, "service_id")
    values = _values(data)
    try:
        service = use.add_service(
            ctx_of(request), service_id, values["name"], values["terminal_id"],
            order_url=values["order_url"], success_url=values["success_url"],
            failure_url=values["failure_url"], cancel_url=values["cancel_url"],
        )  # fmt: skip
    except errors.DomainError as exc:  # invalid field, taken id, unknown or blocked terminal
        return render(request, "services.html", 400, active="services",
                      services=use.list_services(ctx_of(request)),
                      form={"service_id": service_id, **values}, error=str(exc))  # fmt: skip
    audit(request, "service.add", service.service_id, {"terminal": service.terminal_id})
    return RedirectResponse(f"/console/services/{service.service_id}?done=added", status_code=303)


async def show_service(request: Request) -> Response:
    await require(request, OPERATOR)
    service = _service(request)
    done = {"added": "Service added.", "saved": "Changes saved.", "enabled": "Service enabled.",
            "disabled": "Service disabled."}  # fmt: skip
    return render(request, "service.html", active="services", s=service, form=None, error=None,
                  qr=use.service_qr(service.service_id),
                  notice=done.get(request.query_params.get("done", "")))  # fmt: skip


async def edit_service(request: Request) -> Response:
    await require(request, OPERATOR)
    data = await form(request)
    service = _service(request)
    values = _values(data)
    try:
        use.update_service(
            ctx_of(request), service.service_id, name=values["name"],
            terminal_id=values["terminal_id"], order_url=values["order_url"],
            success_url=values["success_url"], failure_url=values["failure_url"],
            cancel_url=values["cancel_url"],
        )  # fmt: skip
    except errors.DomainError as exc:
        return render(request, "service.html", 400, active="services", s=service, form=values,
                      error=str(exc), qr=use.service_qr(service.service_id))  # fmt: skip
    audit(request, "service.edit", service.service_id, {"terminal": values["terminal_id"]})
    return RedirectResponse(f"/console/services/{service.service_id}?done=saved", status_code=303)


async def set_active(request: Request, active: bool) -> Response:
    await require(request, OPERATOR)
    await form(request)
    service = _service(request)
    change = use.enable_service if active else use.disable_service
    try:
        change(ctx_of(request), service.service_id)
    except errors.DomainError as exc:
        return render(request, "service.html", 400, active="services", s=service, form=None,
                      error=str(exc), qr=use.service_qr(service.service_id))  # fmt: skip
    verb = "enable" if active else "disable"
    audit(request, f"service.{verb}", service.service_id)
    return RedirectResponse(f"/console/services/{service.service_id}?done={verb}d",
                            status_code=303)  # fmt: skip


async def enable(request: Request) -> Response:
    return await set_active(request, True)


async def disable(request: Request) -> Response:
    return await set_active(request, False)


async def service_qr(request: Request) -> Response:
    await require(request, OPERATOR)
    service = _service(request)
    return qr_file(use.service_qr(service.service_id), request.path_params["fmt"],
                   f"service-{service.service_id}")  # fmt: skip


def routes() -> list[BaseRoute]:
    return [
        Route("/services", list_services, methods=["GET"]),
        Route("/services", add_service, methods=["POST"]),
        Route("/services/{service_id}", show_service, methods=["GET"]),
        Route("/services/{service_id}", edit_service, methods=["POST"]),
        Route("/services/{service_id}/enable", enable, methods=["POST"]),
        Route("/services/{service_id}/disable", disable, methods=["POST"]),
        Route("/services/{service_id}/qr.{fmt}", service_qr, methods=["GET"]),
    ]


SECTION = Section("services", "External Services", routes)
