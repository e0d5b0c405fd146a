"""Tables for bench/merchant_load.py: median of the SOAP rounds, the markdown block, pass/fail.

Targets (issue 9): sendInvoice ≥ 50 % and getPaymentStatus ≥ 60 % of the same-run floor;
with history, throughput within 10 % of the fresh database (busy-terminal sendInvoice,
getPaymentStatus, complete payments); complete payments ≥ 300/s with notification p99 ≤ 50 ms
and nothing lost or duplicated.
"""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

HISTORY_TOLERANCE = 0.90
FLOW_RATE, NOTIFY_P99_MS = 300.0, 50.0


def median_rounds(rounds: list[dict[str, dict]], targets: dict[str, float]) -> dict[str, Any]:
    """Per operation, the round whose server/floor ratio is the median."""
    ops = {}
    for op in targets:
        per_round = []
        for r in rounds:
            s, f = r["server"][op], r["floor"][op]
            per_round.append((s.rps / f.rps if f.rps else 0.0, s, f))
        per_round.sort(key=lambda t: t[0])
        ratio, s, f = per_round[len(per_round) // 2]
        ops[op] = {"ratio": round(ratio, 3), "ratios": [round(t[0], 3) for t in per_round],
                   "server": asdict(s), "floor": asdict(f), "target": targets[op]}  # fmt: skip
    return {"ops": ops}


def _flow_ok(flow: dict[str, Any], rate: float) -> bool:
    p99 = flow["notification_after_paid_ms"]["p99"]
    return bool(
        flow["achieved_rate_per_s"] >= 0.98 * rate
        and p99 is not None
        and p99 <= NOTIFY_P99_MS
        and not flow["failed"]
        and not flow["missing_notifications"]
        and not flow["duplicate_notifications"]
    )


def _soap_rows(results: list[dict[str, Any]], targets: dict[str, float]) -> list[str]:
    rows = [
        "| database | operation | server req/s | server p99 ms | floor req/s | floor p99 ms "
        "| ratio | target | errors |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        for op, o in res.get("soap", {}).get("ops", {}).items():
            s, f = o["server"], o["floor"]
            rows.append(
                f"| {res['label']} ({res['history']:,}) | {op} | {s['rps']:.0f} "
                f"| {s['p99_ms']:.1f} | {f['rps']:.0f} | {f['p99_ms']:.1f} "
                f"| {o['ratio'] * 100:.0f} % | ≥ {targets[op] * 100:.0f} % "
                f"| {s['errors'] + f['errors']} |"
            )
    return rows


def _flow_rows(results: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| database | target/s | achieved/s | e2e p50 ms | e2e p99 ms | notification p99 ms "
        "| server CPU ms/payment | PostgreSQL CPU ms/payment | failed | missing | duplicates |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for res in results:
        fl = res.get("flow")
        if not fl:
            continue
        rows.append(
            f"| {res['label']} ({res['history']:,}) | {res.get('rate', '')} "
            f"| {fl['achieved_rate_per_s']} | {fl['end_to_end_ms']['p50']} "
            f"| {fl['end_to_end_ms']['p99']} | {fl['notification_after_paid_ms']['p99']} "
            f"| {fl['server_cpu_ms_per_payment']} "
            f"| {fl.get('database_cpu_ms_per_payment') or '–'} | {fl['failed']} "
            f"| {fl['missing_notifications']} | {fl['duplicate_notifications']} |"
        )
    return rows


def history_ratios(results: list[dict[str, Any]]) -> dict[str, float]:
    """History ÷ fresh for the figures the issue names (getPaymentStatus in its two kinds)."""
    by = {r["label"]: r for r in results}
    if "fresh" not in by or "history" not in by:
        return {}
    fresh, hist = by["fresh"], by["history"]
    out = {}
    for op in (
        "sendInvoice, busy terminal",
        "getPaymentStatus, pending invoice",
        "getPaymentStatus, settled invoice",
    ):
        try:
            a = fresh["soap"]["ops"][op]["server"]["rps"]
            b = hist["soap"]["ops"][op]["server"]["rps"]
        except KeyError:
            continue
        out[op] = round(b / a, 3) if a else 0.0
    if fresh.get("flow") and hist.get("flow"):
        a, b = fresh["flow"]["achieved_rate_per_s"], hist["flow"]["achieved_rate_per_s"]
        out["complete payments"] = round(b / a, 3) if a else 0.0
    return out


def render(
    results: list[dict[str, Any]],
    machine: dict[str, Any],
    command: str,
    args: argparse.Namespace,
    targets: dict[str, float],
) -> str:
    for r in results:
        r["rate"] = args.rate
    lines = [
        f"Machine: {machine['nproc']} cores, {machine['cpu_model']}, {machine['memory_gib']} GiB, "
        f"Linux {machine['kernel']}, Python {machine['python']}, SQLite {machine['sqlite']}; "
        f"load average at start {machine['load_average_1_5_15']}, after each database "
        f"{[r.get('load_average_after') for r in results]}.",
        "",
        f"Command: `{command}` (wrk -t{args.threads} -c{args.connections}, "
        f"{args.duration:g} s per operation after {args.warmup:g} s warm-up, median of "
        f"{args.rounds} rounds; flow {args.rate:g}/s for {args.flow_duration:g} s; "
        f"server `--workers {args.workers}`).",
        "",
    ]
    if any("soap" in r for r in results):
        lines += _soap_rows(results, targets) + [""]
    if any("flow" in r for r in results):
        lines += _flow_rows(results) + [""]
    ratios = history_ratios(results)
    if ratios:
        lines.append(
            "History ÷ fresh (target ≥ 90 %): "
            + ", ".join(f"{k} {v * 100:.0f} %" for k, v in ratios.items())
        )
    return "\n".join(lines)


def passed(results: list[dict[str, Any]], targets: dict[str, float]) -> bool:
    ok = True
    for res in results:
        for op, o in res.get("soap", {}).get("ops", {}).items():
            errors = o["server"]["errors"] + o["floor"]["errors"]
            ok &= o["ratio"] >= targets[op] and not errors
        if res.get("flow"):
            ok &= _flow_ok(res["flow"], res.get("rate", FLOW_RATE))
    return ok and all(v >= HISTORY_TOLERANCE for v in history_ratios(results).values())
