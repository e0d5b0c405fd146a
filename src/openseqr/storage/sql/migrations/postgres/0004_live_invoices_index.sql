-- sendInvoice on a cash register looks up the terminal's live invoices to supersede them
-- (queries.sql: live_invoices). The (terminal_id, created_at) index made that lookup read every
-- invoice the terminal ever had; this one holds only live rows, so its cost stays flat as
-- history grows. Its WHERE is the query's state list, word for word, so the planner uses it.
-- depends: 0003_pin_cooldown
CREATE INDEX invoices_live ON invoices (terminal_id, created_at)
    WHERE state IN ('issued', 'viewed', 'awaiting_ack', 'paying', 'reserved');
