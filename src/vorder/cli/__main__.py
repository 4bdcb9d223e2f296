import sys

from vorder.cli.main import main

sys.exit(main())
