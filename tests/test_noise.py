"""Property tests for deepdenoise.noise: statistics, seeding, shapes and bad input."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from deepdenoise.metrics import psnr
from deepdenoise.noise import (
    add_gaussian_noise,
    add_poisson_gaussian_noise,
    add_poisson_noise,
    add_salt_and_pepper_noise,
    add_speckle_noise,
    estimate_sigma,
)

SIGMAS = [5, 15, 25, 50]
SHAPES = [(32, 40), (32, 40, 3), (2, 16, 16, 1)]


def flat(value: float = 0.5, shape: tuple[int, ...] = (256, 256)) -> np.ndarray:
    return np.full(shape, value, dtype=np.float32)


def smooth_image(size: int = 256) -> np.ndarray:
    """A smooth, noise-free image in [0.2, 0.8] (slow sinusoids)."""
    y, x = np.mgrid[0:size, 0:size] / size
    return (0.5 + 0.3 * np.sin(2 * np.pi * x) * np.cos(np.pi * y)).astype(np.float32)


# Each noise model as a function (image, seed) -> noisy image, for shared properties.
NOISES = {
    "gaussian": lambda im, seed: add_gaussian_noise(im, 25, seed=seed),
    "gaussian_clip": lambda im, seed: add_gaussian_noise(im, 25, seed=seed, clip=True),
    "poisson": lambda im, seed: add_poisson_noise(im, 30.0, seed=seed),
    "poisson_gaussian": lambda im, seed: add_poisson_gaussian_noise(
        im, peak=30.0, sigma=10, seed=seed
    ),
    "salt_and_pepper": lambda im, seed: add_salt_and_pepper_noise(im, 0.2, seed=seed),
    "speckle": lambda im, seed: add_speckle_noise(im, 25, seed=seed),
}


# --- shared properties -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(NOISES))
@pytest.mark.parametrize("shape", SHAPES)
def test_shape_dtype_and_input_untouched(name: str, shape: tuple[int, ...]) -> None:
    image = np.random.default_rng(1).uniform(0.1, 0.9, shape)
    before = image.copy()
    noisy = NOISES[name](image, 0)
    assert noisy.shape == shape
    assert noisy.dtype == np.float32
    assert np.array_equal(image, before)
    assert not np.array_equal(noisy, image.astype(np.float32))


@pytest.mark.parametrize("name", sorted(NOISES))
def test_same_seed_same_noise_different_seed_different(name: str) -> None:
    image = flat(0.5, (64, 64))
    first, again = NOISES[name](image, 7), NOISES[name](image, 7)
    other = NOISES[name](image, 8)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("name", sorted(NOISES))
def test_generator_seed_advances_and_reproduces(name: str) -> None:
    image = flat(0.5, (64, 64))
    rng = np.random.default_rng(3)
    first, second = NOISES[name](image, rng), NOISES[name](image, rng)
    assert not np.array_equal(first, second)  # the generator moved on
    rng_again = np.random.default_rng(3)
    assert np.array_equal(first, NOISES[name](image, rng_again))
    assert np.array_equal(second, NOISES[name](image, rng_again))


# --- Gaussian ----------------------------------------------------------------------


@pytest.mark.parametrize("sigma", SIGMAS)
def test_gaussian_std_is_sigma_over_255(sigma: float) -> None:
    image = flat(0.5, (512, 512))
    noise = add_gaussian_noise(image, sigma, seed=0).astype(np.float64) - image
    n = noise.size
    expected = sigma / 255
    # The sample std of n normals has relative standard error 1/sqrt(2n) (0.14% here), so
    # 5 standard errors (0.7%) separates sigma/255 from, say, sigma/250 (2%).
    assert noise.std() == pytest.approx(expected, rel=5 / np.sqrt(2 * n))
    assert abs(noise.mean()) < 5 * expected / np.sqrt(n)


def test_gaussian_is_not_clipped_by_default_and_clip_clips() -> None:
    image = np.zeros((64, 64), dtype=np.float32)
    noisy = add_gaussian_noise(image, 25, seed=0)
    assert noisy.min() < 0  # benchmark protocol: never clipped
    clipped = add_gaussian_noise(image, 25, seed=0, clip=True)
    assert clipped.min() >= 0 and clipped.max() <= 1
    np.testing.assert_array_equal(clipped, np.clip(noisy, 0, 1))


def test_gaussian_psnr_decreases_with_sigma_and_follows_formula(camera: np.ndarray) -> None:
    values = [psnr(camera, add_gaussian_noise(camera, s, seed=0)) for s in SIGMAS]
    assert all(a > b for a, b in itertools.pairwise(values))
    # Unclipped noise: MSE ~ (sigma/255)^2, so PSNR ~ 20 log10(255 / sigma). The sample
    # MSE has relative standard error sqrt(2/n), i.e. 10 log10(e) sqrt(2/n) dB.
    tolerance = 5 * 10 * np.log10(np.e) * np.sqrt(2 / camera.size)
    for sigma, value in zip(SIGMAS, values, strict=True):
        assert value == pytest.approx(20 * np.log10(255 / sigma), abs=tolerance)


# --- Poisson and Poisson-Gaussian --------------------------------------------------


@pytest.mark.parametrize("peak", [10.0, 100.0])
@pytest.mark.parametrize("level", [0.1, 0.5, 0.9])
def test_poisson_mean_is_image_and_variance_is_image_over_peak(peak: float, level: float) -> None:
    noisy = add_poisson_noise(flat(level), peak, seed=0).astype(np.float64)
    assert noisy.mean() == pytest.approx(level, abs=5 * np.sqrt(level / peak / noisy.size))
    assert noisy.var() == pytest.approx(level / peak, rel=0.05)
    counts = noisy * peak
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-3)  # whole photon counts
    assert noisy.min() >= 0


def test_poisson_noise_grows_with_signal() -> None:
    image = np.concatenate([flat(0.1, (128, 128)), flat(0.9, (128, 128))], axis=1)
    noise = add_poisson_noise(image, 20.0, seed=0) - image
    dark, bright = noise[:, :128].std(), noise[:, 128:].std()
    assert bright / dark == pytest.approx(3.0, rel=0.1)  # sqrt(0.9 / 0.1)


def test_poisson_of_black_is_black() -> None:
    assert np.all(add_poisson_noise(np.zeros((8, 8)), 5.0, seed=0) == 0)


@pytest.mark.parametrize(("peak", "sigma"), [(10.0, 5), (50.0, 25), (200.0, 15)])
def test_poisson_gaussian_variance_adds(peak: float, sigma: float) -> None:
    level = 0.4
    noisy = add_poisson_gaussian_noise(flat(level), peak=peak, sigma=sigma, seed=0)
    expected = level / peak + (sigma / 255) ** 2
    assert noisy.astype(np.float64).var() == pytest.approx(expected, rel=0.05)
    assert noisy.astype(np.float64).mean() == pytest.approx(level, abs=0.005)


# --- salt and pepper ---------------------------------------------------------------


@pytest.mark.parametrize("amount", [0.01, 0.1, 0.5, 0.9])
@pytest.mark.parametrize("salt_vs_pepper", [0.2, 0.5, 1.0])
def test_salt_and_pepper_fraction(amount: float, salt_vs_pepper: float) -> None:
    image = flat(0.5)
    noisy = add_salt_and_pepper_noise(image, amount, seed=0, salt_vs_pepper=salt_vs_pepper)
    hit = noisy != 0.5
    assert set(np.unique(noisy[hit]).tolist()) <= {0.0, 1.0}
    n = image.size
    assert hit.mean() == pytest.approx(amount, abs=5 * np.sqrt(amount * (1 - amount) / n))
    salt_share = (noisy == 1.0).sum() / hit.sum()
    spread = np.sqrt(salt_vs_pepper * (1 - salt_vs_pepper) / hit.sum())
    assert salt_share == pytest.approx(salt_vs_pepper, abs=5 * spread + 1e-12)


def test_salt_and_pepper_extremes() -> None:
    image = flat(0.5, (32, 32))
    np.testing.assert_array_equal(add_salt_and_pepper_noise(image, 0.0, seed=0), image)
    full = add_salt_and_pepper_noise(image, 1.0, seed=0)
    assert set(np.unique(full).tolist()) == {0.0, 1.0}


# --- speckle -----------------------------------------------------------------------


@pytest.mark.parametrize("sigma", SIGMAS)
def test_speckle_is_multiplicative(sigma: float) -> None:
    image = np.concatenate([flat(0.2, (256, 128)), flat(0.8, (256, 128))], axis=1)
    noisy = add_speckle_noise(image, sigma, seed=0).astype(np.float64)
    factor = noisy / image - 1
    assert factor.std() == pytest.approx(sigma / 255, rel=0.03)
    noise = noisy - image
    assert noise[:, 128:].std() / noise[:, :128].std() == pytest.approx(4.0, rel=0.05)
    assert np.all(add_speckle_noise(np.zeros((8, 8)), sigma, seed=0) == 0)


# --- estimate_sigma ----------------------------------------------------------------


@pytest.mark.parametrize("sigma", [10, 15, 25, 50])
def test_estimate_sigma_within_ten_percent_on_smooth_image(sigma: float) -> None:
    noisy = add_gaussian_noise(smooth_image(), sigma, seed=0)
    assert estimate_sigma(noisy) == pytest.approx(sigma, rel=0.1)


def test_estimate_sigma_rgb_averages_channels() -> None:
    clean = np.stack([smooth_image()] * 3, axis=-1)
    sigmas = (10, 20, 30)
    noisy = np.stack(
        [add_gaussian_noise(clean[..., c], s, seed=c) for c, s in enumerate(sigmas)], axis=-1
    )
    assert estimate_sigma(noisy) == pytest.approx(np.mean(sigmas), rel=0.1)


def test_estimate_sigma_orders_noise_levels_and_clean_is_near_zero() -> None:
    image = smooth_image()
    estimates = [estimate_sigma(add_gaussian_noise(image, s, seed=1)) for s in SIGMAS]
    assert all(a < b for a, b in itertools.pairwise(estimates))
    assert estimate_sigma(image) < 1.0


def library_estimate(image: np.ndarray) -> float:
    """scikit-image's plain wavelet estimator, on the 0-255 scale."""
    from skimage.restoration import estimate_sigma as skimage_estimate_sigma

    return float(skimage_estimate_sigma(image)) * 255


def on_disk(noisy: np.ndarray) -> np.ndarray:
    """A noisy image as a PNG holds it: clipped to [0, 1] and rounded to 8 bits."""
    return (np.round(np.clip(noisy, 0, 1) * 255) / 255).astype(np.float32)


@pytest.mark.parametrize("sigma", [5, 15, 25, 50])
def test_estimate_sigma_agrees_with_the_library_on_a_smooth_image(sigma: float) -> None:
    """Where nothing is clipped and nothing is textured, the selection changes little."""
    noisy = add_gaussian_noise(smooth_image(), sigma, seed=2)
    assert estimate_sigma(noisy) == pytest.approx(library_estimate(noisy), rel=0.03)


@pytest.mark.parametrize("name", ["astronaut", "camera", "coffee", "rocket"])
def test_estimate_sigma_on_clipped_8bit_photos_is_not_low(name: str) -> None:
    """Clipping squeezes the noise in dark and bright parts; the plain estimate reads low."""
    from deepdenoise.data.samples import sample_images

    clean = sample_images(names=[name], as_gray=True)[name]
    noisy = on_disk(add_gaussian_noise(clean, 50, seed=0))
    assert library_estimate(noisy) < 0.92 * 50  # the error being corrected
    assert estimate_sigma(noisy) == pytest.approx(50, rel=0.04)


@pytest.mark.parametrize("name", ["coffee", "coins", "page"])
def test_estimate_sigma_on_textured_photos_reads_less_high(name: str) -> None:
    """At low noise, edges read as noise; the flatter half of the image reads less high."""
    from deepdenoise.data.samples import sample_images

    clean = sample_images(names=[name], as_gray=True)[name]
    noisy = add_gaussian_noise(clean, 15, seed=0)
    assert library_estimate(noisy) > 15.4
    assert abs(estimate_sigma(noisy) - 15) < 0.6 * abs(library_estimate(noisy) - 15)


def test_estimate_sigma_float_noise_below_zero_is_not_taken_for_clipping() -> None:
    """Unclipped float noise has no pixel exactly on 0, so no coefficient is left out for it."""
    clean = np.tile(np.linspace(0, 1, 256, dtype=np.float32), (128, 1))
    noisy = add_gaussian_noise(clean, 50, seed=0)
    assert noisy.min() < 0 and not np.any(noisy == 0)
    shifted = noisy.copy()
    shifted[noisy < 0.02] = 0.0  # the same image with its darkest pixels put on the bound
    assert estimate_sigma(noisy) != estimate_sigma(shifted)
    assert estimate_sigma(noisy) == pytest.approx(50, rel=0.04)


def test_estimate_sigma_without_detail_is_nan_or_tiny() -> None:
    """All-zero wavelet detail has no median; a constant's float32 round-off reads as ~0."""
    assert np.isnan(estimate_sigma(np.zeros((32, 32), np.float32)))
    assert estimate_sigma(np.full((32, 32), 0.5, np.float32)) < 0.01


# --- bad input ---------------------------------------------------------------------

BAD_SIGMAS = [
    (0, ValueError),
    (300, ValueError),
    (-1, ValueError),
    (float("nan"), ValueError),
    (float("inf"), ValueError),
    ("a", TypeError),
    (None, TypeError),
    (True, TypeError),
]


@pytest.mark.parametrize(("sigma", "error"), BAD_SIGMAS)
@pytest.mark.parametrize(
    "func",
    [
        lambda im, s: add_gaussian_noise(im, s, seed=0),
        lambda im, s: add_speckle_noise(im, s, seed=0),
        lambda im, s: add_poisson_gaussian_noise(im, peak=10.0, sigma=s, seed=0),
    ],
    ids=["gaussian", "speckle", "poisson_gaussian"],
)
def test_bad_sigma_names_sigma(func, sigma: object, error: type) -> None:
    with pytest.raises(error, match="sigma"):
        func(flat(0.5, (8, 8)), sigma)


@pytest.mark.parametrize(
    ("peak", "error"),
    [(0, ValueError), (-1.0, ValueError), (float("nan"), ValueError), ("a", TypeError)],
)
@pytest.mark.parametrize(
    "func",
    [
        lambda im, p: add_poisson_noise(im, p, seed=0),
        lambda im, p: add_poisson_gaussian_noise(im, peak=p, sigma=10, seed=0),
    ],
    ids=["poisson", "poisson_gaussian"],
)
def test_bad_peak_names_peak(func, peak: object, error: type) -> None:
    with pytest.raises(error, match="peak"):
        func(flat(0.5, (8, 8)), peak)


@pytest.mark.parametrize("name", ["amount", "salt_vs_pepper"])
@pytest.mark.parametrize(
    ("value", "error"),
    [(-0.1, ValueError), (1.5, ValueError), (float("nan"), ValueError), ("a", TypeError)],
)
def test_bad_fraction_names_argument(name: str, value: object, error: type) -> None:
    kwargs = {"amount": 0.1, "salt_vs_pepper": 0.5, name: value}
    amount = kwargs.pop("amount")
    with pytest.raises(error, match=name):
        add_salt_and_pepper_noise(flat(0.5, (8, 8)), amount, seed=0, **kwargs)


ALL_FUNCS = [
    lambda im: add_gaussian_noise(im, 25, seed=0),
    lambda im: add_poisson_noise(im, 10.0, seed=0),
    lambda im: add_poisson_gaussian_noise(im, peak=10.0, sigma=5, seed=0),
    lambda im: add_salt_and_pepper_noise(im, 0.1, seed=0),
    lambda im: add_speckle_noise(im, 25, seed=0),
    lambda im: estimate_sigma(im),
]
FUNC_IDS = ["gaussian", "poisson", "poisson_gaussian", "salt_and_pepper", "speckle", "estimate"]


@pytest.mark.parametrize("func", ALL_FUNCS, ids=FUNC_IDS)
@pytest.mark.parametrize("shape", [(8,), (1, 1, 8, 8, 1)])
def test_wrong_rank_names_image(func, shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="image"):
        func(np.full(shape, 0.5))


def test_estimate_sigma_rejects_batches() -> None:
    with pytest.raises(ValueError, match="image"):
        estimate_sigma(np.full((2, 16, 16, 1), 0.5))


@pytest.mark.parametrize("func", ALL_FUNCS, ids=FUNC_IDS)
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_image_names_image(func, bad: float) -> None:
    image = flat(0.5, (16, 16))
    image[3, 4] = bad
    with pytest.raises(ValueError, match="image"):
        func(image)


@pytest.mark.parametrize("func", ALL_FUNCS, ids=FUNC_IDS)
def test_non_numeric_image_names_image(func) -> None:
    with pytest.raises(TypeError, match="image"):
        func(np.array([["a", "b"], ["c", "d"]]))


@pytest.mark.parametrize("func", ALL_FUNCS, ids=FUNC_IDS)
@pytest.mark.parametrize("dtype", [np.uint8, np.int64, bool])
def test_integer_image_is_refused_naming_image(func, dtype) -> None:
    """0-255 integers would be off by 255 from the [0, 1] convention: refuse, do not guess."""
    with pytest.raises(TypeError, match="image"):
        func(np.full((16, 16), 1, dtype=dtype))


@pytest.mark.parametrize("func", ALL_FUNCS[1:3], ids=FUNC_IDS[1:3])
def test_poisson_rejects_negative_image(func) -> None:
    image = flat(0.5, (8, 8))
    image[0, 0] = -0.1
    with pytest.raises(ValueError, match="image"):
        func(image)


@pytest.mark.parametrize("seed", [1.5, "0", [1, 2]])
def test_bad_seed_names_seed(seed: object) -> None:
    with pytest.raises(TypeError, match="seed"):
        add_gaussian_noise(flat(0.5, (8, 8)), 25, seed=seed)
