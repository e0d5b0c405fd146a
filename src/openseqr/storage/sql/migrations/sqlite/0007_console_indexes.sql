-- The console dashboard (A-59) reads the last hour's notification deliveries by the time their
-- attempt started, across every terminal: a range search, so its cost follows the window, not
-- the history. (Invoices and failed notifications by time use 0006's invoices_created and
-- notifications_failed.)
-- depends: 0006_console
CREATE INDEX delivery_attempts_started ON delivery_attempts (started_at);
