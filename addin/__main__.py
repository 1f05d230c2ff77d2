"""`python -m addin ...` is the same as the `addin` command."""

import sys

from .cli import main

sys.exit(main())
