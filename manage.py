#!/usr/bin/env python
import sys

from vorder.cli.main import main

if __name__ == "__main__":
    sys.exit(main())
