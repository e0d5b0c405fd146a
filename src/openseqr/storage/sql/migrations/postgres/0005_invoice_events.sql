-- The invoice event history (A-47): one append-only row per state change and per merchant- or
-- customer-visible action, written in the transaction of the change. `kind` and `actor` are
-- checked by the core (core.records.EventKind, Actor), not by a CHECK, so that a new kind needs
-- no table rebuild; `detail` is a flat JSON object of strings (NULL when empty). No foreign key:
-- the insert stays one index probe cheaper, and retention purges rows on its own schedule.
-- depends: 0004_live_invoices_index
CREATE TABLE invoice_events (
    event_id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    invoice_reference TEXT    NOT NULL,
    terminal_id       TEXT    NOT NULL,
    at                TIMESTAMPTZ NOT NULL,
    kind              TEXT    NOT NULL,
    actor             TEXT    NOT NULL,
    actor_id          TEXT,
    detail_json       TEXT
);
CREATE INDEX invoice_events_invoice ON invoice_events (invoice_reference, at);
