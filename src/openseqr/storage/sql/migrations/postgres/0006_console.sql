-- The web console (/console): operator accounts, the audit log of console actions, and the
-- indexes its invoice search and notification lists need to stay fast with a million invoices
-- (A-55). Kept in step with ../sqlite/0006_console.sql.
-- depends: 0005_invoice_events
CREATE TABLE console_operators (
    name          TEXT        NOT NULL PRIMARY KEY,
    password_hash TEXT        NOT NULL,
    active        BOOLEAN     NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE console_audit (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    actor_kind  TEXT        NOT NULL CHECK (actor_kind IN ('operator', 'merchant')),
    actor       TEXT        NOT NULL,
    action      TEXT        NOT NULL,
    target      TEXT        NOT NULL,
    detail_json TEXT,
    reseller_id TEXT
);
CREATE INDEX console_audit_reseller ON console_audit (reseller_id, id) WHERE reseller_id IS NOT NULL;

CREATE INDEX invoices_created ON invoices (created_at);
CREATE INDEX invoices_reseller_created ON invoices (reseller_id, created_at);
CREATE INDEX invoices_state_created ON invoices (state, created_at);
CREATE INDEX invoices_client_invoice_id ON invoices (client_invoice_id)
    WHERE client_invoice_id IS NOT NULL;
CREATE INDEX notifications_failed ON notifications (created_at) WHERE status = 'failed';
