-- Named queries shared by the SQLite and PostgreSQL stores.
--
-- Syntax: a `-- name: <query>` line starts a query; it runs to the next one. Parameters are
-- `:name` (converted to `%(name)s` for psycopg when loaded). Column lists come from
-- storage/rows.py so the SELECT order and the mapper agree by construction:
--   {invoices}          reference, terminal_id, ...
--   {invoices@i}        i.reference, i.terminal_id, ...
--   {invoices:values}   :reference, :terminal_id, ...
--   {invoices:set}      terminal_id = :terminal_id, ...          (all but the first column)
--   {invoices:excluded} terminal_id = excluded.terminal_id, ...  (all but the first column)
-- A dialect file (sqlite.sql / postgres.sql) may add queries or replace one of the same name.
-- Timestamps compare correctly in both dialects: TIMESTAMPTZ in PostgreSQL, fixed-width UTC
-- text in SQLite. Inserts use ON CONFLICT DO NOTHING so a duplicate key shows as rowcount 0
-- (-> DuplicateKey) without aborting a PostgreSQL transaction.

-- ---------------------------------------------------------------------------- principals
-- name: get_reseller
SELECT {resellers} FROM resellers WHERE reseller_id = :reseller_id

-- name: upsert_reseller
INSERT INTO resellers ({resellers}) VALUES ({resellers:values})
ON CONFLICT (reseller_id) DO UPDATE SET {resellers:excluded}

-- name: get_terminal
SELECT {terminals} FROM terminals WHERE terminal_id = :terminal_id

-- name: insert_terminal
INSERT INTO terminals ({terminals}) VALUES ({terminals:values}) ON CONFLICT DO NOTHING

-- name: update_terminal
UPDATE terminals SET {terminals:set} WHERE terminal_id = :terminal_id

-- name: terminal_by_seqr_id
SELECT {terminals} FROM terminals WHERE seqr_id_norm = :seqr_id_norm

-- name: list_terminals
SELECT {terminals} FROM terminals WHERE reseller_id = :reseller_id
ORDER BY created_at IS NULL, created_at, terminal_id

-- --------------------------------------------------------------------------- customers
-- name: source_failures
-- Both counts that can refuse an address (A-22), in one read: all wallets ('') and this one.
SELECT subscriber_key, failures, last_failure FROM pin_sources
WHERE source = :source AND subscriber_key IN ('', :subscriber_key)

-- name: forget_source_failures
DELETE FROM pin_sources WHERE source = :source AND subscriber_key = :subscriber_key

-- name: count_source_failure
-- A failure after a quiet cool-down starts the count again. The row stays locked until the
-- transaction ends, so one address's guesses are counted one at a time in every process.
INSERT INTO pin_sources (source, subscriber_key, failures, last_failure)
VALUES (:source, :subscriber_key, 1, :now)
ON CONFLICT (source, subscriber_key) DO UPDATE SET
    failures = CASE WHEN pin_sources.last_failure <= :quiet_since THEN 1
                    ELSE pin_sources.failures + 1 END,
    last_failure = excluded.last_failure
RETURNING failures

-- name: get_customer
SELECT {customers} FROM customers WHERE subscriber_key = :subscriber_key

-- name: lock_customer
SELECT {customers} FROM customers WHERE subscriber_key = :subscriber_key

-- name: customer_by_msisdn
SELECT {customers} FROM customers WHERE msisdn = :msisdn

-- name: insert_customer
INSERT INTO customers ({customers}) VALUES ({customers:values}) ON CONFLICT DO NOTHING

-- name: update_customer
UPDATE customers SET {customers:set} WHERE subscriber_key = :subscriber_key

-- name: list_customers
SELECT {customers} FROM customers ORDER BY created_at IS NULL, created_at, subscriber_key

-- ---------------------------------------------------------------------------- invoices
-- name: insert_invoice
INSERT INTO invoices ({invoices}) VALUES ({invoices:values}) ON CONFLICT DO NOTHING

-- name: get_invoice
SELECT {invoices} FROM invoices WHERE reference = :reference

-- name: lock_invoice
-- SQLite: a write transaction (BEGIN IMMEDIATE) already holds the database write lock.
SELECT {invoices} FROM invoices WHERE reference = :reference

-- name: lock_invoice_unless_busy
SELECT {invoices} FROM invoices WHERE reference = :reference

-- name: save_invoice
-- Compare-and-set: :rev is the new revision, :expected_rev the one the caller read.
UPDATE invoices SET {invoices:set} WHERE reference = :reference AND rev = :expected_rev

-- name: latest_invoice
SELECT {invoices} FROM invoices WHERE terminal_id = :terminal_id
ORDER BY created_at DESC, reference DESC LIMIT 1

-- name: live_invoices
SELECT {invoices} FROM invoices
WHERE terminal_id = :terminal_id
  AND state IN ('issued', 'viewed', 'awaiting_ack', 'paying', 'reserved')
ORDER BY created_at, reference

-- name: invoice_by_ers_reference
SELECT {invoices} FROM invoices WHERE ers_reference = :ers_reference

-- name: due_invoices
SELECT {invoices} FROM invoices
WHERE deadline_at IS NOT NULL AND deadline_at <= :now
ORDER BY deadline_at, reference LIMIT :limit

-- name: invoices_of_customer
SELECT {invoices} FROM invoices WHERE payer = :payer
ORDER BY created_at DESC, reference DESC LIMIT :limit

-- ----------------------------------------------------------------- refunds and receipts
-- name: insert_refund
INSERT INTO refunds ({refunds}) VALUES ({refunds:values}) ON CONFLICT DO NOTHING

-- name: get_refund
SELECT {refunds} FROM refunds WHERE ers_reference = :ers_reference

-- name: refunds_of_invoice
SELECT {refunds} FROM refunds WHERE invoice_reference = :invoice_reference
ORDER BY created_at, ers_reference

-- name: insert_receipt_document
INSERT INTO receipt_documents ({receipt_documents}) VALUES ({receipt_documents:values})

-- name: receipt_documents
SELECT {receipt_documents} FROM receipt_documents WHERE ers_reference = :ers_reference
ORDER BY id

-- ------------------------------------------------------------------------------ ledger
-- name: balance_debit
-- A debit of an account that may not go negative: the check and the change are one statement.
UPDATE account_balances SET balance_minor = balance_minor + :delta
WHERE account = :account AND currency = :currency AND balance_minor + :delta >= 0

-- name: balance_add
INSERT INTO account_balances (account, currency, balance_minor)
VALUES (:account, :currency, :delta)
ON CONFLICT (account, currency)
DO UPDATE SET balance_minor = account_balances.balance_minor + excluded.balance_minor

-- name: insert_entry
INSERT INTO ledger_entries
    (transfer_id, kind, account, currency, amount_minor, invoice_reference, ers_reference,
     created_at)
VALUES (:transfer_id, :kind, :account, :currency, :amount_minor, :invoice_reference,
        :ers_reference, :created_at)

-- name: balance
SELECT balance_minor FROM account_balances WHERE account = :account AND currency = :currency

-- name: lock_balance
SELECT balance_minor FROM account_balances WHERE account = :account AND currency = :currency

-- name: entry_sums
SELECT currency, SUM(amount_minor) FROM ledger_entries GROUP BY currency ORDER BY currency

-- name: balance_mismatches
SELECT COUNT(*) FROM (
    SELECT b.account FROM account_balances b
    LEFT JOIN (SELECT account, currency, SUM(amount_minor) AS total
               FROM ledger_entries GROUP BY account, currency) e
           ON e.account = b.account AND e.currency = b.currency
    WHERE b.balance_minor <> COALESCE(e.total, 0)
    UNION ALL
    SELECT e.account FROM ledger_entries e
    WHERE NOT EXISTS (SELECT 1 FROM account_balances b
                      WHERE b.account = e.account AND b.currency = e.currency)
    GROUP BY e.account, e.currency HAVING SUM(e.amount_minor) <> 0
) AS mismatches

-- ------------------------------------------------------------------ notification outbox
-- name: enqueue_notification
INSERT INTO notifications ({notifications}) VALUES ({notifications:values})
ON CONFLICT DO NOTHING

-- name: update_notification
UPDATE notifications SET {notifications:set} WHERE notification_id = :notification_id

-- name: record_attempt
INSERT INTO delivery_attempts ({delivery_attempts}) VALUES ({delivery_attempts:values})
ON CONFLICT DO NOTHING

-- name: get_notification
SELECT {notifications} FROM notifications WHERE notification_id = :notification_id

-- name: list_notifications
SELECT {notifications} FROM notifications
ORDER BY created_at, notification_id LIMIT :limit

-- name: list_notifications_of_invoice
SELECT {notifications} FROM notifications WHERE invoice_reference = :invoice_reference
ORDER BY created_at, notification_id LIMIT :limit

-- name: attempts_of
SELECT {delivery_attempts} FROM delivery_attempts WHERE notification_id = :notification_id
ORDER BY attempt

-- name: count_owed_notifications
SELECT count(*) FROM notifications WHERE status = 'pending'

-- ---------------------------------------------------------------------- reconciliation
-- name: insert_period
INSERT INTO transaction_periods ({transaction_periods})
VALUES ({transaction_periods:values}) ON CONFLICT DO NOTHING

-- name: get_period
SELECT {transaction_periods} FROM transaction_periods WHERE period_id = :period_id

-- name: last_period_end_of_reseller
SELECT MAX(end_at) FROM transaction_periods
WHERE reseller_id = :reseller_id AND terminal_id IS NULL

-- name: last_period_end_of_terminal
SELECT MAX(end_at) FROM transaction_periods
WHERE reseller_id = :reseller_id AND terminal_id = :terminal_id

-- name: settled_of_reseller
SELECT 'payment' AS kind, terminal_id, cashier_id, currency, total_minor AS amount_minor,
       ers_reference, settled_at
FROM invoices
WHERE reseller_id = :reseller_id AND state = 'paid'
  AND settled_at >= :start AND settled_at < :end
UNION ALL
SELECT 'refund', terminal_id, cashier_id, currency, -amount_minor, ers_reference, created_at
FROM refunds
WHERE reseller_id = :reseller_id AND created_at >= :start AND created_at < :end
ORDER BY settled_at, ers_reference

-- name: settled_of_terminal
SELECT 'payment' AS kind, terminal_id, cashier_id, currency, total_minor AS amount_minor,
       ers_reference, settled_at
FROM invoices
WHERE reseller_id = :reseller_id AND terminal_id = :terminal_id AND state = 'paid'
  AND settled_at >= :start AND settled_at < :end
UNION ALL
SELECT 'refund', terminal_id, cashier_id, currency, -amount_minor, ers_reference, created_at
FROM refunds
WHERE reseller_id = :reseller_id AND terminal_id = :terminal_id
  AND created_at >= :start AND created_at < :end
ORDER BY settled_at, ers_reference

-- ------------------------------------------------------------------ invoice event history
-- name: append_event
INSERT INTO invoice_events ({invoice_events}) VALUES ({invoice_events:values})

-- name: invoice_events
SELECT event_id, {invoice_events} FROM invoice_events WHERE invoice_reference = :invoice_reference
ORDER BY at, event_id

-- Retention: of the `limit` oldest rows by id (ids grow with time), those older than the cutoff;
-- reads at most `limit` rows of the primary key, so a purge with nothing to do costs nothing.
-- name: purge_events
DELETE FROM invoice_events
WHERE event_id IN (SELECT event_id FROM invoice_events ORDER BY event_id LIMIT :limit)
  AND at < :cutoff

-- ------------------------------------------------------------------- customer messages
-- name: insert_message
INSERT INTO customer_messages ({customer_messages}) VALUES ({customer_messages:values})

-- name: messages_of
SELECT {customer_messages} FROM customer_messages WHERE subscriber_key = :subscriber_key
ORDER BY created_at DESC, id DESC LIMIT :limit

-- ------------------------------------------------- External Services and client sessions
-- name: upsert_service
INSERT INTO services ({services}) VALUES ({services:values})
ON CONFLICT (service_id) DO UPDATE SET {services:excluded}

-- name: get_service
SELECT {services} FROM services WHERE service_id = :service_id

-- name: list_services
SELECT {services} FROM services ORDER BY service_id

-- name: insert_session
INSERT INTO client_sessions ({client_sessions}) VALUES ({client_sessions:values})
ON CONFLICT DO NOTHING

-- name: get_session
SELECT {client_sessions} FROM client_sessions WHERE token = :token

-- name: update_session
UPDATE client_sessions SET {client_sessions:set} WHERE token = :token

-- ------------------------------------------------------------------- operator switches
-- name: get_switch
SELECT value FROM switches WHERE name = :name

-- name: set_switch
INSERT INTO switches (name, value) VALUES (:name, :value)
ON CONFLICT (name) DO UPDATE SET value = excluded.value

-- name: principals_version
SELECT value FROM switches WHERE name = 'principals_version'

-- name: bump_principals_version
INSERT INTO switches (name, value) VALUES ('principals_version', '1')
ON CONFLICT (name) DO UPDATE SET value = CAST(CAST(switches.value AS INTEGER) + 1 AS TEXT)
