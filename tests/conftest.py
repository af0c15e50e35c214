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


@pytest.fixture()
def tiny_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A function that writes a manifest of tiny untrained models and returns them by name.

    ``tiny_manifest({"ffdnet": 1, "ffdnet_color": 3})`` registers one FFDNet
    per name with that many channels, in a manifest under ``tmp_path`` that
    ``deepdenoise.weights`` then reads instead of the package's. A value may
    also be ``(architecture, channels)``, e.g. ``{"dncnn_rgb": ("dncnn", 3)}``.
    With ``manifest_path=`` the manifest is written there and the package's
    is left in place, so that a test can compare several manifests.
    """

    def make(
        names: dict[str, int | tuple[str, int]], *, manifest_path: Path | None = None
    ) -> dict:
        import keras

        from deepdenoise import weights
        from deepdenoise.models import get_model

        manifest = (
            tmp_path / "weights" / "manifest.json" if manifest_path is None else manifest_path
        )
        models = {}
        for seed, (name, value) in enumerate(names.items()):
            architecture, channels = ("ffdnet", value) if isinstance(value, int) else value
            config = {"depth": 2, "width": 4, "channels": channels}
            keras.utils.set_random_seed(seed)
            models[name] = get_model(architecture, **config)
            weights.register_weights(
                models[name],
                name,
                config=config,
                recipe={"sigma": [0, 75]},
                steps=1,
                wall_time_s=0.1,
                results={},
                architecture=architecture,
                manifest_path=manifest,
            )
        if manifest_path is None:
            monkeypatch.setattr(weights, "DEFAULT_MANIFEST", manifest)
        return models

    return make
