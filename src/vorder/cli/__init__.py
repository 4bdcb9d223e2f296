"""The `vorder` command: every Django management command plus vorder's own (import, report, ...)."""
