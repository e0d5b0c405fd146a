"""Readiness (`/ready`): the database answers and every migration of this version is applied."""

from __future__ import annotations

import logging

from ..storage.migrate import pending_migrations

log = logging.getLogger("openseqr.health")


def not_ready_reason(database_url: str) -> str | None:
    """None when ready; else why not, in words an operator can act on (never the URL, which
    may hold a password)."""
    try:
        pending = pending_migrations(database_url)
    except Exception as exc:  # any driver error means the same: the database does not answer
        log.warning("readiness: database unreachable (%s)", type(exc).__name__)
        return f"database unreachable ({type(exc).__name__})"
    if pending:
        return f"{len(pending)} migration(s) not applied: {', '.join(pending)}"
    return None
