"""Entry point of the `vorder` console command.

`vorder X` runs the Django management command X (so `vorder migrate` works), with two comforts:
dashes and underscores are interchangeable in command names (`vorder demo-data`), and the
working settings module is vorder's own unless DJANGO_SETTINGS_MODULE says otherwise.
"""

from __future__ import annotations

import os
import sys

_ALIASES = {"demo-data": "demo_data"}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if len(argv) > 1:
        argv[1] = _ALIASES.get(
            argv[1], argv[1].replace("-", "_") if not argv[1].startswith("-") else argv[1]
        )
    from django.core.management import execute_from_command_line

    execute_from_command_line(["vorder", *argv[1:]])
    return 0


if __name__ == "__main__":
    sys.exit(main())
