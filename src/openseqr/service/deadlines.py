"""The deadline scanner: stored deadlines become transitions (T11, T17, T19, stuck payments).

`expire_due(ctx, now)` is the whole job; a loop calls it with the injected clock, tests call it
directly with a moved clock. A restart loses nothing because the deadlines live in the rows.
"""

from __future__ import annotations

from datetime import datetime

from ..core import errors, machine
from ..core.records import Actor, TerminalKind
from .context import Context
from .writes import persist


def expire_due(ctx: Context, now: datetime | None = None, limit: int = 200) -> int:
    now = now or ctx.now()
    with ctx.store.transaction(write=False) as tx:
        due = tx.due_invoices(now, limit)
    done = 0
    for candidate in due:
        try:
            with ctx.store.transaction() as tx:
                inv = tx.lock_invoice_unless_busy(candidate.reference)
                if inv is None:
                    continue  # busy: its holder decides (another scanner), or the next tick
                terminal = tx.get_terminal(candidate.terminal_id)
                if terminal is None:
                    continue
                register = terminal.kind is TerminalKind.CASH_REGISTER
                decision = machine.deadline_passed(inv, now, ctx.policy, register)
                if decision is None:
                    continue
                persist(ctx, tx, inv, decision, terminal, actor=Actor.SYSTEM, at=now)
                done += 1
        except errors.PaymentInProgress:
            continue  # changed under us (acknowledged at the last moment); next tick decides
    return done
