#!/usr/bin/env python3
"""CPU per sendInvoice of a cash register that supersedes its live invoice, in-process (T13).

A till sends a new invoice while the last one is still open: the server cancels the old one
and inserts the new one in one transaction. This times `merchant.send_invoice` for a till
registered in the sandbox, over many calls, with `time.process_time`, on a real SQLite store
in a temporary directory, with the flow's invoice shape (two rows, backURL, notificationUrl).
Run it against two checkouts in turn to compare them (the machine's speed drifts; pairs hold).

    .venv/bin/python bench/till_cpu.py                 # 2000 invoices
    PYTHONPATH=/other/checkout/src .venv/bin/python bench/till_cpu.py
"""

from __future__ import annotations

import argparse
import time

from pay_cpu import draft, sandbox_context

from openseqr.service import merchant, sandbox
from openseqr.service.auth import authenticate


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--invoices", type=int, default=2000)
    args = p.parse_args()
    ctx, _ = sandbox_context("till-cpu-")
    reseller = authenticate(ctx, "RESELLERUSER", sandbox.RESELLER_ID, sandbox.RESELLER_USER,
                            sandbox.RESELLER_PASSWORD)  # fmt: skip
    terminal = merchant.register_terminal(ctx, reseller, "bench-till", "till-pw", "Bench till")
    till = authenticate(ctx, "TERMINALID", terminal.terminal_id, None, "till-pw")
    drafts = [draft(i) for i in range(args.invoices + 1)]
    merchant.send_invoice(ctx, till, drafts[0])  # the live invoice the first timed call supersedes
    start = time.process_time()
    for d in drafts[1:]:
        merchant.send_invoice(ctx, till, d)
    used = time.process_time() - start
    print(f"till sendInvoice: {used * 1e6 / args.invoices:.0f} us CPU per call ({args.invoices})")
    ctx.store.close()


if __name__ == "__main__":
    main()
