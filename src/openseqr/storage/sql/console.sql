-- Named queries of the web console (storage/console.py). Same syntax as queries.sql.

-- name: get_operator
SELECT name, password_hash, active, created_at FROM console_operators WHERE name = :name

-- name: insert_operator
INSERT INTO console_operators (name, password_hash, active, created_at)
VALUES (:name, :password_hash, :active, :created_at)
ON CONFLICT (name) DO NOTHING

-- name: update_operator
UPDATE console_operators SET password_hash = :password_hash, active = :active
WHERE name = :name

-- name: delete_operator
DELETE FROM console_operators WHERE name = :name

-- name: list_operators
SELECT name, password_hash, active, created_at FROM console_operators ORDER BY name

-- name: append_audit
INSERT INTO console_audit (at, actor_kind, actor, action, target, detail_json, reseller_id)
VALUES (:at, :actor_kind, :actor, :action, :target, :detail_json, :reseller_id)

-- name: audit_entries
SELECT id, at, actor_kind, actor, action, target, detail_json, reseller_id FROM console_audit
WHERE id < :before_id ORDER BY id DESC LIMIT :limit

-- name: audit_entries_of_reseller
SELECT id, at, actor_kind, actor, action, target, detail_json, reseller_id FROM console_audit
WHERE reseller_id = :reseller_id AND id < :before_id ORDER BY reseller_id DESC, id DESC
LIMIT :limit

-- name: ledger_of_invoice
SELECT transfer_id, kind, account, currency, amount_minor, created_at FROM ledger_entries
WHERE invoice_reference = :reference ORDER BY id

-- name: failed_notifications
SELECT {notifications} FROM notifications
WHERE status = 'failed' ORDER BY created_at DESC LIMIT :limit

-- name: pending_notifications
SELECT {notifications} FROM notifications
WHERE status = 'pending' ORDER BY next_attempt_at LIMIT :limit

-- name: failed_notifications_of_reseller
SELECT {notifications@n} FROM notifications n JOIN terminals t ON t.terminal_id = n.terminal_id
WHERE n.status = 'failed' AND t.reseller_id = :reseller_id ORDER BY n.created_at DESC LIMIT :limit

-- name: pending_notifications_of_reseller
SELECT {notifications@n} FROM notifications n JOIN terminals t ON t.terminal_id = n.terminal_id
WHERE n.status = 'pending' AND t.reseller_id = :reseller_id ORDER BY n.next_attempt_at
LIMIT :limit

-- name: init_console_secret
INSERT INTO switches (name, value) VALUES ('console_secret', :value)
ON CONFLICT (name) DO NOTHING
