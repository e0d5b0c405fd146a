-- SQLite-only queries; same syntax as queries.sql, and a name here replaces the shared one.
-- (A write transaction holds the database write lock, so "select then update" is atomic.)

-- name: due_notifications
SELECT {notifications} FROM notifications
WHERE status = 'pending' AND next_attempt_at <= :now
ORDER BY next_attempt_at, notification_id
LIMIT :limit

-- name: lease_notification
UPDATE notifications SET next_attempt_at = :lease_until WHERE notification_id = :notification_id

-- name: invoice_states_by_minute
-- Stored datetimes are fixed-width UTC text, so the first 16 characters are the minute.
-- Naming every state lets the search read only the index (state, created_at) of 0006: one
-- range per state, no table rows (tests/integration/storage/test_query_plans.py checks both).
SELECT substr(created_at, 1, 16), state, count(*) FROM invoices
WHERE state IN ('issued', 'viewed', 'awaiting_ack', 'paying', 'reserved', 'paid_unacked', 'paid',
                'reversed', 'cancelled', 'failed')
  AND created_at >= :since AND created_at < :until
GROUP BY 1, 2

-- name: invoice_states_by_minute_of_reseller
SELECT substr(created_at, 1, 16), state, count(*) FROM invoices
WHERE reseller_id = :reseller_id AND created_at >= :since AND created_at < :until
GROUP BY 1, 2
