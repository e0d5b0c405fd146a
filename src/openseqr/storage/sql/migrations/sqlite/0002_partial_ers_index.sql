-- Unpaid invoices have no ersReference; keeping them out of the unique index saves one index
-- write per sendInvoice (the hot write path). Uniqueness of real references is unchanged.
-- depends: 0001_init
DROP INDEX invoices_ers_reference;
CREATE UNIQUE INDEX invoices_ers_reference ON invoices (ers_reference) WHERE ers_reference IS NOT NULL;
