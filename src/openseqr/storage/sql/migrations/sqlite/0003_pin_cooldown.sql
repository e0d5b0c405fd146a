-- When the third wrong PIN locked the wallet; it unlocks by itself after the cool-down.
-- depends: 0002_partial_ers_index
ALTER TABLE customers ADD COLUMN pin_locked_at TEXT;
-- Wrong PINs per client address and wallet ('' for the address's total), shared by every
-- server process (A-22).
CREATE TABLE pin_sources (
    source          TEXT    NOT NULL,
    subscriber_key  TEXT    NOT NULL,
    failures        INTEGER NOT NULL,
    last_failure    TEXT NOT NULL,
    PRIMARY KEY (source, subscriber_key)
);
