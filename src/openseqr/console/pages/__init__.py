"""The registration list: one `Section` per navigation entry, in navigation order.

To add a section, write `pages/<slug>.py` exposing `SECTION = Section(...)` and put it here
(see the package docstring of `openseqr.console`)."""

from __future__ import annotations

from ..framework import Section
from . import (
    audit,
    customers,
    dashboard,
    invoices,
    notifications,
    reports,
    resellers,
    services,
    settings,
)

SECTIONS: list[Section] = [
    dashboard.SECTION,
    invoices.SECTION,
    resellers.SECTION,
    services.SECTION,
    notifications.SECTION,
    customers.SECTION,
    reports.SECTION,
    settings.SECTION,
    audit.SECTION,
]
