"""The scripts outside the package: the accelerator trainer and the manifest updater."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from deepdenoise.bench import write_csv

ROOT = Path(__file__).resolve().parents[1]


def load_script(relative: str):
    spec = importlib.util.spec_from_file_location(Path(relative).stem, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def trainer():
    return load_script("training/train_accelerated.py")


def dihedral_variants(patch: np.ndarray) -> list[np.ndarray]:
    turns = [np.rot90(patch, k) for k in range(4)]
    return turns + [turn[:, ::-1] for turn in turns]


def test_sample_batch_crops_augments_and_adds_noise_of_the_drawn_level(trainer):
    rng = np.random.default_rng(0)
    images = rng.random((3, 20, 24), dtype=np.float32)
    noisy, level_map, clean = trainer.sample_batch(images, 64, 8, [5, 50], rng)
    assert noisy.shape == level_map.shape == clean.shape == (64, 8, 8, 1)
    crops = [
        images[i, y : y + 8, x : x + 8] for i in range(3) for y in range(13) for x in range(17)
    ]
    used = set()
    for patch in clean[..., 0]:
        matches = [
            (k, j)
            for k, crop in enumerate(crops)
            for j, variant in enumerate(dihedral_variants(crop))
            if np.array_equal(variant, patch)
        ]
        assert matches, "a clean patch is not a flipped or rotated crop"
        used.add(matches[0][1])
    assert len(used) > 4, "augmentation should use many of the 8 transforms"
    levels = level_map[:, 0, 0, 0] * 255
    assert np.all((levels >= 5) & (levels <= 50)) and np.ptp(levels) > 10
    assert np.all(level_map == level_map[:, :1, :1, :])  # one level per patch
    residual = (noisy - clean) / level_map
    assert abs(residual.std() - 1) < 0.05 and abs(residual.mean()) < 0.05


def test_sample_batch_fixed_sigma(trainer):
    rng = np.random.default_rng(1)
    images = np.zeros((2, 40, 40), np.float32)
    noisy, level_map, _ = trainer.sample_batch(images, 32, 16, 25, rng)
    np.testing.assert_allclose(level_map, 25 / 255)
    assert abs(noisy.std() * 255 - 25) < 1.0


def test_patches_are_seeded_by_epoch_and_index(trainer):
    images = np.random.default_rng(2).random((4, 32, 32), dtype=np.float32)
    patches = trainer.Patches(images, 3, 4, 8, 25, True, seed=7)
    (first_noisy, first_map), first_clean = patches[1]
    (again_noisy, _), again_clean = patches[1]
    np.testing.assert_array_equal(first_noisy, again_noisy)
    np.testing.assert_array_equal(first_clean, again_clean)
    patches.epoch = 1
    (_, _), other_clean = patches[1]
    assert not np.array_equal(first_clean, other_clean)
    assert len(patches) == 3 and first_map.shape == first_noisy.shape


def test_manifest_results_copies_only_shipped_models(tmp_path, monkeypatch):
    updater = load_script("benchmarks/manifest_results.py")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"models": {"tiny": {"results": {"val_psnr_db": 20.0}}}}))
    monkeypatch.setattr(updater, "MANIFEST", manifest)
    row = dict(seconds_per_image=0.1, megapixels_per_second=1.0, n_images=12, seed=0)
    rows = [
        dict(row, dataset="set12", sigma=25.0, method="tiny", psnr=29.123456, ssim=0.81),
        dict(row, dataset="set12", sigma=25.0, method="tv", psnr=28.0, ssim=0.77),
    ]
    updater.write_from_csv(write_csv(rows, tmp_path / "bench.csv"))
    results = json.loads(manifest.read_text())["models"]["tiny"]["results"]
    assert results == {
        "val_psnr_db": 20.0,
        "set12_sigma25_psnr": 29.1235,
        "set12_sigma25_ssim": 0.81,
        "set12_sigma25_n_images": 12,
    }
    assert list(json.loads(manifest.read_text())["models"]) == ["tiny"]
