"""Every state change of the ledger, one module per concern; import from the module itself:

- ``allocations``: payment_allocate, credit_note_allocate, allocations_apply (afletteren)
- ``upserts``: customers_upsert, invoices_upsert, credit_notes_upsert, payments_upsert (imports, API)
- ``tokens``: api_token_create, api_token_revoke
- ``demo``: demo portfolio generation
"""
