"""The receivables ledger: creditors, customers, invoices, credit notes, payments, allocations."""
