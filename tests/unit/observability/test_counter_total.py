"""`counter_total` (the console dashboard's reader) sums a counter over processes and labels.

prometheus_client picks in-memory or file-backed values when it is imported, so the
several-process case runs in fresh interpreters sharing one `PROMETHEUS_MULTIPROC_DIR`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from openseqr.observability import metrics

COUNT = """
import sys
from openseqr.observability import metrics
for outcome, times in (("paid", int(sys.argv[1])), ("failed", int(sys.argv[2]))):
    for _ in range(times):
        metrics._child(metrics.PAYMENTS, outcome).inc()
"""
TOTAL = """
from openseqr.observability.metrics import counter_total
print(counter_total("openseqr_payments_total", outcome="paid"),
      counter_total("openseqr_payments", outcome="failed"),
      counter_total("openseqr_payments_total"))
"""


def _python(code: str, env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_sums_the_values_of_every_process(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    _python(COUNT, env, "3", "1")
    _python(COUNT, env, "4", "0")
    paid, failed, every = _python(TOTAL, env).split()
    assert (float(paid), float(failed), float(every)) == (7.0, 1.0, 8.0)


def test_in_one_process_reads_this_process(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    before = metrics.counter_total("openseqr_payments_total", outcome="refunded")
    metrics._child(metrics.PAYMENTS, "refunded").inc(2)
    after = metrics.counter_total("openseqr_payments_total", outcome="refunded")
    assert after - before == 2
    assert metrics.counter_total("openseqr_no_such_counter") == 0
