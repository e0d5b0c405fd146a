"""Observability of a server process: Prometheus metrics, JSON request logs, probes.

* `metrics`: the metric objects, what the edges call to count, `counter_total` for the console;
* `multiproc`: the metrics directory `openseqr serve --workers N` shares between its processes;
* `requests`: the ASGI middleware that logs one JSON line per request and carries its
  `X-Request-Id`, and `annotate` for the endpoints to say what the request was;
* `logs`: the JSON log format; `scrape`: the `/metrics` endpoint and who may read it.

This package knows `core` (to classify an invoice's change) and nothing else of openseqr, so the
service layer, the worker and the server can all report to it.
"""
