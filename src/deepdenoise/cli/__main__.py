"""``python -m deepdenoise.cli``: the same command line as ``python -m deepdenoise``."""

from __future__ import annotations

import sys

from deepdenoise.cli import main

if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
