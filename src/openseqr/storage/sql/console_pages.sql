-- The reads of the console pages (A-59); same syntax as queries.sql. Each window query is a
-- range search on an index of migration 0006 or 0007 (tests/integration/storage/test_query_plans.py:
-- CONSOLE). `:reseller_id` NULL means every merchant; a value keeps one merchant's rows.

-- name: invoice_states_between
-- Naming every state lets the search read only the index (state, created_at) of 0006: one
-- range per state, no table rows, and the groups come in index order (no sort).
SELECT state, count(*) FROM invoices
WHERE state IN ('issued', 'viewed', 'awaiting_ack', 'paying', 'reserved', 'paid_unacked', 'paid',
                'reversed', 'cancelled', 'failed')
  AND created_at >= :since AND created_at < :until
GROUP BY state

-- name: invoice_states_between_of_reseller
SELECT state, count(*) FROM invoices
WHERE reseller_id = :reseller_id AND created_at >= :since AND created_at < :until
GROUP BY state

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
