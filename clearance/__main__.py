"""`python -m clearance` runs the CLI."""

import sys

from clearance.cli import main

sys.exit(main())
