"""`openseqr` commands: wallet (filled in by its owner)."""

from __future__ import annotations

from .main import main  # noqa: F401
