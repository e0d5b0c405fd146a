-- openseqr initial schema, SQLite dialect.
--
-- Kept in step with ../postgres/0001_init.sql: same tables, columns, nullability, keys, CHECKs
-- and indexes (tests/integration/storage/test_schema.py compares the two). Dialect choices:
-- STRICT tables; INTEGER for money (minor units) and counters; datetimes are TEXT in one
-- fixed-width form, 'YYYY-MM-DDTHH:MM:SS.ffffff+00:00' (UTC), so text order is time order;
-- booleans are INTEGER 0/1; byte strings are BLOB; JSON columns are TEXT (NULL when empty).

CREATE TABLE resellers (
    reseller_id             TEXT    NOT NULL PRIMARY KEY,
    user_id                 TEXT    NOT NULL,
    password_hash           TEXT    NOT NULL,
    name                    TEXT    NOT NULL,
    currencies              TEXT    NOT NULL,  -- ISO 4217 codes, comma separated
    status                  TEXT    NOT NULL CHECK (status IN ('ACTIVE', 'BLOCKED', 'UNREGISTERED')),
    refunds_allowed         INTEGER NOT NULL CHECK (refunds_allowed IN (0, 1)),
    receiver_allows_refunds INTEGER NOT NULL CHECK (receiver_allows_refunds IN (0, 1))
) STRICT;

CREATE TABLE terminals (
    terminal_id          TEXT    NOT NULL PRIMARY KEY,
    reseller_id          TEXT    NOT NULL REFERENCES resellers (reseller_id),
    kind                 TEXT    NOT NULL CHECK (kind IN ('CASH_REGISTER', 'ONLINE')),
    name                 TEXT    NOT NULL,
    password_hash        TEXT    NOT NULL,
    external_terminal_id TEXT,
    seqr_id              TEXT,
    seqr_id_norm         TEXT,  -- lower(seqr_id): SEQR IDs are unique case-insensitively (D-53)
    status               TEXT    NOT NULL CHECK (status IN ('ACTIVE', 'BLOCKED', 'UNREGISTERED')),
    ack_mode_default     TEXT    NOT NULL CHECK (ack_mode_default IN
                             ('NO_ACKNOWLEDGMENT', 'OPTIONAL_ACKNOWLEDGMENT', 'REQUIRE_ACKNOWLEDGMENT')),
    strict_rows          INTEGER NOT NULL CHECK (strict_rows IN (0, 1)),
    notify_retries       INTEGER NOT NULL,
    notify_secret        TEXT,
    created_at           TEXT,
    CHECK ((seqr_id IS NULL) = (seqr_id_norm IS NULL))
) STRICT;
CREATE UNIQUE INDEX terminals_seqr_id_norm ON terminals (seqr_id_norm);
CREATE INDEX terminals_reseller ON terminals (reseller_id);

CREATE TABLE customers (
    subscriber_key    TEXT    NOT NULL PRIMARY KEY,
    msisdn            TEXT    NOT NULL UNIQUE,
    pin_hash          TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    payer_terminal_id TEXT    NOT NULL,
    pin_failures      INTEGER NOT NULL,
    provider_mode     TEXT    NOT NULL CHECK (provider_mode IN ('ok', 'decline', 'unavailable')),
    tokens_json       TEXT,
    created_at        TEXT
) STRICT;

CREATE TABLE invoices (
    reference         TEXT    NOT NULL PRIMARY KEY,
    terminal_id       TEXT    NOT NULL REFERENCES terminals (terminal_id),
    reseller_id       TEXT    NOT NULL REFERENCES resellers (reseller_id),
    state             TEXT    NOT NULL CHECK (state IN ('issued', 'viewed', 'awaiting_ack', 'paying',
                          'reserved', 'paid_unacked', 'paid', 'reversed', 'cancelled', 'failed')),
    version           INTEGER NOT NULL,
    payment_mode      TEXT    NOT NULL CHECK (payment_mode IN ('IMMEDIATE_DEBIT', 'RESERVATION_DESIRED',
                          'RESERVATION_REQUIRED', 'RESERVATION_REQUIRED_PRELIMINARY_AMOUNT')),
    ack_mode          TEXT    NOT NULL CHECK (ack_mode IN
                          ('NO_ACKNOWLEDGMENT', 'OPTIONAL_ACKNOWLEDGMENT', 'REQUIRE_ACKNOWLEDGMENT')),
    issue_date        TEXT    NOT NULL,
    currency          TEXT    NOT NULL,
    total_minor       INTEGER NOT NULL,
    created_at        TEXT    NOT NULL,
    title             TEXT,
    client_invoice_id TEXT,
    rows_json         TEXT,
    cashier_id        TEXT,
    footer            TEXT,
    back_url          TEXT,
    notification_url  TEXT,
    commit_timeout    INTEGER,
    tokens_json       TEXT,
    payer             TEXT,
    payer_terminal_id TEXT,
    viewed_version    INTEGER,
    ers_reference     TEXT,
    paid_at           TEXT,
    reserved_minor    INTEGER,
    deadline_at       TEXT,
    reason            TEXT,
    acked_version     INTEGER NOT NULL,
    session_token     TEXT,
    refunded_minor    INTEGER NOT NULL,
    settled_at        TEXT,
    rev               INTEGER NOT NULL
) STRICT;
CREATE INDEX invoices_terminal_created ON invoices (terminal_id, created_at);
CREATE UNIQUE INDEX invoices_ers_reference ON invoices (ers_reference);
CREATE INDEX invoices_deadline ON invoices (deadline_at) WHERE deadline_at IS NOT NULL;
CREATE INDEX invoices_payer ON invoices (payer, created_at) WHERE payer IS NOT NULL;
CREATE INDEX invoices_settled ON invoices (reseller_id, settled_at) WHERE settled_at IS NOT NULL;

CREATE TABLE refunds (
    ers_reference     TEXT    NOT NULL PRIMARY KEY,
    payment_reference TEXT    NOT NULL,
    invoice_reference TEXT    NOT NULL REFERENCES invoices (reference),
    terminal_id       TEXT    NOT NULL,
    reseller_id       TEXT    NOT NULL,
    currency          TEXT    NOT NULL,
    amount_minor      INTEGER NOT NULL,
    created_at        TEXT    NOT NULL,
    title             TEXT,
    cashier_id        TEXT,
    notification_url  TEXT
) STRICT;
CREATE INDEX refunds_invoice ON refunds (invoice_reference, created_at);
CREATE INDEX refunds_reseller_created ON refunds (reseller_id, created_at);

CREATE TABLE receipt_documents (
    id            INTEGER NOT NULL PRIMARY KEY,
    ers_reference TEXT    NOT NULL,
    mime_type     TEXT,
    data          BLOB,
    receipt_type  TEXT,
    created_at    TEXT    NOT NULL
) STRICT;
CREATE INDEX receipt_documents_ers ON receipt_documents (ers_reference, id);

CREATE TABLE ledger_entries (
    id                INTEGER NOT NULL PRIMARY KEY,
    transfer_id       TEXT    NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('funding', 'payment', 'reservation', 'commit',
                          'release', 'reversal', 'refund')),
    account           TEXT    NOT NULL,
    currency          TEXT    NOT NULL,
    amount_minor      INTEGER NOT NULL,
    invoice_reference TEXT,
    ers_reference     TEXT,
    created_at        TEXT
) STRICT;
CREATE INDEX ledger_entries_account ON ledger_entries (account, currency);
CREATE INDEX ledger_entries_transfer ON ledger_entries (transfer_id);
CREATE INDEX ledger_entries_invoice ON ledger_entries (invoice_reference)
    WHERE invoice_reference IS NOT NULL;

CREATE TABLE account_balances (
    account       TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    balance_minor INTEGER NOT NULL,
    PRIMARY KEY (account, currency),
    -- last line of defence; apply_transfer checks first (ledger.NO_OVERDRAFT_PREFIXES)
    CHECK (balance_minor >= 0
           OR (substr(account, 1, 9) <> 'customer:' AND substr(account, 1, 9) <> 'merchant:'))
) STRICT;

CREATE TABLE notifications (
    notification_id   TEXT    NOT NULL PRIMARY KEY,
    invoice_reference TEXT    NOT NULL REFERENCES invoices (reference),
    terminal_id       TEXT    NOT NULL,
    url               TEXT    NOT NULL,
    body              BLOB    NOT NULL,
    created_at        TEXT    NOT NULL,
    next_attempt_at   TEXT    NOT NULL,
    attempts          INTEGER NOT NULL,
    max_attempts      INTEGER NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    last_error        TEXT
) STRICT;
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_invoice ON notifications (invoice_reference, created_at);

CREATE TABLE delivery_attempts (
    notification_id TEXT    NOT NULL REFERENCES notifications (notification_id),
    attempt         INTEGER NOT NULL,
    started_at      TEXT    NOT NULL,
    duration_ms     REAL    NOT NULL,
    status_code     INTEGER,
    error           TEXT,
    PRIMARY KEY (notification_id, attempt)
) STRICT;

CREATE TABLE transaction_periods (
    period_id   TEXT NOT NULL PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES resellers (reseller_id),
    terminal_id TEXT,
    start_at    TEXT NOT NULL,
    end_at      TEXT NOT NULL
) STRICT;
CREATE INDEX transaction_periods_scope ON transaction_periods (reseller_id, terminal_id, end_at);

CREATE TABLE customer_messages (
    id                INTEGER NOT NULL PRIMARY KEY,
    subscriber_key    TEXT    NOT NULL,
    message_text      TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    invoice_reference TEXT
) STRICT;
CREATE INDEX customer_messages_subscriber ON customer_messages (subscriber_key, created_at);

CREATE TABLE services (
    service_id  TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    terminal_id TEXT    NOT NULL REFERENCES terminals (terminal_id),
    order_url   TEXT    NOT NULL,
    success_url TEXT    NOT NULL,
    failure_url TEXT    NOT NULL,
    cancel_url  TEXT    NOT NULL,
    active      INTEGER NOT NULL CHECK (active IN (0, 1)),
    created_at  TEXT
) STRICT;

CREATE TABLE client_sessions (
    token             TEXT NOT NULL PRIMARY KEY,
    service_id        TEXT NOT NULL REFERENCES services (service_id),
    terminal_id       TEXT NOT NULL,
    subscriber_key    TEXT NOT NULL,
    params_json       TEXT,
    state             TEXT NOT NULL CHECK (state IN ('IN_PROGRESS', 'ACTIVE', 'CANCELLED', 'EXPIRED')),
    created_at        TEXT NOT NULL,
    expires_at        TEXT NOT NULL,
    invoice_reference TEXT
) STRICT;

CREATE TABLE switches (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;
