"""SEPA direct debit: mandates, pain.008 collection files, returns and settlement.

A sub-app of ``banking`` (layer 3): it books through the ledger's services and knows nothing of
cases, risk or dunning.
"""
