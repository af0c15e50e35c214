"""pytest set-up for the notebooks, run by nbval (`pytest --nbval-lax notebooks`).

- stderr is never compared. TensorFlow writes C++ start-up lines to stderr (the
  "oneDNN custom operations" notice comes before absl logging starts, so
  TF_CPP_MIN_LOG_LEVEL cannot silence it), and the kernel captures them. This is the
  hook the nbval documentation gives for skipping output types.
- The kernel inherits this process's environment: quiet TensorFlow, and the local copy
  of the benchmark data, as in tests/conftest.py.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("DEEPDENOISE_DATA", str((ROOT.parent / "shared" / "data").resolve()))


def pytest_collectstart(collector):
    """Leave stderr out of nbval's output comparison (cells marked NBVAL_CHECK_OUTPUT)."""
    if collector.path is not None and collector.path.suffix == ".ipynb":
        if hasattr(collector, "skip_compare"):
            collector.skip_compare += ("stderr",)
