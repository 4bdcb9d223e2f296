"""Django glue without business rules: money columns, the audit trail, base models."""
