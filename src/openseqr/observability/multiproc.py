"""The metrics directory of `openseqr serve`, shared by its worker processes (A-50).

prometheus_client decides at import whether values live in memory or in files under
`PROMETHEUS_MULTIPROC_DIR`, so `serve` calls `prepare` before anything imports it and before
uvicorn starts the workers, which inherit the variable. Metric files of an earlier run are
removed at start: they would be summed into this run's counters.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(workers: int) -> Path | None:
    """For several workers, a metrics directory without metric files, named in the
    environment: the operator's `PROMETHEUS_MULTIPROC_DIR` when set, else a new temporary
    directory, which is returned so that `cleanup` removes it. One worker keeps its values in
    memory."""
    if workers <= 1:
        os.environ.pop(ENV, None)
        return None
    chosen = os.environ.get(ENV)
    if chosen:  # the operator's directory: only the metric files go, nothing else
        path = Path(chosen)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="openseqr-metrics-"))
    os.environ[ENV] = str(made)
    return made


def cleanup(made: Path | None) -> None:
    """After the server stopped: the temporary directory `prepare` made goes."""
    if made is not None:
        shutil.rmtree(made, ignore_errors=True)


def process_exit() -> None:
    """A worker stops: its live gauges stop counting (its counters are kept, as they must)."""
    if os.environ.get(ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())
