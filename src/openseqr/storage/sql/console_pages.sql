-- The reads of the console pages (A-59); same syntax as queries.sql. Each window query is a
-- range search on an index of migration 0006 or 0007 (tests/integration/storage/test_query_plans.py:
-- CONSOLE). `:reseller_id` NULL means every merchant; a value keeps one merchant's rows.

-- name: count_pending_notifications
SELECT count(*), coalesce(sum(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0)
FROM notifications WHERE status = 'pending'
  AND (CAST(:reseller_id AS TEXT) IS NULL
       OR terminal_id IN (SELECT terminal_id FROM terminals WHERE reseller_id = :reseller_id))

-- name: failed_notifications_since
SELECT count(*) FROM notifications WHERE status = 'failed' AND created_at >= :since
  AND (CAST(:reseller_id AS TEXT) IS NULL
       OR terminal_id IN (SELECT terminal_id FROM terminals WHERE reseller_id = :reseller_id))

-- name: delivery_delays_since
SELECT n.created_at, a.started_at, a.duration_ms
FROM delivery_attempts a JOIN notifications n ON n.notification_id = a.notification_id
WHERE a.started_at >= :since AND a.status_code >= 200 AND a.status_code < 300
  AND (CAST(:reseller_id AS TEXT) IS NULL
       OR n.terminal_id IN (SELECT terminal_id FROM terminals WHERE reseller_id = :reseller_id))

-- name: list_resellers
SELECT {resellers} FROM resellers ORDER BY reseller_id

-- name: balances_of
SELECT currency, balance_minor FROM account_balances WHERE account = :account ORDER BY currency

-- name: periods_of_reseller
SELECT {transaction_periods} FROM transaction_periods WHERE reseller_id = :reseller_id
ORDER BY end_at DESC, period_id LIMIT :limit
