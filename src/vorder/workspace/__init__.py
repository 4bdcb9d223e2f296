"""The staff workspace: server-rendered pages for the credit manager and the collector."""
