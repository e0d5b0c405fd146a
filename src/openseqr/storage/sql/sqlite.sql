-- SQLite-only queries; same syntax as queries.sql, and a name here replaces the shared one.
-- (A write transaction holds the database write lock, so "select then update" is atomic.)

-- name: due_notifications
SELECT {notifications} FROM notifications
WHERE status = 'pending' AND next_attempt_at <= :now
ORDER BY next_attempt_at, notification_id
LIMIT :limit

-- name: lease_notification
UPDATE notifications SET next_attempt_at = :lease_until WHERE notification_id = :notification_id
