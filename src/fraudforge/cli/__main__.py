"""``python -m fraudforge.cli``: the ``fraudforge`` command."""

import sys

from fraudforge.cli import main

sys.exit(main())
