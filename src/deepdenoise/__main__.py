"""``python -m deepdenoise``: the ``deepdenoise`` command line (see :mod:`deepdenoise.cli`)."""

from __future__ import annotations

import sys

from deepdenoise.cli import main

if __name__ == "__main__":
    sys.exit(main())
