"""deepdenoise: the tested package behind the deep-learning image denoising book.

Submodules
----------
noise, metrics, data, models, classical, denoisers, train, inference, viz,
schematics, weights, bench, export, cli.

Conventions: images are float32 in [0, 1] (NHWC for batches) and noise levels
``sigma`` are always given on the 0-255 scale.

Examples
--------
>>> import deepdenoise
>>> deepdenoise.__version__
'0.3.0'
"""

from __future__ import annotations

import importlib
import os

# TensorFlow prints start-up chatter on stderr; the book and CLI stay quiet.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.3.0"  # the one place; pyproject.toml and _config.yml follow it

_SUBMODULES = (
    "bench",
    "classical",
    "cli",
    "data",
    "denoisers",
    "export",
    "inference",
    "metrics",
    "models",
    "noise",
    "schematics",
    "train",
    "viz",
    "weights",
)

__all__ = ["__version__", *_SUBMODULES]


def __getattr__(name: str):
    """Import submodules on first use, so ``import deepdenoise`` stays light."""
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'deepdenoise' has no attribute {name!r}")
