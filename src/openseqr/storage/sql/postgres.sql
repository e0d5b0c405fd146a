-- PostgreSQL-only queries; same syntax as queries.sql, and a name here replaces the shared one.

-- name: lock_invoice
SELECT {invoices} FROM invoices WHERE reference = :reference FOR UPDATE

-- name: lock_invoice_unless_busy
-- The deadline scanners of several processes meet on the same due rows: one decides, the
-- others move on instead of waiting (their event loop would wait with them).
SELECT {invoices} FROM invoices WHERE reference = :reference FOR UPDATE SKIP LOCKED

-- name: lock_customer
SELECT {customers} FROM customers WHERE subscriber_key = :subscriber_key FOR UPDATE

-- name: lock_balance
-- Customer rows sort first in every transfer's lock order (ledger accounts), so taking this
-- lock before `apply_transfer` keeps that order.
SELECT balance_minor FROM account_balances
WHERE account = :account AND currency = :currency FOR UPDATE

-- name: claim_notifications
-- Rows another relay has locked are skipped, not waited for; the lease moves next_attempt_at
-- so they stay invisible to later claims until lease_until. Returns the old due time last.
WITH due AS (
    SELECT notification_id, next_attempt_at FROM notifications
    WHERE status = 'pending' AND next_attempt_at <= :now
    ORDER BY next_attempt_at, notification_id
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE notifications AS n SET next_attempt_at = :lease_until
FROM due WHERE n.notification_id = due.notification_id
RETURNING {notifications@n}, due.next_attempt_at

-- name: purge_events
-- The shared form lets the planner hash-join a scan of the whole table; an array of the oldest
-- ids makes it probe the primary key for each. Rows another purger holds are skipped.
DELETE FROM invoice_events
WHERE event_id = ANY (ARRAY(
    SELECT event_id FROM invoice_events ORDER BY event_id LIMIT :limit FOR UPDATE SKIP LOCKED
))
  AND at < :cutoff
