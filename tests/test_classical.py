"""Tests for the classical denoisers: quality, shape contracts, parameter rules."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage
from skimage import data
from skimage.metrics import peak_signal_noise_ratio
from skimage.restoration import denoise_tv_chambolle

from deepdenoise import classical
from deepdenoise.classical import CLASSICAL_METHODS, get_classical

SIGMA = 25
METHODS = sorted(CLASSICAL_METHODS)
# BM3D is slow (about 10 s per 512x512 image): give it a smaller crop.
CROP = {"bm3d": 64}


def psnr(reference: np.ndarray, estimate: np.ndarray) -> float:
    return float(peak_signal_noise_ratio(reference, estimate, data_range=1.0))


def noisy_version(clean: np.ndarray, sigma: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (clean + rng.normal(0.0, sigma / 255.0, clean.shape)).astype(np.float32)


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    return (data.astronaut()[40:104, 180:244] / 255.0).astype(np.float32)


@pytest.mark.parametrize("name", METHODS)
def test_method_beats_noisy_gray(name: str, camera: np.ndarray) -> None:
    size = CROP.get(name, camera.shape[0])
    clean = camera[:size, :size]
    noisy = noisy_version(clean, SIGMA)
    denoised = CLASSICAL_METHODS[name](noisy, SIGMA)
    assert denoised.shape == clean.shape
    assert denoised.dtype == np.float32
    assert psnr(clean, denoised) > psnr(clean, noisy) + 1.0


@pytest.mark.parametrize("name", METHODS)
def test_method_beats_noisy_rgb(name: str, astronaut: np.ndarray) -> None:
    noisy = noisy_version(astronaut, SIGMA, seed=1)
    denoised = CLASSICAL_METHODS[name](noisy, SIGMA)
    assert denoised.shape == astronaut.shape
    assert denoised.dtype == np.float32
    assert psnr(astronaut, denoised) > psnr(astronaut, noisy)


@pytest.mark.parametrize("name", METHODS)
def test_singleton_channel_matches_gray(name: str, camera: np.ndarray) -> None:
    noisy = noisy_version(camera[:32, :32], SIGMA, seed=2)
    gray = CLASSICAL_METHODS[name](noisy, SIGMA)
    single = CLASSICAL_METHODS[name](noisy[..., None], SIGMA)
    assert single.shape == (32, 32, 1)
    np.testing.assert_allclose(single[..., 0], gray, atol=1e-6)


@pytest.mark.parametrize("name", METHODS)
def test_float64_input_gives_float32(name: str, camera: np.ndarray) -> None:
    noisy = noisy_version(camera[:32, :32], SIGMA, seed=3).astype(np.float64)
    assert CLASSICAL_METHODS[name](noisy, SIGMA).dtype == np.float32


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("sigma", [0, -5, 300, float("nan"), "25", None])
def test_bad_sigma_names_sigma(name: str, sigma: object) -> None:
    image = np.zeros((16, 16), dtype=np.float32)
    with pytest.raises((ValueError, TypeError), match="sigma"):
        CLASSICAL_METHODS[name](image, sigma)


@pytest.mark.parametrize("name", METHODS)
@pytest.mark.parametrize("shape", [(16,), (16, 16, 2), (16, 16, 4), (2, 16, 16, 1)])
def test_bad_shape_names_noisy(name: str, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="noisy"):
        CLASSICAL_METHODS[name](np.zeros(shape, dtype=np.float32), SIGMA)


def test_get_classical_returns_each_method() -> None:
    for name, fn in CLASSICAL_METHODS.items():
        assert get_classical(name) is fn


@pytest.mark.parametrize("name", ["bm4d", "", "TV", None])
def test_get_classical_unknown_lists_names(name: object) -> None:
    with pytest.raises(ValueError, match="name") as info:
        get_classical(name)  # type: ignore[arg-type]
    for known in METHODS:
        assert known in str(info.value)


def test_cbm3d_filters_the_channels_together(astronaut: np.ndarray) -> None:
    """On a 64x64 RGB crop, CBM3D (bm3d_rgb) beats gray BM3D run on each channel apart."""
    noisy = noisy_version(astronaut, SIGMA, seed=3)
    colour = classical.denoise_bm3d(noisy, SIGMA)
    apart = np.stack([classical.denoise_bm3d(noisy[..., c], SIGMA) for c in range(3)], axis=-1)
    assert psnr(astronaut, colour) > psnr(astronaut, apart) + 0.3
    ycbcr = classical.denoise_bm3d(noisy, SIGMA, colorspace="YCbCr")
    assert psnr(astronaut, ycbcr) > psnr(astronaut, noisy) + 3
    assert not np.array_equal(ycbcr, colour), "the colour space reaches bm3d_rgb"


def test_cbm3d_colour_space_must_be_known() -> None:
    with pytest.raises(ValueError, match=r"colorspace.*opp.*YCbCr"):
        classical.denoise_bm3d(np.zeros((16, 16, 3), np.float32), SIGMA, colorspace="rgb")


def test_bm3d_missing_package_message(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def fake_import(name: str, *args: object, **kwargs: object):
        if name == "bm3d":
            raise ImportError("No module named 'bm3d'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(ImportError, match="pip install"):
        classical.denoise_bm3d(np.zeros((16, 16), dtype=np.float32), SIGMA)


@pytest.mark.parametrize("sigma", [15, 25, 50])
def test_tv_weight_rule_is_near_best_on_grid(sigma: float, camera: np.ndarray) -> None:
    """Like scikit-image's calibration tests: the rule is close to the grid's best."""
    noisy = noisy_version(camera, sigma, seed=4)
    rule = classical.tv_weight(sigma)
    grid = [rule * factor for factor in (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 4.0)]
    scores = [psnr(camera, denoise_tv_chambolle(noisy, weight=w)) for w in grid]
    assert psnr(camera, classical.denoise_tv(noisy, sigma)) >= max(scores) - 0.5
    # The grid is wide enough that a wrong rule would lose: the extremes are worse.
    assert min(scores[0], scores[-1]) < max(scores) - 0.5


@pytest.mark.parametrize("sigma", [15, 25, 50])
def test_gaussian_width_rule_is_near_best_on_grid(sigma: float, camera: np.ndarray) -> None:
    noisy = noisy_version(camera, sigma, seed=5)
    grid = [0.3, 0.5, 0.7, 0.9, 1.1, 1.4, 1.8, 2.4, 3.0]
    scores = [psnr(camera, ndimage.gaussian_filter(noisy, s, mode="reflect")) for s in grid]
    assert psnr(camera, classical.denoise_gaussian_filter(noisy, sigma)) >= max(scores) - 0.5
    assert min(scores[0], scores[-1]) < max(scores) - 0.5


def test_stronger_noise_gets_stronger_smoothing() -> None:
    sigmas = [5, 15, 25, 50, 100]
    for rule in (
        classical.tv_weight,
        classical.gaussian_filter_width,
        classical.nl_means_h,
        classical.median_size,
    ):
        values = [rule(s) for s in sigmas]
        assert values == sorted(values), rule.__name__
