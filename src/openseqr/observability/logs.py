"""The server's log format: one JSON object per line (python-json-logger), every logger alike.

    {"timestamp": "...", "level": "INFO", "logger": "openseqr.request", "pid": 4711,
     "message": "request", "method": "POST", "route": "/soap/merchant/cashregister-2", ...}

`OPENSEQR_LOG_FORMAT=text` keeps the plain lines of earlier versions. uvicorn's own loggers go
through the same handler; its access log stays off, the request log (`requests`) replaces it.
"""

from __future__ import annotations

import logging.config
from typing import Any

JSON_FORMATTER = "pythonjsonlogger.json.JsonFormatter"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def config(fmt: str = "json", level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` for a server process (also uvicorn's `log_config`)."""
    formatter: dict[str, Any]
    if fmt == "text":
        formatter = {"format": TEXT_FORMAT}
    else:
        formatter = {
            "()": JSON_FORMATTER,
            "fmt": "%(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"levelname": "level", "name": "logger", "process": "pid"},
            "timestamp": True,
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"openseqr": formatter},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "openseqr",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["stderr"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True, "level": "WARNING"},
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
            # one INFO line per request (the relay's notification POSTs went through httpx
            # until A-63; aiohttp's client logs none): an attempt is already an invoice event
            # and a metric
            "httpx": {"handlers": [], "propagate": True, "level": "WARNING"},
            "httpcore": {"handlers": [], "propagate": True, "level": "WARNING"},
        },
    }


def configure(fmt: str = "json") -> None:
    logging.config.dictConfig(config(fmt))
