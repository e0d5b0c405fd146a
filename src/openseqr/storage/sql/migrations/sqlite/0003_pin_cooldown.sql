-- When the third wrong PIN locked the wallet; it unlocks by itself after the cool-down.
-- depends: 0002_partial_ers_index
ALTER TABLE customers ADD COLUMN pin_locked_at TEXT;
