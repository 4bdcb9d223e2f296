"""The pure-Python core: money, dates, law, references, decisions. No Django, no I/O, no clock."""
