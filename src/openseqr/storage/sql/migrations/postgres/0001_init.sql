-- openseqr initial schema, PostgreSQL dialect.
--
-- Kept in step with ../sqlite/0001_init.sql: same tables, columns, nullability, keys, CHECKs
-- and indexes (tests/integration/storage/test_schema.py compares the two). Dialect choices:
-- BIGINT for money (minor units); TIMESTAMPTZ for datetimes (the store's sessions run in UTC);
-- BOOLEAN; BYTEA for byte strings; identity columns; state/status columns are TEXT with CHECK
-- (no ENUM types, so adding a state is a plain ALTER ... CHECK); JSON columns are TEXT.

CREATE TABLE resellers (
    reseller_id             TEXT    NOT NULL PRIMARY KEY,
    user_id                 TEXT    NOT NULL,
    password_hash           TEXT    NOT NULL,
    name                    TEXT    NOT NULL,
    currencies              TEXT    NOT NULL,  -- ISO 4217 codes, comma separated
    status                  TEXT    NOT NULL CHECK (status IN ('ACTIVE', 'BLOCKED', 'UNREGISTERED')),
    refunds_allowed         BOOLEAN NOT NULL,
    receiver_allows_refunds BOOLEAN NOT NULL
);

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
    strict_rows          BOOLEAN NOT NULL,
    notify_retries       INTEGER NOT NULL,
    notify_secret        TEXT,
    created_at           TIMESTAMPTZ,
    CHECK ((seqr_id IS NULL) = (seqr_id_norm IS NULL))
);
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
    created_at        TIMESTAMPTZ
);

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
    issue_date        TIMESTAMPTZ NOT NULL,
    currency          TEXT    NOT NULL,
    total_minor       BIGINT  NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
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
    paid_at           TIMESTAMPTZ,
    reserved_minor    BIGINT,
    deadline_at       TIMESTAMPTZ,
    reason            TEXT,
    acked_version     INTEGER NOT NULL,
    session_token     TEXT,
    refunded_minor    BIGINT  NOT NULL,
    settled_at        TIMESTAMPTZ,
    rev               INTEGER NOT NULL
);
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
    amount_minor      BIGINT  NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    title             TEXT,
    cashier_id        TEXT,
    notification_url  TEXT
);
CREATE INDEX refunds_invoice ON refunds (invoice_reference, created_at);
CREATE INDEX refunds_reseller_created ON refunds (reseller_id, created_at);

CREATE TABLE receipt_documents (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ers_reference TEXT    NOT NULL,
    mime_type     TEXT,
    data          BYTEA,
    receipt_type  TEXT,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX receipt_documents_ers ON receipt_documents (ers_reference, id);

CREATE TABLE ledger_entries (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transfer_id       TEXT    NOT NULL,
    kind              TEXT    NOT NULL CHECK (kind IN ('funding', 'payment', 'reservation', 'commit',
                          'release', 'reversal', 'refund')),
    account           TEXT    NOT NULL,
    currency          TEXT    NOT NULL,
    amount_minor      BIGINT  NOT NULL,
    invoice_reference TEXT,
    ers_reference     TEXT,
    created_at        TIMESTAMPTZ
);
CREATE INDEX ledger_entries_account ON ledger_entries (account, currency);
CREATE INDEX ledger_entries_transfer ON ledger_entries (transfer_id);
CREATE INDEX ledger_entries_invoice ON ledger_entries (invoice_reference)
    WHERE invoice_reference IS NOT NULL;

CREATE TABLE account_balances (
    account       TEXT    NOT NULL,
    currency      TEXT    NOT NULL,
    balance_minor BIGINT  NOT NULL,
    PRIMARY KEY (account, currency),
    -- last line of defence; apply_transfer checks first (ledger.NO_OVERDRAFT_PREFIXES)
    CHECK (balance_minor >= 0
           OR (substr(account, 1, 9) <> 'customer:' AND substr(account, 1, 9) <> 'merchant:'))
);

CREATE TABLE notifications (
    notification_id   TEXT    NOT NULL PRIMARY KEY,
    invoice_reference TEXT    NOT NULL REFERENCES invoices (reference),
    terminal_id       TEXT    NOT NULL,
    url               TEXT    NOT NULL,
    body              BYTEA   NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    next_attempt_at   TIMESTAMPTZ NOT NULL,
    attempts          INTEGER NOT NULL,
    max_attempts      INTEGER NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    last_error        TEXT
);
CREATE INDEX notifications_due ON notifications (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notifications_invoice ON notifications (invoice_reference, created_at);

CREATE TABLE delivery_attempts (
    notification_id TEXT    NOT NULL REFERENCES notifications (notification_id),
    attempt         INTEGER NOT NULL,
    started_at      TIMESTAMPTZ NOT NULL,
    duration_ms     DOUBLE PRECISION NOT NULL,
    status_code     INTEGER,
    error           TEXT,
    PRIMARY KEY (notification_id, attempt)
);

CREATE TABLE transaction_periods (
    period_id   TEXT NOT NULL PRIMARY KEY,
    reseller_id TEXT NOT NULL REFERENCES resellers (reseller_id),
    terminal_id TEXT,
    start_at    TIMESTAMPTZ NOT NULL,
    end_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX transaction_periods_scope ON transaction_periods (reseller_id, terminal_id, end_at);

CREATE TABLE customer_messages (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_key    TEXT    NOT NULL,
    message_text      TEXT    NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    invoice_reference TEXT
);
CREATE INDEX customer_messages_subscriber ON customer_messages (subscriber_key, created_at);

CREATE TABLE services (
    service_id  TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    terminal_id TEXT    NOT NULL REFERENCES terminals (terminal_id),
    order_url   TEXT    NOT NULL,
    success_url TEXT    NOT NULL,
    failure_url TEXT    NOT NULL,
    cancel_url  TEXT    NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  TIMESTAMPTZ
);

CREATE TABLE client_sessions (
    token             TEXT NOT NULL PRIMARY KEY,
    service_id        TEXT NOT NULL REFERENCES services (service_id),
    terminal_id       TEXT NOT NULL,
    subscriber_key    TEXT NOT NULL,
    params_json       TEXT,
    state             TEXT NOT NULL CHECK (state IN ('IN_PROGRESS', 'ACTIVE', 'CANCELLED', 'EXPIRED')),
    created_at        TIMESTAMPTZ NOT NULL,
    expires_at        TIMESTAMPTZ NOT NULL,
    invoice_reference TEXT
);

CREATE TABLE switches (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
