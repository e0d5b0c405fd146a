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
SELECT substr(created_at, 1, 16), state, count(*) FROM invoices
WHERE created_at >= :since AND created_at < :until
  AND (CAST(:reseller_id AS TEXT) IS NULL OR reseller_id = :reseller_id)
GROUP BY 1, 2
