"""Shared pytest set-up: data location, quiet TensorFlow, small fixtures."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
os.environ.setdefault("DEEPDENOISE_DATA", str((ROOT.parent / "shared" / "data").resolve()))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The local copy of Set12/BSD68/Train400 that CI provides."""
    path = Path(os.environ["DEEPDENOISE_DATA"])
    if not (path / "SHA256SUMS").is_file():
        pytest.fail(f"DEEPDENOISE_DATA={path} holds no SHA256SUMS; CI expects ../shared/data")
    return path


@pytest.fixture()
def rng() -> np.random.Generator:
    return np.random.default_rng(0)


@pytest.fixture(scope="session")
def camera() -> np.ndarray:
    """scikit-image's camera man as float32 in [0, 1], cropped to 128x128."""
    from skimage import data

    return (data.camera()[128:256, 192:320] / 255.0).astype(np.float32)


@pytest.fixture(autouse=True)
def _package_weights_untouched():
    """Fail the test that writes into the package's own weights folder (use a tmp manifest)."""
    folder = ROOT / "src" / "deepdenoise" / "weights"

    def state() -> dict[str, tuple[int, int]]:
        return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir()}

    before = state()
    yield
    assert state() == before, "a test changed src/deepdenoise/weights/; pass manifest_path="
