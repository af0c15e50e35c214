"""Tests for deepdenoise.metrics: hand-written MSE/PSNR/SSIM against TF and scikit-image.

The Keras metric ``PSNRMetric`` moved to ``deepdenoise.train.metrics``; its tests are in
tests/test_train_metrics.py. Here: its old name still works, with a warning, and this
module imports no Keras.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import tensorflow as tf
from skimage import data as skdata
from skimage.metrics import mean_squared_error, peak_signal_noise_ratio, structural_similarity

import deepdenoise.metrics
from deepdenoise.metrics import mse, psnr, ssim
from deepdenoise.noise import add_gaussian_noise

SIGMAS = [5, 15, 25, 50]
# Both SSIMs are computed in float64 from the same formulas and windows: they agree to
# rounding. The brief's bound is 1e-4; we hold a tighter one.
SKIMAGE_TOL = 1e-6
# tf.image.ssim always computes in float32 (see test_ssim_matches_tf_image_ssim).
TF_TOL = 5e-5


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    """A small RGB crop in [0, 1] (float64)."""
    return skdata.astronaut()[100:164, 150:230] / 255.0


def skimage_ssim(reference: np.ndarray, estimate: np.ndarray, **kwargs) -> float:
    """SSIM as Wang et al. (2004): Gaussian 11x11 window, sigma 1.5, population covariance."""
    return structural_similarity(
        np.asarray(reference, np.float64),
        np.asarray(estimate, np.float64),
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        **kwargs,
    )


def pairs(clean: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(clean, degraded) pairs of several kinds: noisy, clipped noisy, blurred, shifted."""
    out = [(clean, add_gaussian_noise(clean, s, seed=s)) for s in SIGMAS]
    out.append((clean, add_gaussian_noise(clean, 25, seed=1, clip=True)))
    out.append((clean, np.roll(clean, 2, axis=1)))
    out.append((clean, 0.7 * clean + 0.1))
    return out


# --- MSE and PSNR ------------------------------------------------------------------


def test_mse_matches_skimage_and_formula(camera: np.ndarray) -> None:
    for reference, estimate in pairs(camera):
        expected = np.mean((reference.astype(np.float64) - estimate) ** 2)
        assert mse(reference, estimate) == pytest.approx(expected, rel=1e-12)
        assert mse(reference, estimate) == pytest.approx(
            mean_squared_error(reference.astype(np.float64), estimate.astype(np.float64)),
            rel=1e-12,
        )
        assert mse(reference, estimate) == mse(estimate, reference)


@pytest.mark.parametrize("image_name", ["camera", "astronaut"])
def test_psnr_matches_skimage_and_tf(image_name: str, camera, astronaut) -> None:
    clean = camera if image_name == "camera" else astronaut
    for reference, estimate in pairs(clean):
        ours = psnr(reference, estimate)
        lib = peak_signal_noise_ratio(
            reference.astype(np.float64), estimate.astype(np.float64), data_range=1
        )
        # tf.image.psnr wants a channel axis and computes in float32.
        ref_tf = reference if reference.ndim == 3 else reference[..., None]
        est_tf = estimate if estimate.ndim == 3 else estimate[..., None]
        tf_value = float(tf.image.psnr(ref_tf, est_tf.astype(ref_tf.dtype), max_val=1.0))
        assert ours == pytest.approx(lib, abs=1e-4)
        assert ours == pytest.approx(tf_value, abs=1e-4)


@pytest.mark.parametrize("data_range", [1.0, 2.0, 255.0])
def test_psnr_data_range(data_range: float, camera: np.ndarray) -> None:
    noisy = add_gaussian_noise(camera, 25, seed=0)
    scaled = psnr(camera * data_range, noisy * data_range, data_range=data_range)
    assert scaled == pytest.approx(psnr(camera, noisy), abs=1e-6)  # scale-invariant
    assert psnr(camera, noisy, data_range=data_range) == pytest.approx(
        psnr(camera, noisy) + 20 * np.log10(data_range), abs=1e-9
    )


def test_psnr_of_identical_images_is_inf(camera: np.ndarray) -> None:
    assert psnr(camera, camera.copy()) == float("inf")
    assert mse(camera, camera) == 0.0


def test_psnr_decreases_as_sigma_grows(camera: np.ndarray) -> None:
    values = [psnr(camera, add_gaussian_noise(camera, s, seed=0)) for s in SIGMAS]
    assert all(a > b for a, b in itertools.pairwise(values))


def test_psnr_known_value() -> None:
    # A constant error of 0.1 on [0, 1]: MSE 0.01, PSNR 10 log10(1 / 0.01) = 20 dB.
    assert psnr(np.zeros((5, 7)), np.full((5, 7), 0.1)) == pytest.approx(20.0, abs=1e-9)


# --- SSIM --------------------------------------------------------------------------


def test_ssim_matches_skimage_gray(camera: np.ndarray) -> None:
    for reference, estimate in pairs(camera):
        expected = skimage_ssim(reference, estimate, data_range=1)
        assert ssim(reference, estimate) == pytest.approx(expected, abs=SKIMAGE_TOL)


def test_ssim_matches_skimage_rgb_per_channel_mean(astronaut: np.ndarray) -> None:
    for reference, estimate in pairs(astronaut):
        expected = skimage_ssim(reference, estimate, data_range=1, channel_axis=-1)
        assert ssim(reference, estimate) == pytest.approx(expected, abs=SKIMAGE_TOL)
        per_channel = [ssim(reference[..., c], estimate[..., c]) for c in range(3)]
        assert ssim(reference, estimate) == pytest.approx(np.mean(per_channel), abs=1e-12)


@pytest.mark.parametrize("data_range", [1.0, 255.0])
def test_ssim_matches_skimage_other_data_range(data_range: float, camera: np.ndarray) -> None:
    reference = camera * data_range
    estimate = add_gaussian_noise(camera, 25, seed=0) * data_range
    expected = skimage_ssim(reference, estimate, data_range=data_range)
    assert ssim(reference, estimate, data_range=data_range) == pytest.approx(
        expected, abs=SKIMAGE_TOL
    )


@pytest.mark.parametrize("image_name", ["camera", "astronaut"])
def test_ssim_matches_tf_image_ssim(image_name: str, camera, astronaut) -> None:
    # tf.image.ssim filters with 'VALID' padding, i.e. only windows fully inside the image;
    # skimage filters with reflect padding and then crops the (11 - 1) / 2 = 5-pixel border,
    # which leaves exactly the same windows. Both use the 11x11 Gaussian of sigma 1.5 and
    # population statistics, so they agree with ours up to TensorFlow's float32 arithmetic
    # (measured differences < 5e-6); TF_TOL leaves room for other CPUs while still catching
    # a wrong window, constant or padding (each changes SSIM by > 1e-3 here).
    clean = camera if image_name == "camera" else astronaut
    for reference, estimate in pairs(clean):
        ref_tf = reference if reference.ndim == 3 else reference[..., None]
        est_tf = estimate if estimate.ndim == 3 else estimate[..., None]
        tf_value = float(tf.image.ssim(ref_tf, est_tf.astype(ref_tf.dtype), max_val=1.0))
        assert ssim(reference, estimate) == pytest.approx(tf_value, abs=TF_TOL)


def test_ssim_tolerances_tell_plausible_variants_apart(camera: np.ndarray) -> None:
    """The cross-checks are sharp enough to catch a plausible wrong variant."""
    reference = camera.astype(np.float64)
    noisy = add_gaussian_noise(camera, 25, seed=0).astype(np.float64)
    ours = ssim(reference, noisy)
    sample_cov = structural_similarity(
        reference,
        noisy,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=True,
        data_range=1,
    )
    uniform_7x7 = structural_similarity(reference, noisy, data_range=1)
    assert abs(ours - sample_cov) > 10 * SKIMAGE_TOL
    assert abs(ours - uniform_7x7) > 10 * TF_TOL


def test_ssim_properties(camera: np.ndarray) -> None:
    assert ssim(camera, camera) == pytest.approx(1.0, abs=1e-12)
    noisy = add_gaussian_noise(camera, 25, seed=0)
    assert ssim(camera, noisy) == pytest.approx(ssim(noisy, camera), abs=1e-12)  # symmetric
    values = [ssim(camera, add_gaussian_noise(camera, s, seed=0)) for s in SIGMAS]
    assert all(a > b for a, b in itertools.pairwise(values))
    assert all(-1 <= v < 1 for v in values)


def test_ssim_on_minimum_size_image() -> None:
    rng = np.random.default_rng(0)
    reference = rng.uniform(size=(11, 11))
    estimate = np.clip(reference + rng.normal(0, 0.1, size=(11, 11)), 0, 1)
    expected = skimage_ssim(reference, estimate, data_range=1)
    assert ssim(reference, estimate) == pytest.approx(expected, abs=SKIMAGE_TOL)


# --- bad input ---------------------------------------------------------------------

METRICS = [mse, psnr, ssim]


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize(
    ("shape_a", "shape_b"),
    [((16, 16), (16, 17)), ((16, 16), (16, 16, 1)), ((16, 16, 3), (16, 16))],
)
def test_shape_mismatch_names_both_arguments(metric, shape_a, shape_b) -> None:
    with pytest.raises(ValueError, match=r"reference.*estimate"):
        metric(np.zeros(shape_a), np.zeros(shape_b))


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("argument", ["reference", "estimate"])
@pytest.mark.parametrize("shape", [(16,), (2, 16, 16, 1)])
def test_wrong_rank_names_argument(metric, argument: str, shape) -> None:
    good, bad = np.zeros((16, 16)), np.zeros(shape)
    args = (bad, good) if argument == "reference" else (good, bad)
    with pytest.raises(ValueError, match=argument):
        metric(*args)


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("argument", ["reference", "estimate"])
def test_nan_image_names_argument(metric, argument: str) -> None:
    good, bad = np.zeros((16, 16)), np.zeros((16, 16))
    bad[4, 4] = np.nan
    args = (bad, good) if argument == "reference" else (good, bad)
    with pytest.raises(ValueError, match=argument):
        metric(*args)


@pytest.mark.parametrize("metric", [psnr, ssim])
@pytest.mark.parametrize(
    ("data_range", "error"),
    [(0, ValueError), (-1.0, ValueError), (float("nan"), ValueError), ("a", TypeError)],
)
def test_bad_data_range_names_data_range(metric, data_range: object, error: type) -> None:
    with pytest.raises(error, match="data_range"):
        metric(np.zeros((16, 16)), np.ones((16, 16)), data_range=data_range)


def test_ssim_too_small_image_names_arguments() -> None:
    with pytest.raises(ValueError, match="reference"):
        ssim(np.zeros((10, 40)), np.zeros((10, 40)))


# --- no Keras; the moved PSNRMetric --------------------------------------------------


def test_import_metrics_imports_no_keras_or_tensorflow() -> None:
    """The NumPy formulas load without Keras/TensorFlow (a fresh process; this one has both)."""
    code = textwrap.dedent(
        """
        import sys
        import numpy as np
        import deepdenoise.metrics as m
        assert m.psnr(np.zeros((4, 4)), np.full((4, 4), 0.1)) == 20.0
        print(sorted(name for name in ("keras", "tensorflow", "jax") if name in sys.modules))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "[]", result.stdout + result.stderr


def test_old_psnr_metric_name_warns_and_is_the_new_class() -> None:
    from deepdenoise.train.metrics import PSNRMetric

    with pytest.warns(DeprecationWarning, match=r"deepdenoise\.train\.metrics") as caught:
        old = deepdenoise.metrics.PSNRMetric
    assert old is PSNRMetric
    assert caught[0].filename == __file__  # points at the caller, not at metrics.py
    with pytest.warns(DeprecationWarning, match="PSNRMetric"):
        from deepdenoise.metrics import PSNRMetric as imported
    assert imported is PSNRMetric


def test_moved_name_is_not_advertised_and_unknown_names_still_fail() -> None:
    assert "PSNRMetric" not in deepdenoise.metrics.__all__
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unknown name must not warn, just fail
        with pytest.raises(AttributeError, match="no_such_metric"):
            deepdenoise.metrics.no_such_metric  # noqa: B018
