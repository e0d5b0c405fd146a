"""The registration list: one `Section` per navigation entry, in navigation order.

To add a section, write `pages/<slug>.py` exposing `SECTION = Section(...)` and put it here
(see the package docstring of `openseqr.console`)."""

from __future__ import annotations

from ..framework import Section
from . import audit, invoices, notifications, planned

SECTIONS: list[Section] = [
    planned.section("dashboard", "Dashboard", merchant=True),
    invoices.SECTION,
    planned.section("resellers", "Resellers & terminals", merchant=True),
    planned.section("services", "External Services"),
    notifications.SECTION,
    planned.section("customers", "Customers"),
    planned.section("reports", "Reports", merchant=True),
    planned.section("settings", "Settings"),
    audit.SECTION,
]
