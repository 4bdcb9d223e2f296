"""Money in: bank statements (CAMT.053, MT940, CODA), matching to open items, SEPA direct debit."""
